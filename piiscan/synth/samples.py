"""Write the sample uploads that ``make run`` scans: synthetic people, real formats.

Every name, number and address here is invented (card and IBAN numbers are the
standard test numbers); run ``python -m piiscan.synth.samples samples`` to rebuild.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

from piiscan.synth.render import image_bytes, image_pdf, td3_mrz, text_image, text_pdf, with_gps_exif


def letter_png() -> bytes:
    lines = [
        "Margaret Whitfield",
        "742 Evergreen Terrace",
        "Springfield, IL 62704",
        "",
        "Dear Mr. Thompson,",
        "",
        "please call me on (217) 555-0147 or write to",
        "margaret.whitfield@example.com about the lease.",
        "",
        "Kind regards,",
        "Margaret Whitfield",
    ]
    return image_bytes(text_image(lines, font_size=30))


def passport_png() -> bytes:
    l1, l2 = td3_mrz("HARTMANN", "LUKAS ANDREAS", "C4X9R2LT7", "UTO", "850316", "M", "310915")
    lines = ["PASSPORT  /  PASSEPORT", "Surname: HARTMANN", "Given names: LUKAS ANDREAS", "", "", l1, l2]
    return image_bytes(text_image(lines, width=1400, font_size=30, mono=True))


def chat_png() -> bytes:
    lines = [
        "#neighbours chat",
        "",
        "dave_k: anyone know where the new guy lives?",
        "tom88: yeah thats Peter Novak, 18 Maple Avenue, Oakland, CA 94610",
        "tom88: his number is (510) 555-0182 lol",
        "dave_k: haha",
    ]
    return image_bytes(text_image(lines, width=1300, font_size=26, background=(240, 242, 245)))


def invoice_pdf() -> bytes:
    return text_pdf(
        [
            ["INVOICE 2026-0412", "Thank you for your order.", "Items: 3 x Widget A, 1 x Widget B"],
            [
                "Payment details",
                "Account holder: Sofia Lindqvist",
                "IBAN: DE89 3704 0044 0532 0130 00",
                "Card on file: 4111 1111 1111 1111",
                "Billing e-mail: sofia.lindqvist@example.org",
            ],
        ],
        metadata={"Author": "Sofia Lindqvist"},
    )


def scan_pdf_named_jpg() -> bytes:
    page = text_image(["Employee record", "Name: Daniel Okafor", "SSN: 536-22-8841"], font_size=32)
    return image_pdf([page])


def clean_png() -> bytes:
    lines = [
        "Lorem ipsum dolor sit amet, consectetur",
        "adipiscing elit, sed do eiusmod tempor.",
        "Version 2.3.1 released on schedule.",
    ]
    return image_bytes(text_image(lines, font_size=30))


def holiday_jpg() -> bytes:
    image = text_image(["Holiday snapshot"], width=800, height=500, font_size=40, background=(120, 170, 220))
    return with_gps_exif(image, 48.858370, 2.294481, artist="Claire Dubois")


def notes_docx() -> bytes:
    from docx import Document

    doc = Document()
    doc.sections[0].header.paragraphs[0].text = "Prepared by Hannah Berger, hannah.berger@example.net"
    doc.add_paragraph("Meeting notes: quarterly planning.")
    table = doc.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Contact"
    table.cell(0, 1).text = "Phone"
    table.cell(1, 0).text = "Oliver Grant"
    table.cell(1, 1).text = "+44 20 7946 0958"
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def bundle_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("readme.txt", "Shipping list for order 2231. No personal data here.")
        zf.writestr("contacts.csv", "name,email\nRavi Menon,ravi.menon@example.com\n")
    return buf.getvalue()


SAMPLES = {
    "letter.png": letter_png,
    "passport.png": passport_png,
    "chat-screenshot.png": chat_png,
    "invoice.pdf": invoice_pdf,
    "scan-really-a-pdf.jpg": scan_pdf_named_jpg,
    "clean-notice.png": clean_png,
    "holiday.jpg": holiday_jpg,
    "notes.docx": notes_docx,
    "bundle.zip": bundle_zip,
}


def write_samples(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in SAMPLES.items():
        path = folder / name
        path.write_bytes(build())
        written.append(path)
    return written


if __name__ == "__main__":
    for written in write_samples(Path(sys.argv[1] if len(sys.argv) > 1 else "samples")):
        print(written)
