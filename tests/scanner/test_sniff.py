from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image

from piiscan.scanner import sniff as s
from piiscan.scanner.errors import EmptyFileError, UnsupportedTypeError
from piiscan.synth.render import image_pdf, text_image, text_pdf


def _image(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buf, format=fmt)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [("PNG", s.PNG), ("JPEG", s.JPEG), ("GIF", s.GIF), ("WEBP", s.WEBP), ("BMP", s.BMP), ("TIFF", s.TIFF)],
)
def test_images_by_magic(fmt: str, expected: str) -> None:
    assert s.sniff(_image(fmt)) == expected


def test_pdfs() -> None:
    assert s.sniff(text_pdf([["hello"]])) == s.PDF
    assert s.sniff(image_pdf([text_image(["hi"])])) == s.PDF


def _ooxml(part: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr(part, "<x/>")
    return buf.getvalue()


def test_office_and_zip() -> None:
    assert s.sniff(_ooxml("word/document.xml")) == s.DOCX
    assert s.sniff(_ooxml("xl/workbook.xml")) == s.XLSX
    assert s.sniff(_ooxml("ppt/presentation.xml")) == s.PPTX
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.txt", "hello")
    assert s.sniff(buf.getvalue()) == s.ZIP


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"Dear John,\nthanks for the call.\n", s.TEXT),
        (b'{"name": "x", "n": [1, 2]}', s.JSON),
        (b"<!DOCTYPE html><html><body><p>Hi</p></body></html>", s.HTML),
        (b"name,email,phone\nA,a@example.com,1\nB,b@example.com,2\n", s.CSV),
        ("Grüße aus München\n".encode("utf-16"), s.TEXT),
        ("Grüße aus München\n".encode("cp1252"), s.TEXT),
    ],
)
def test_text_kinds(data: bytes, expected: str) -> None:
    assert s.sniff(data) == expected


def test_empty_and_binary_garbage() -> None:
    with pytest.raises(EmptyFileError) as empty:
        s.sniff(b"")
    assert empty.value.code == "empty_file"
    with pytest.raises(UnsupportedTypeError) as garbage:
        s.sniff(bytes(range(256)) * 8)
    assert garbage.value.code == "unsupported_type"
