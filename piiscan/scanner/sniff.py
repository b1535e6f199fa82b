"""Tell a file's real type from its bytes, never from its name.

Uploaders rename files (a PDF called ``photo.jpg``), so the name is ignored.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile

from piiscan.scanner.errors import EmptyFileError, UnsupportedTypeError

PNG = "image/png"
JPEG = "image/jpeg"
GIF = "image/gif"
WEBP = "image/webp"
BMP = "image/bmp"
TIFF = "image/tiff"
PDF = "application/pdf"
ZIP = "application/zip"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
TEXT = "text/plain"
CSV = "text/csv"
JSON = "application/json"
HTML = "text/html"

IMAGE_TYPES = frozenset({PNG, JPEG, GIF, WEBP, BMP, TIFF})
OFFICE_TYPES = frozenset({DOCX, XLSX, PPTX})
TEXT_TYPES = frozenset({TEXT, CSV, JSON, HTML})

_MAGIC: list[tuple[bytes, str]] = [
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
    (b"BM", BMP),
]
_OFFICE_PARTS = {"word/document.xml": DOCX, "xl/workbook.xml": XLSX, "ppt/presentation.xml": PPTX}
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<div", b"<p>", b"<table")


def sniff(data: bytes) -> str:
    """Return the media type of ``data`` or raise :class:`UnsupportedTypeError`."""
    if not data:
        raise EmptyFileError()
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    for magic, media_type in _MAGIC:
        if data.startswith(magic):
            if media_type == BMP and len(data) < 26:
                break
            return media_type
    if b"%PDF-" in data[:1024]:
        return PDF
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return _sniff_zip(data)
    text = _decode_text(data)
    if text is not None:
        return _sniff_text(text)
    raise UnsupportedTypeError("The file's bytes match no supported format")


def _sniff_zip(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return ZIP  # the archive extractor reports the damage with its own code
    if "[Content_Types].xml" in names:
        for part, media_type in _OFFICE_PARTS.items():
            if part in names:
                return media_type
    return ZIP


def _decode_text(data: bytes) -> str | None:
    head = data[:65536]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return head.decode("utf-16")
        except UnicodeDecodeError:
            return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a multi-byte character cut at 64 KiB
            try:
                text = head.decode("cp1252")
            except UnicodeDecodeError:
                return None
        else:
            text = head[: exc.start].decode("utf-8")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    if "\x00" in text or controls > max(2, len(text) // 100):
        return None
    return text


def _sniff_text(text: str) -> str:
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped[:1] in ("{", "["):
        try:
            json.loads(stripped)
            return JSON
        except (ValueError, RecursionError):
            pass
    lower = stripped[:2048].lower().encode("utf-8", "ignore")
    if any(marker in lower for marker in _HTML_MARKERS):
        return HTML
    lines = [line for line in stripped.splitlines()[:20] if line.strip()]
    if len(lines) >= 2:
        try:
            dialect = csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|")
        except csv.Error:
            return TEXT
        try:
            widths = {len(row) for row in csv.reader(lines, dialect)}
        except csv.Error:
            return TEXT
        if len(widths) == 1 and widths.pop() >= 2:
            return CSV
    return TEXT
