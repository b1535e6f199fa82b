"""Plain text, CSV, JSON and HTML: decoded and flattened to readable lines.

The detector works on text, and its context words ("email", "phone") matter, so
each format is rendered to keep a value whole and next to its label: CSV rows
become ``cell | cell`` lines, JSON becomes ``key: value`` lines, and HTML keeps
only what a browser would show (plus ``mailto:``/``tel:`` targets, which are
personal data a link text often hides).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from html.parser import HTMLParser
from typing import Any, ClassVar

from piiscan.scanner import sniff
from piiscan.scanner.errors import UnsupportedTypeError
from piiscan.scanner.extract.base import ExtractContext
from piiscan.scanner.model import Extraction, TextSegment

CELL_SEPARATOR = " | "
"""Between CSV and table cells: unlike a comma it never occurs inside an e-mail or a number."""

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


class TextExtractor:
    """One ``text_layer`` segment on page 1 for every text-like format."""

    media_types: ClassVar[frozenset[str]] = sniff.TEXT_TYPES

    def extract(self, data: bytes, ctx: ExtractContext) -> Extraction:
        media_type = sniff.sniff(data)  # the contract passes bytes only; sniffing text is cheap
        if media_type not in sniff.TEXT_TYPES:
            raise UnsupportedTypeError(f"The text extractor cannot read {media_type}")
        text = decode(data)
        if media_type == sniff.HTML:
            text = html_to_text(text)
        elif media_type == sniff.JSON:
            text = json_to_text(text)
        elif media_type == sniff.CSV:
            text = csv_to_text(text)
        return Extraction(segments=[TextSegment(text=text, page=1, source="text_layer")], pages=1)


def decode(data: bytes) -> str:
    """BOM first, then UTF-8, then cp1252 (what Windows tools write without saying so).

    A UTF-8 file with a stray invalid byte keeps its UTF-8 (one replacement
    character); re-reading all of it as cp1252 would garble every accented letter.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    lenient = data.decode("utf-8", "replace")
    if any(ord(ch) > 0x7F and ch != "\ufffd" for ch in lenient):
        return lenient
    return data.decode("cp1252", "replace")


# --- CSV ---------------------------------------------------------------------------------------


def csv_to_text(text: str) -> str:
    """One line per row, non-empty cells joined by :data:`CELL_SEPARATOR`."""
    sample = "\n".join(text.splitlines()[:50])
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    lines: list[str] = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), dialect):
            cells = [" ".join(cell.split()) for cell in row]
            line = CELL_SEPARATOR.join(cell for cell in cells if cell)
            if line:
                lines.append(line)
    except csv.Error:
        return text  # an over-long or malformed field: the raw text still holds every value
    return "\n".join(lines)


# --- JSON --------------------------------------------------------------------------------------


def json_to_text(text: str) -> str:
    """Indented ``key: value`` lines; numbers keep their source spelling (no 1e5 -> 100000.0)."""
    try:
        value = json.loads(text.lstrip("\ufeff"), parse_float=_Raw, parse_int=_Raw, parse_constant=_Raw)
        lines: list[str] = []
        _render_json(value, 0, lines)
    except (ValueError, RecursionError):
        return text
    return "\n".join(lines)


class _Raw(str):
    """A JSON number or constant kept as written."""


def _render_json(value: Any, indent: int, lines: list[str]) -> None:
    pad = "  " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                lines.append(f"{pad}{key}:")
                _render_json(item, indent + 1, lines)
            else:
                lines.append(f"{pad}{key}: {_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict | list) and item:
                lines.append(f"{pad}-")
                _render_json(item, indent + 1, lines)
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    else:
        lines.append(f"{pad}{_scalar(value)}")


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return "{}" if isinstance(value, dict) else "[]"
    return str(value)


# --- HTML --------------------------------------------------------------------------------------

_HIDDEN = frozenset({"script", "style", "template"})
"""Only what is never shown: anything else hidden by CSS still counts (better a false alarm)."""
_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "details", "dialog",
        "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
        "h5", "h6", "header", "hr", "html", "legend", "li", "main", "nav", "ol", "option", "p", "pre",
        "section", "summary", "table", "tbody", "tfoot", "thead", "title", "tr", "ul",
    }
)  # fmt: skip
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_WHITESPACE = re.compile(r"\s+")


def html_to_text(text: str) -> str:
    """What a reader sees: no scripts or styles, blocks on their own lines, entities decoded."""
    parser = _VisibleText()
    parser.feed(text)
    parser.close()
    return parser.result()


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._hidden: list[str] = []
        self._pre = 0
        self._cells = 0
        self._link: str | None = None
        self._link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden.append(tag)
            return
        if self._hidden:
            return
        if tag in _BLOCK:
            self._parts.append("\n")
        if tag == "tr":
            self._cells = 0
        elif tag in ("td", "th"):
            if self._cells:
                self._parts.append(CELL_SEPARATOR)
            self._cells += 1
        elif tag == "pre":
            self._pre += 1
        elif tag == "a":
            href = (dict(attrs).get("href") or "").strip()
            scheme, _, target = href.partition(":")
            if scheme.lower() in ("mailto", "tel") and target:
                self._link = target.split("?", 1)[0].strip()
                self._link_text = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._hidden:
            if tag == self._hidden[-1]:
                self._hidden.pop()
            return
        if tag in _BLOCK:
            self._parts.append("\n")
        if tag == "pre" and self._pre:
            self._pre -= 1
        elif tag == "a" and self._link is not None:
            if self._link.lower() not in "".join(self._link_text).lower():
                self._parts.append(f" ({self._link})")
            self._link = None

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if not self._pre:
            data = _WHITESPACE.sub(" ", data)
        self._parts.append(data)
        if self._link is not None:
            self._link_text.append(data)

    def result(self) -> str:
        lines = (_SPACES.sub(" ", line).strip() for line in "".join(self._parts).splitlines())
        return "\n".join(line for line in lines if line)
