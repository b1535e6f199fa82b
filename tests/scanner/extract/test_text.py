"""Text, CSV, JSON and HTML extraction: values stay whole and findable."""

from __future__ import annotations

import codecs

import pytest
from PIL import Image

from piiscan.scanner.errors import UnsupportedTypeError
from piiscan.scanner.extract.base import ExtractContext
from piiscan.scanner.extract.text import TextExtractor, csv_to_text, decode, json_to_text
from piiscan.scanner.model import Extraction, TextSegment
from piiscan.settings import Settings

EMAIL = "clara.jensen@example.com"


def _no_ocr(image: Image.Image, page: int) -> TextSegment:
    raise AssertionError("text never needs OCR")


def _no_nested(data: bytes, origin: str, ctx: ExtractContext) -> Extraction:
    raise AssertionError("text has no members")


def extract(data: bytes) -> TextSegment:
    ctx = ExtractContext(settings=Settings(), ocr=_no_ocr, extract_nested=_no_nested)
    out = TextExtractor().extract(data, ctx)
    assert out.pages == 1 and len(out.segments) == 1
    segment = out.segments[0]
    assert segment.page == 1 and segment.source == "text_layer" and segment.origin is None
    return segment


def test_plain_text_is_kept_as_is() -> None:
    data = f"Dear Clara,\nwrite to {EMAIL}.\n".encode()
    assert extract(data).text == data.decode()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-32", "cp1252"])
def test_encodings(encoding: str) -> None:
    text = "Grüße aus München, Zoë Müller\n"
    assert extract(text.encode(encoding)).text == text


def test_big_endian_utf16_with_bom() -> None:
    text = "Zoë Müller\n"
    assert extract(codecs.BOM_UTF16_BE + text.encode("utf-16-be")).text == text


def test_decode_keeps_utf8_with_one_stray_byte() -> None:
    data = "Zoë Müller ".encode() + b"\xff" + " München".encode()
    assert decode(data) == "Zoë Müller \ufffd München"


def test_csv_rows_become_separated_lines() -> None:
    data = f"name,email,note\nClara Jensen,{EMAIL},vip\nBo Li,bo@example.org,\n".encode()
    lines = extract(data).text.splitlines()
    assert lines == ["name | email | note", f"Clara Jensen | {EMAIL} | vip", "Bo Li | bo@example.org"]


def test_csv_quoted_delimiters_and_newlines_stay_in_their_cell() -> None:
    text = f'name,email,note\nClara Jensen,{EMAIL},"likes, commas"\nBo Li,bo@example.org,"two\nlines"\n'
    assert csv_to_text(text).splitlines() == [
        "name | email | note",
        f"Clara Jensen | {EMAIL} | likes, commas",
        "Bo Li | bo@example.org | two lines",
    ]


def test_semicolon_csv() -> None:
    data = f"name;phone\nClara Jensen;+44 20 7946 0958\nBo Li;{EMAIL}\n".encode()
    assert "Clara Jensen | +44 20 7946 0958" in extract(data).text.splitlines()


def test_json_becomes_key_value_lines() -> None:
    data = (
        b'{"customer": {"name": "Clara Jensen", "email": "' + EMAIL.encode() + b'", "id": 1e5,'
        b' "tags": ["vip", {"phone": "+44 20 7946 0958"}], "empty": [], "ok": true, "none": null}}'
    )
    text = extract(data).text
    assert text.splitlines() == [
        "customer:",
        "  name: Clara Jensen",
        f"  email: {EMAIL}",
        "  id: 1e5",
        "  tags:",
        "    - vip",
        "    -",
        "      phone: +44 20 7946 0958",
        "  empty: []",
        "  ok: true",
        "  none: null",
    ]


def test_deep_json_falls_back_to_raw_text() -> None:
    text = "[" * 100_000 + f'"{EMAIL}"' + "]" * 100_000
    assert json_to_text(text) == text


def test_html_visible_text_only() -> None:
    data = (
        "<!DOCTYPE html><html><head><title>Invoice</title><style>p {color: red}</style>"
        "<script>var secret = 'not shown';</script></head><body>"
        "<h1>Customer</h1><p>Name: Clara&nbsp;Jensen &amp; family</p>"
        "<div>Mail <a href='mailto:" + EMAIL + "?subject=hi'>write to us</a></div>"
        "<table><tr><th>Card</th><th>Phone</th></tr><tr><td>4111 1111 1111 1111</td><td>555-0199</td></tr>"
        "</table><p>Line<br>break</p><pre>  keep\n  lines</pre></body></html>"
    ).encode()
    lines = extract(data).text.splitlines()
    assert lines == [
        "Invoice",
        "Customer",
        "Name: Clara Jensen & family",
        f"Mail write to us ({EMAIL})",
        "Card | Phone",
        "4111 1111 1111 1111 | 555-0199",
        "Line",
        "break",
        "keep",
        "lines",
    ]


def test_html_link_text_already_showing_the_address_is_not_repeated() -> None:
    data = f'<html><body><p><a href="mailto:{EMAIL}">{EMAIL}</a></p></body></html>'.encode()
    assert extract(data).text == EMAIL


def test_binary_is_refused_with_a_typed_error() -> None:
    ctx = ExtractContext(settings=Settings(), ocr=_no_ocr, extract_nested=_no_nested)
    with pytest.raises(UnsupportedTypeError) as err:
        TextExtractor().extract(b"\x89PNG\r\n\x1a\n" + bytes(64), ctx)
    assert err.value.code == "unsupported_type"
