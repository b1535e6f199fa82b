"""Every supported format, built at run time, scanned end to end on real Tesseract and Presidio."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from piiscan.scanner import sniff
from piiscan.scanner.model import ScanResult
from piiscan.scanner.pipeline import Scanner
from piiscan.synth.render import (
    image_bytes,
    image_pdf,
    td3_mrz,
    text_image,
    text_pdf,
    with_gps_exif,
)

EMAIL = "clara.jensen@example.com"
CARD = "4111 1111 1111 1111"
LINES = ["Customer: Clara Jensen", f"E-mail: {EMAIL}", f"Card: {CARD}"]


def types(result: ScanResult) -> set[str]:
    return {f.entity_type for f in result.findings}


def finding(result: ScanResult, entity_type: str) -> list[str]:
    return [f.text for f in result.findings if f.entity_type == entity_type]


@pytest.mark.parametrize(
    ("fmt", "media_type"),
    [
        ("PNG", sniff.PNG),
        ("JPEG", sniff.JPEG),
        ("GIF", sniff.GIF),
        ("WEBP", sniff.WEBP),
        ("BMP", sniff.BMP),
    ],
)
def test_image_formats_ocr_with_boxes(scanner: Scanner, fmt: str, media_type: str) -> None:
    image = text_image(LINES, font_size=30)
    data = image_bytes(image.convert("P") if fmt == "GIF" else image, fmt)
    result = scanner.scan(data, f"upload.{fmt.lower()}").result
    assert result.media_type == media_type
    assert EMAIL in finding(result, "EMAIL_ADDRESS")
    assert "CREDIT_CARD" in types(result)
    email = next(f for f in result.findings if f.entity_type == "EMAIL_ADDRESS")
    assert email.source == "ocr" and email.bbox is not None and email.page == 1
    # the e-mail is on the second line: its box must sit there, inside the image
    assert 60 <= email.bbox.top <= 160 and email.bbox.right <= image.width
    assert result.verdict == "sensitive_document" and result.flagged


def test_tiff_every_page(scanner: Scanner) -> None:
    pages = [text_image(["Nothing personal on this page."]), text_image(LINES)]
    buf = io.BytesIO()
    pages[0].save(buf, format="TIFF", save_all=True, append_images=pages[1:])
    result = scanner.scan(buf.getvalue(), "scan.tiff").result
    assert result.media_type == sniff.TIFF and result.pages == 2
    assert {f.page for f in result.findings if f.entity_type == "EMAIL_ADDRESS"} == {2}


def test_text_layer_pdf_later_page_not_ocred(scanner: Scanner) -> None:
    data = text_pdf([["Cover page with no personal data at all."], LINES])
    out = scanner.scan(data, "invoice.pdf")
    assert out.result.pages == 2 and out.extraction is not None and out.extraction.ocr_pages == 0
    emails = [f for f in out.result.findings if f.entity_type == "EMAIL_ADDRESS"]
    assert [(f.page, f.source, f.text) for f in emails] == [(2, "text_layer", EMAIL)]


def test_image_only_pdf_is_ocred(scanner: Scanner) -> None:
    data = image_pdf([text_image(["Blank cover"], font_size=30), text_image(LINES, font_size=30)])
    out = scanner.scan(data, "scan.pdf")
    assert out.extraction is not None and out.extraction.ocr_pages == 2
    emails = [f for f in out.result.findings if f.entity_type == "EMAIL_ADDRESS"]
    assert emails and emails[0].page == 2 and emails[0].source == "ocr" and emails[0].bbox is not None


def test_pdf_named_jpg_is_scanned_as_pdf(scanner: Scanner) -> None:
    result = scanner.scan(text_pdf([LINES]), "holiday.jpg").result
    assert result.media_type == sniff.PDF and result.verdict != "error"
    assert EMAIL in finding(result, "EMAIL_ADDRESS")


def test_exif_gps_and_artist_are_findings(scanner: Scanner) -> None:
    data = with_gps_exif(text_image(["sunset"], width=600, height=300), 48.858370, 2.294481, "Clara Jensen")
    result = scanner.scan(data, "photo.jpg").result
    gps = [f for f in result.findings if f.entity_type == "GPS_COORDINATES"]
    assert gps and gps[0].source == "metadata"
    assert any(f.source == "metadata" and f.entity_type == "PERSON" for f in result.findings)


def test_qr_code_is_read(scanner: Scanner) -> None:
    zxingcpp = pytest.importorskip("zxingcpp")
    code = zxingcpp.create_barcode(f"MECARD:N:Jensen,Clara;EMAIL:{EMAIL};;", zxingcpp.BarcodeFormat.QRCode)
    image = Image.fromarray(np.asarray(zxingcpp.write_barcode_to_image(code, scale=8))).convert("RGB")
    canvas = Image.new("RGB", (600, 400), "white")
    canvas.paste(image, (150, 50))
    result = scanner.scan(image_bytes(canvas), "qr.png").result
    barcode = [f for f in result.findings if f.source == "barcode"]
    assert any(f.entity_type == "EMAIL_ADDRESS" and f.text == EMAIL for f in barcode)
    assert all(f.bbox is not None and f.bbox.left >= 100 for f in barcode)


def test_mrz_passport(scanner: Scanner) -> None:
    l1, l2 = td3_mrz("JENSEN", "CLARA", "X12345678", "UTO", "900101", "F", "300101")
    image = text_image(["PASSPORT", "", l1, l2], width=1500, font_size=30, mono=True)
    result = scanner.scan(image_bytes(image), "passport.png").result
    assert "MRZ" in types(result)
    assert result.verdict == "sensitive_document"


def _docx() -> bytes:
    from docx import Document

    doc = Document()
    doc.sections[0].header.paragraphs[0].text = f"From {EMAIL}"
    doc.add_paragraph("Body text without data.")
    table = doc.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Card"
    table.cell(0, 1).text = CARD
    picture = io.BytesIO(image_bytes(text_image(["Call Clara Jensen on", "phone (212) 555-0199"], font_size=30)))
    doc.add_picture(picture)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def test_docx_header_table_and_embedded_image(scanner: Scanner) -> None:
    result = scanner.scan(_docx(), "notes.docx").result
    assert result.media_type == sniff.DOCX
    assert EMAIL in finding(result, "EMAIL_ADDRESS")
    assert "CREDIT_CARD" in types(result)
    phones = [f for f in result.findings if f.entity_type == "PHONE_NUMBER"]
    assert phones and phones[0].source == "ocr" and phones[0].bbox is not None


def test_xlsx_and_pptx(scanner: Scanner) -> None:
    from openpyxl import Workbook
    from pptx import Presentation
    from pptx.util import Inches

    wb = Workbook()
    wb.active.append(["name", "email"])
    second = wb.create_sheet("Contacts")
    second.append(["Clara Jensen", EMAIL])
    buf = io.BytesIO()
    wb.save(buf)
    xlsx = scanner.scan(buf.getvalue(), "book.xlsx").result
    assert xlsx.media_type == sniff.XLSX
    assert [f.page for f in xlsx.findings if f.entity_type == "EMAIL_ADDRESS"] == [2]

    prs = Presentation()
    for text in ("Agenda", f"Contact {EMAIL}"):
        slide = prs.slides.add_slide(prs.slide_layouts[5])
        box = slide.shapes.add_textbox(Inches(1), Inches(2), Inches(6), Inches(1))
        box.text_frame.text = text
    buf = io.BytesIO()
    prs.save(buf)
    pptx = scanner.scan(buf.getvalue(), "deck.pptx").result
    assert pptx.media_type == sniff.PPTX
    assert [f.page for f in pptx.findings if f.entity_type == "EMAIL_ADDRESS"] == [2]


@pytest.mark.parametrize(
    ("data", "media_type"),
    [
        ("\n".join(LINES).encode(), sniff.TEXT),
        (f"name,email\nClara Jensen,{EMAIL}\nBo Li,bo.li@example.org\n".encode(), sniff.CSV),
        (f'{{"customer": {{"name": "Clara Jensen", "email": "{EMAIL}"}}}}'.encode(), sniff.JSON),
        (f"<html><body><script>var x=1;</script><p>Mail {EMAIL}</p></body></html>".encode(), sniff.HTML),
    ],
)
def test_text_formats(scanner: Scanner, data: bytes, media_type: str) -> None:
    result = scanner.scan(data, "upload").result
    assert result.media_type == media_type
    assert EMAIL in finding(result, "EMAIL_ADDRESS")
    email = next(f for f in result.findings if f.entity_type == "EMAIL_ADDRESS")
    assert email.bbox is None and email.end - email.start == len(EMAIL)


def test_zip_members_scanned_recursively(scanner: Scanner) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("deep/contact.txt", f"Write to {EMAIL}")
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("readme.txt", "Nothing here.")
        zf.writestr("inner.zip", inner.getvalue())
        zf.writestr("scan.png", image_bytes(text_image(LINES, font_size=30)))
    result = scanner.scan(outer.getvalue(), "bundle.zip").result
    assert result.media_type == sniff.ZIP
    origins = {f.origin for f in result.findings if f.entity_type == "EMAIL_ADDRESS"}
    assert any(o and o.startswith("inner.zip") and "contact.txt" in o for o in origins)
    assert any(o and o.startswith("scan.png") for o in origins)


def test_clean_image_is_clean(scanner: Scanner) -> None:
    image = text_image(["Lorem ipsum dolor sit amet.", "Version 2.3.1 ships today."], font_size=30)
    result = scanner.scan(image_bytes(image), "clean.png").result
    assert result.verdict == "clean" and result.severity == "none"
