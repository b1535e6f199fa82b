"""DOCX, XLSX and PPTX: every part is read, pages and origins are right, bad input is typed.

Documents are built at run time with python-docx, openpyxl and python-pptx, or by
hand with zipfile where those libraries cannot write the case (inline strings,
entities, broken XML). OCR is faked: the real engine is tested elsewhere.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from PIL import Image

from piiscan.scanner.errors import (
    ArchiveLimitError,
    CorruptFileError,
    EncryptedFileError,
    UnsupportedTypeError,
)
from piiscan.scanner.extract.archive import ZipExtractor
from piiscan.scanner.extract.base import ExtractContext
from piiscan.scanner.extract.office import OfficeExtractor
from piiscan.scanner.extract.text import TextExtractor
from piiscan.scanner.model import BBox, Extraction, TextSegment, Word
from piiscan.scanner.sniff import IMAGE_TYPES, sniff
from piiscan.settings import Settings

EMAIL = "clara.jensen@example.com"
PHONE = "+44 20 7946 0958"
OCR_TEXT = "Phone (212) 555-0199"


def fake_ocr(image: Image.Image, page: int) -> TextSegment:
    """Stands in for Tesseract: a fixed line with one box per word."""
    words, start = [], 0
    for i, token in enumerate(OCR_TEXT.split(" ")):
        words.append(Word(start, start + len(token), BBox(10 + 100 * i, 10, 90, 20), 95.0))
        start += len(token) + 1
    return TextSegment(text=OCR_TEXT, page=page, source="ocr", words=words)


def make_ctx(settings: Settings | None = None, depth: int = 0) -> ExtractContext:
    """A context whose nested dispatch sniffs and calls Text/Office/Zip, or fake OCR for images."""

    def dispatch(data: bytes, origin: str, ctx: ExtractContext) -> Extraction:
        media_type = sniff(data)
        if media_type in IMAGE_TYPES:
            try:
                with Image.open(io.BytesIO(data)) as image:
                    rgb = image.convert("RGB")
            except OSError:
                raise CorruptFileError("bad image") from None
            return Extraction(segments=[ctx.ocr(rgb, 1)], ocr_pages=1, images=[rgb])
        for extractor in (TextExtractor(), OfficeExtractor(), ZipExtractor()):
            if media_type in extractor.media_types:
                return extractor.extract(data, ctx)
        raise UnsupportedTypeError(media_type)

    return ExtractContext(settings=settings or Settings(), ocr=fake_ocr, extract_nested=dispatch, depth=depth)


def extract(data: bytes, ctx: ExtractContext | None = None) -> Extraction:
    return OfficeExtractor().extract(data, ctx or make_ctx())


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (120, 80), "white").save(buf, format="PNG")
    return buf.getvalue()


def rezip(data: bytes, replace: dict[str, bytes | None]) -> bytes:
    """Copy an OOXML package, replacing, adding (bytes) or dropping (None) members."""
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename not in replace:
                dst.writestr(info.filename, src.read(info))
        for name, body in replace.items():
            if body is not None:
                dst.writestr(name, body)
    return buf.getvalue()


def segments(out: Extraction, source: str = "text_layer") -> dict[tuple[int, str | None], str]:
    return {(s.page, s.origin): s.text for s in out.segments if s.source == source}


# --- DOCX --------------------------------------------------------------------------------------


def make_docx() -> bytes:
    from docx import Document

    doc = Document()
    doc.core_properties.author = "Clara Jensen"
    doc.core_properties.last_modified_by = "Bo Li"
    doc.sections[0].header.paragraphs[0].text = f"From {EMAIL}"
    doc.sections[0].footer.paragraphs[0].text = f"Call {PHONE}"
    para = doc.add_paragraph(f"Dear Clara Jensen, write to {EMAIL}.")
    run = para.add_run("\tSee")
    run.add_break()
    para.add_run("next line")
    table = doc.add_table(rows=2, cols=2)
    for (row, col), text in {(0, 0): "Name", (0, 1): "Email", (1, 0): "Bo Li", (1, 1): "bo@example.org"}.items():
        table.cell(row, col).text = text
    doc.add_comment(para.runs[0], text="Is this address current?", author="Rita Reviewer", initials="RR")
    doc.add_picture(io.BytesIO(png()))
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def test_docx_body_table_header_footer_comments_and_metadata() -> None:
    ctx = make_ctx()
    out = extract(make_docx(), ctx)
    text = segments(out)
    assert text[(1, None)].splitlines() == [
        f"Dear Clara Jensen, write to {EMAIL}.\tSee",
        "next line",
        "Name | Email",
        "Bo Li | bo@example.org",
    ]
    assert text[(1, "word/header1.xml")] == f"From {EMAIL}"
    assert text[(1, "word/footer1.xml")] == f"Call {PHONE}"
    assert text[(1, "word/comments.xml")].splitlines() == ["Rita Reviewer", "Is this address current?"]
    assert segments(out, "metadata") == {(1, "docProps/core.xml"): "creator: Clara Jensen\nlastModifiedBy: Bo Li"}
    assert out.pages == 1 and ctx.warnings == []


def test_docx_embedded_picture_goes_through_ocr() -> None:
    out = extract(make_docx())
    ocr = [s for s in out.segments if s.source == "ocr"]
    assert len(ocr) == 1 and out.ocr_pages == 1 and len(out.images) == 1
    assert ocr[0].text == OCR_TEXT and ocr[0].page == 1
    assert ocr[0].origin is not None and ocr[0].origin.startswith("word/media/")
    assert ocr[0].bbox_for(6, 11) == BBox(110, 10, 90, 20)


def test_docx_vector_art_is_skipped_and_a_broken_picture_is_a_warning() -> None:
    emf = b"\x01\x00\x00\x00" + bytes(200)
    data = rezip(make_docx(), {"word/media/logo.emf": emf, "word/media/broken.png": png()[:40]})
    ctx = make_ctx()
    out = extract(data, ctx)
    assert len([s for s in out.segments if s.source == "ocr"]) == 1
    assert [(w.code, w.origin) for w in ctx.warnings] == [("corrupt_file", "word/media/broken.png")]


def test_docx_tracked_deletions_text_boxes_and_content_controls() -> None:
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = (
        f'<w:document xmlns:w="{w}"><w:body>'
        "<w:p><w:r><w:t>Kept</w:t></w:r><w:del><w:r><w:delText> Deleted Name</w:delText></w:r></w:del></w:p>"
        "<w:sdt><w:sdtContent><w:p><w:r><w:t>In a control</w:t></w:r></w:p></w:sdtContent></w:sdt>"
        "<w:p><w:pPr><w:tabs><w:tab w:val='left' w:pos='720'/></w:tabs></w:pPr><w:r><w:t>Anchor</w:t>"
        "<w:pict><w:txbxContent><w:p><w:r><w:t>Boxed text</w:t></w:r></w:p></w:txbxContent></w:pict>"
        "</w:r></w:p>"
        '<w:p><w:r><w:instrText>HYPERLINK "x"</w:instrText><w:t>Shown</w:t></w:r></w:p>'
        "</w:body></w:document>"
    )
    data = minimal_package({"word/document.xml": body.encode()})
    assert segments(extract(data))[(1, None)].splitlines() == [
        "Kept Deleted Name",
        "In a control",
        "Anchor",
        "Boxed text",
        "Shown",
    ]


def test_docx_entities_are_never_expanded() -> None:
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">'
        '<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        f'<w:document xmlns:w="{w}"><w:body><w:p><w:r><w:t>Hello &lol2;&xxe; world</w:t></w:r></w:p>'
        "</w:body></w:document>"
    )
    out = extract(minimal_package({"word/document.xml": body.encode()}))
    assert segments(out)[(1, None)] == "Hello  world"


def minimal_package(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        for name, body in parts.items():
            zf.writestr(name, body)
    return buf.getvalue()


def test_broken_optional_part_is_a_warning() -> None:
    ctx = make_ctx()
    out = extract(rezip(make_docx(), {"word/footer1.xml": b"<w:ftr><unclosed"}), ctx)
    assert (1, None) in segments(out) and (1, "word/footer1.xml") not in segments(out)
    assert [(w.code, w.origin) for w in ctx.warnings] == [("corrupt_file", "word/footer1.xml")]


def test_broken_main_part_is_corrupt() -> None:
    with pytest.raises(CorruptFileError) as err:
        extract(rezip(make_docx(), {"word/document.xml": b"<w:document><w:body>"}))
    assert err.value.code == "corrupt_file"


def test_truncated_docx_is_corrupt() -> None:
    data = make_docx()
    with pytest.raises(CorruptFileError) as err:
        extract(data[: len(data) // 2])
    assert err.value.code == "corrupt_file"


def test_zip_without_a_main_part_is_corrupt() -> None:
    with pytest.raises(CorruptFileError):
        extract(minimal_package({"word/styles.xml": b"<x/>"}))


def test_encrypted_ooxml_container() -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500)
    with pytest.raises(EncryptedFileError) as err:
        extract(ole + "EncryptedPackage".encode("utf-16-le") + bytes(100))
    assert err.value.code == "encrypted_file"
    with pytest.raises(UnsupportedTypeError) as legacy:
        extract(ole)
    assert legacy.value.code == "unsupported_type"


def test_office_files_obey_the_archive_limits() -> None:
    data = make_docx()
    with pytest.raises(ArchiveLimitError) as err:
        extract(data, make_ctx(Settings(zip_max_members=3)))
    assert err.value.code == "archive_limit"
    with pytest.raises(ArchiveLimitError):
        extract(data, make_ctx(Settings(zip_max_depth=2), depth=2))
    bomb = rezip(data, {"word/media/zeros.png": bytes(20 * 1024 * 1024)})
    with pytest.raises(ArchiveLimitError):
        extract(bomb)


# --- XLSX --------------------------------------------------------------------------------------


def make_xlsx() -> bytes:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.drawing.image import Image as SheetImage

    wb = Workbook()
    staff = wb.active
    staff.title = "Staff"
    staff.append(["name", "email", "phone", "born"])
    staff.append(["Clara Jensen", EMAIL, 447700900123, date(1990, 5, 17)])
    staff["A2"].comment = Comment("Left in March", "Rita Reviewer")
    contacts = wb.create_sheet("Contacts")
    contacts.append(["Bo Li", "bo@example.org", 3.25, True])
    contacts.append([None, None, None])
    contacts.append(["", "second row"])
    contacts.add_image(SheetImage(io.BytesIO(png())), "E5")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_sheets_are_pages() -> None:
    ctx = make_ctx()
    out = extract(make_xlsx(), ctx)
    text = segments(out)
    assert text[(1, "Staff")].splitlines() == [
        "name | email | phone | born",
        f"Clara Jensen | {EMAIL} | 447700900123 | 1990-05-17",
    ]
    assert text[(2, "Contacts")].splitlines() == ["Bo Li | bo@example.org | 3.25 | TRUE", "second row"]
    comments = [t for (page, origin), t in text.items() if page == 1 and origin and "comment" in origin]
    assert comments and "Rita Reviewer" in comments[0] and "Left in March" in comments[0]
    assert out.pages == 2 and ctx.warnings == []


def test_xlsx_picture_takes_the_page_of_its_sheet() -> None:
    out = extract(make_xlsx())
    ocr = [s for s in out.segments if s.source == "ocr"]
    assert [(s.page, s.text) for s in ocr] == [(2, OCR_TEXT)]
    assert ocr[0].origin is not None and ocr[0].origin.startswith("xl/media/")


def test_xlsx_inline_strings_numbers_and_1904_dates() -> None:
    s = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    r = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
    workbook = (
        f'<workbook xmlns="{s}" xmlns:r="{r}"><workbookPr date1904="1"/>'
        '<sheets><sheet name="Only" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel}" Target="worksheets/sheet1.xml"/></Relationships>'
    )
    styles = (
        f'<styleSheet xmlns="{s}"><numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/>'
        '</numFmts><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164"/></cellXfs></styleSheet>'
    )
    sheet = (
        f'<worksheet xmlns="{s}"><sheetData><row r="1">'
        '<c r="A1" t="inlineStr"><is><r><t>Clara </t></r><r><t>Jensen</t></r></is></c>'
        '<c r="B1"><v>4.4770090012300E+11</v></c>'
        '<c r="C1" s="1"><v>31869</v></c>'
        '<c r="D1" t="e"><v>#N/A</v></c>'
        '<c r="E1" t="str"><f>A1</f><v>formula text</v></c>'
        "</row></sheetData></worksheet>"
    )
    data = minimal_package(
        {
            "xl/workbook.xml": workbook.encode(),
            "xl/_rels/workbook.xml.rels": rels.encode(),
            "xl/styles.xml": styles.encode(),
            "xl/worksheets/sheet1.xml": sheet.encode(),
        }
    )
    assert segments(extract(data)) == {(1, "Only"): "Clara Jensen | 447700900123 | 1991-04-03 | formula text"}


def test_xlsx_broken_sheet_is_corrupt() -> None:
    data = rezip(make_xlsx(), {"xl/worksheets/sheet2.xml": b"<worksheet><sheetData><row>"})
    with pytest.raises(CorruptFileError):
        extract(data)


# --- PPTX --------------------------------------------------------------------------------------


def make_pptx() -> bytes:
    from pptx import Presentation
    from pptx.util import Inches

    prs = Presentation()
    first = prs.slides.add_slide(prs.slide_layouts[5])
    first.shapes.title.text = "Agenda"
    rows = first.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(6), Inches(1)).table
    for (row, col), text in {(0, 0): "Name", (0, 1): "Phone", (1, 0): "Clara Jensen", (1, 1): PHONE}.items():
        rows.cell(row, col).text = text
    second = prs.slides.add_slide(prs.slide_layouts[6])
    box = second.shapes.add_textbox(Inches(1), Inches(1), Inches(6), Inches(1))
    box.text_frame.text = f"Contact {EMAIL}"
    box.text_frame.add_paragraph().text = "Second paragraph"
    second.shapes.add_picture(io.BytesIO(png()), Inches(1), Inches(3))
    second.notes_slide.notes_text_frame.text = "Speaker: mention Bo Li"
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def test_pptx_slides_are_pages_with_notes() -> None:
    ctx = make_ctx()
    out = extract(make_pptx(), ctx)
    assert segments(out) == {
        (1, None): f"Agenda\nName | Phone\nClara Jensen | {PHONE}",
        (2, None): f"Contact {EMAIL}\nSecond paragraph",
        (2, "notes"): "Speaker: mention Bo Li",
    }
    assert out.pages == 2 and ctx.warnings == []


def test_pptx_picture_takes_the_page_of_its_slide() -> None:
    out = extract(make_pptx())
    ocr = [s for s in out.segments if s.source == "ocr"]
    assert [(s.page, s.text) for s in ocr] == [(2, OCR_TEXT)]
    assert ocr[0].origin is not None and ocr[0].origin.startswith("ppt/media/")


def test_pptx_slide_order_follows_the_presentation_not_file_names() -> None:
    data = make_pptx()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        presentation = zf.read("ppt/presentation.xml").decode()
    start, end = presentation.index("<p:sldIdLst>"), presentation.index("</p:sldIdLst>")
    ids = presentation[start + len("<p:sldIdLst>") : end].split("/>")[:2]
    swapped = presentation[: start + len("<p:sldIdLst>")] + ids[1] + "/>" + ids[0] + "/>" + presentation[end:]
    out = extract(rezip(data, {"ppt/presentation.xml": swapped.encode()}))
    assert segments(out)[(1, None)].startswith("Contact") and (1, "notes") in segments(out)
