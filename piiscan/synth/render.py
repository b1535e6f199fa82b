"""Builders for synthetic uploads: text rendered into images and PDFs, MRZ lines, EXIF.

Used by the shipped samples, the tests (which build their inputs at run time),
the labelled corpus generator and the benchmarks, so every one of them exercises
the same real formats.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu")


@lru_cache(maxsize=32)
def font(size: int, mono: bool = False, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    name = "DejaVuSansMono" if mono else "DejaVuSans"
    if bold:
        name += "-Bold"
    for folder in _FONT_DIRS:
        path = Path(folder) / f"{name}.ttf"
        if path.exists():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def text_image(
    lines: Sequence[str],
    width: int = 1240,
    height: int | None = None,
    font_size: int = 28,
    margin: int = 60,
    mono: bool = False,
    background: str | tuple[int, int, int] = "white",
    color: str | tuple[int, int, int] = "black",
    line_gap: float = 1.5,
) -> Image.Image:
    """Draw lines of text top-down; ``height`` defaults to what the lines need."""
    face = font(font_size, mono)
    step = int(font_size * line_gap)
    if height is None:
        height = margin * 2 + step * max(len(lines), 1)
    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)
    y = margin
    for line in lines:
        draw.text((margin, y), line, font=face, fill=color)
        y += step
    return image


def image_bytes(image: Image.Image, fmt: str = "PNG", **params: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **params)
    return buf.getvalue()


def _pdf_escape(text: str) -> bytes:
    raw = text.encode("cp1252", "replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def text_pdf(pages: Sequence[Sequence[str]], font_size: int = 11, metadata: dict[str, str] | None = None) -> bytes:
    """A minimal, valid PDF with a real text layer (Helvetica), one list of lines per page."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below
    pages_obj = add(b"")
    font_obj = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    kids: list[int] = []
    for lines in pages:
        ops = [b"BT", f"/F1 {font_size} Tf".encode(), f"{font_size * 1.4:.1f} TL".encode(), b"50 790 Td"]
        for line in lines:
            ops.append(b"(" + _pdf_escape(line) + b") Tj T*")
        ops.append(b"ET")
        stream = zlib.compress(b"\n".join(ops))
        content = add(f"<< /Length {len(stream)} /Filter /FlateDecode >>\nstream\n".encode() + stream + b"\nendstream")
        kids.append(
            add(
                f"<< /Type /Page /Parent {pages_obj} 0 R /MediaBox [0 0 595 842] "
                f"/Resources << /Font << /F1 {font_obj} 0 R >> >> /Contents {content} 0 R >>".encode()
            )
        )
    objects[catalog - 1] = f"<< /Type /Catalog /Pages {pages_obj} 0 R >>".encode()
    kid_refs = " ".join(f"{k} 0 R" for k in kids)
    objects[pages_obj - 1] = f"<< /Type /Pages /Kids [{kid_refs}] /Count {len(kids)} >>".encode()
    info = None
    if metadata:
        entries = b" ".join(b"/" + k.encode() + b" (" + _pdf_escape(v) + b")" for k, v in metadata.items())
        info = add(b"<< " + entries + b" >>")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R"
    if info:
        trailer += f" /Info {info} 0 R"
    out += f"{trailer} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def image_pdf(images: Sequence[Image.Image], resolution: float = 150.0) -> bytes:
    """A PDF of scanned pages: images only, no text layer."""
    buf = io.BytesIO()
    first, *rest = [im.convert("RGB") for im in images]
    first.save(buf, format="PDF", save_all=True, append_images=rest, resolution=resolution)
    return buf.getvalue()


_MRZ_VALUES = {**{str(d): d for d in range(10)}, **{chr(65 + i): 10 + i for i in range(26)}, "<": 0}


def mrz_check_digit(field: str) -> str:
    weights = (7, 3, 1)
    return str(sum(_MRZ_VALUES[c] * weights[i % 3] for i, c in enumerate(field)) % 10)


def _mrz_field(value: str, length: int) -> str:
    cleaned = "".join(c if c.isalnum() else "<" for c in value.upper())
    return cleaned[:length].ljust(length, "<")


def td3_mrz(
    surname: str,
    given: str,
    number: str,
    country: str,
    birth: str,
    sex: str,
    expiry: str,
    personal: str = "",
) -> tuple[str, str]:
    """The two 44-character lines of a passport (ICAO 9303 TD3); dates as YYMMDD."""
    name = _mrz_field(f"{surname}<<{given.replace(' ', '<')}", 39)
    line1 = f"P<{_mrz_field(country, 3)}{name}"
    doc = _mrz_field(number, 9)
    pers = _mrz_field(personal, 14)
    parts = [
        doc + mrz_check_digit(doc),
        _mrz_field(country, 3),
        birth + mrz_check_digit(birth),
        sex,
        expiry + mrz_check_digit(expiry),
        pers + mrz_check_digit(pers),
    ]
    composite = parts[0] + parts[2] + parts[4] + parts[5]
    line2 = "".join(parts) + mrz_check_digit(composite)
    return line1, line2


def td1_mrz(
    surname: str, given: str, number: str, country: str, birth: str, sex: str, expiry: str
) -> tuple[str, str, str]:
    """The three 30-character lines of an ID card (ICAO 9303 TD1)."""
    doc = _mrz_field(number, 9)
    line1 = f"I<{_mrz_field(country, 3)}{doc}{mrz_check_digit(doc)}" + "<" * 15
    b, e = birth + mrz_check_digit(birth), expiry + mrz_check_digit(expiry)
    body = f"{b}{sex}{e}{_mrz_field(country, 3)}" + "<" * 11
    composite = line1[5:30] + body[0:7] + body[8:15] + body[18:29]
    line2 = body + mrz_check_digit(composite)
    line3 = _mrz_field(f"{surname}<<{given.replace(' ', '<')}", 30)
    return line1, line2, line3


def with_gps_exif(image: Image.Image, lat: float, lon: float, artist: str | None = None) -> bytes:
    """A JPEG carrying EXIF GPS (and optionally Artist), as a phone would write it."""
    exif = Image.Exif()

    def dms(value: float) -> tuple[float, float, float]:
        value = abs(value)
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        seconds = round((value - degrees - minutes / 60) * 3600, 4)
        return (float(degrees), float(minutes), seconds)

    gps = {1: "N" if lat >= 0 else "S", 2: dms(lat), 3: "E" if lon >= 0 else "W", 4: dms(lon)}
    exif[0x8825] = gps
    if artist:
        exif[0x013B] = artist
    return image_bytes(image.convert("RGB"), "JPEG", exif=exif, quality=90)


def text_docx(paragraphs: Sequence[str]) -> bytes:
    """A Word document with one paragraph per line (python-docx)."""
    from docx import Document

    doc = Document()
    for paragraph in paragraphs:
        doc.add_paragraph(paragraph)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
