"""DOCX, XLSX and PPTX read straight from their OOXML parts.

python-docx and friends see only the main story; personal data also hides in
headers, footers, footnotes, comments, speaker notes, other sheets, document
properties and pasted screenshots. Reading the ZIP and its XML directly covers
every part the same way, and the archive limits apply because an OOXML file is a
ZIP that an attacker controls. XML is parsed without entity expansion, DTDs or
network access (no XXE, no billion laughs).

Elements are matched by local name, so Strict OOXML (other namespace URIs) reads
like Transitional, and DrawingML text in slides (``a:p``/``a:t``) shares the
paragraph logic with WordprocessingML (``w:p``/``w:t``).
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from lxml import etree

from piiscan.scanner import sniff
from piiscan.scanner.errors import (
    CorruptFileError,
    EncryptedFileError,
    ScanError,
    UnsupportedTypeError,
)
from piiscan.scanner.extract.archive import (
    ZipReader,
    check_zip_limits,
    open_zip,
    scan_member,
)
from piiscan.scanner.extract.base import ExtractContext, Warning_
from piiscan.scanner.extract.text import CELL_SEPARATOR
from piiscan.scanner.model import Extraction, TextSegment

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
"""The stream name an Office-encrypted OOXML file carries inside its OLE container."""
_MEDIA_DIRS = ("word/media/", "xl/media/", "ppt/media/")
_EMBED_DIRS = ("word/embeddings/", "xl/embeddings/", "ppt/embeddings/")
_EMBED_TYPES = sniff.OFFICE_TYPES | {sniff.PDF}
"""Embedded packages worth a nested scan (a spreadsheet pasted into a letter); OLE blobs are not."""
_CORE = "docProps/core.xml"
_CORE_FIELDS = ("creator", "lastModifiedBy")

# Elements whose subtree holds formatting, tab stops or field codes, never shown text.
_SKIP = frozenset(
    {"pPr", "rPr", "tblPr", "tblGrid", "trPr", "tcPr", "sectPr", "instrText", "rPh", "tabLst", "tabs",
     "lstStyle", "bodyPr", "endParaRPr", "Fallback", "extLst"}
)  # fmt: skip
_WRAPPERS = frozenset({"sdt", "sdtContent", "customXml", "smartTag", "AlternateContent", "Choice"})
_BUILTIN_DATE_FORMATS = frozenset({*range(14, 23), 45, 46, 47})
_FORMAT_NOISE = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.')
_NATURAL = re.compile(r"(\d+)")


def _parser() -> Any:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, dtd_validation=False
    )


def _local(el: Any) -> str:
    tag = el.tag
    if not isinstance(tag, str):  # comments, processing instructions, unexpanded entities
        return ""
    return tag.rpartition("}")[2]


def _attr(el: Any, name: str) -> str | None:
    """An attribute by local name, whatever its namespace (``w:author`` in either OOXML flavour)."""
    for key, value in el.attrib.items():
        if key.rpartition("}")[2] == name:
            return str(value)
    return None


def _text(el: Any) -> str:
    """A text element's characters; unexpanded entity references and comments are left out."""
    return (el.text or "") + "".join(child.tail or "" for child in el)


def _rid(el: Any) -> str:
    """The ``r:id`` of an element; ``p:sldId`` also has a plain ``id`` that must not win."""
    for key, value in el.attrib.items():
        namespace, _, local = key[1:].partition("}") if key.startswith("{") else ("", "", key)
        if local == "id" and namespace.endswith("relationships"):
            return str(value)
    return ""


def _natural_key(name: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in _NATURAL.split(name)]


@dataclass
class _Package:
    """One open OOXML file: its members, a byte-counting reader and the warnings sink."""

    zf: zipfile.ZipFile
    reader: ZipReader
    ctx: ExtractContext
    members: dict[str, zipfile.ZipInfo]
    media_pages: dict[str, int] = field(default_factory=dict)
    """Media member -> page of the part that shows it (slide, sheet)."""
    _rels: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    """Parsed relationships, so a part read twice is not counted twice against the size limit."""

    def xml(self, name: str, required: bool = False) -> Any:
        """The parsed part; a broken optional part is a warning, a broken required one fails the file."""
        info = self.members.get(name)
        if info is None:
            if required:
                raise CorruptFileError(f"The document part {name} is missing")
            return None
        try:
            data = self.reader.read(info)
            return etree.fromstring(data, _parser())
        except etree.XMLSyntaxError:
            error: ScanError = CorruptFileError(f"The XML of {name} is malformed")
        except ScanError as exc:
            if required or not isinstance(exc, CorruptFileError | EncryptedFileError | UnsupportedTypeError):
                raise
            error = exc
        if required:
            raise error
        self.ctx.warnings.append(Warning_(error.code, error.message, name))
        return None

    def iter_elements(self, name: str, local_name: str) -> Iterator[Any]:
        """Stream the ``local_name`` elements of a required part: a sheet can hold a million rows.

        Each element is cleared once the caller moves on, so memory stays flat.
        """
        info = self.members.get(name)
        if info is None:
            raise CorruptFileError(f"The document part {name} is missing")
        events = etree.iterparse(
            io.BytesIO(self.reader.read(info)),
            events=("end",),
            tag=f"{{*}}{local_name}",
            resolve_entities=False,
            no_network=True,
            huge_tree=False,
            load_dtd=False,
        )
        try:
            for _, el in events:
                yield el
                el.clear()
                while el.getprevious() is not None:
                    del el.getparent()[0]
        except etree.XMLSyntaxError:
            raise CorruptFileError(f"The XML of {name} is malformed") from None

    def rels(self, part: str) -> list[tuple[str, str, str]]:
        """``(id, type suffix, member name)`` of a part's internal relationships."""
        if part in self._rels:
            return self._rels[part]
        folder, base = posixpath.split(part)
        root = self.xml(posixpath.join(folder, "_rels", base + ".rels"))
        out: list[tuple[str, str, str]] = []
        self._rels[part] = out
        if root is None:
            return out
        for rel in root:
            target = rel.get("Target")
            if _local(rel) != "Relationship" or not target or rel.get("TargetMode") == "External":
                continue
            if target.startswith("/"):
                resolved = posixpath.normpath(target.lstrip("/"))
            else:
                resolved = posixpath.normpath(posixpath.join(folder, target))
            if resolved.startswith("../"):
                continue
            kind = (rel.get("Type") or "").rpartition("/")[2]
            out.append((rel.get("Id") or "", kind, resolved))
        return out

    def map_media(self, part: str, page: int) -> None:
        """Remember which page shows each picture of ``part`` (through a drawing for sheets)."""
        for _, kind, target in self.rels(part):
            if kind == "image":
                self.media_pages.setdefault(target, page)
            elif kind in ("drawing", "vmlDrawing", "diagramData", "diagramDrawing", "chart"):
                for _, inner_kind, inner in self.rels(target):
                    if inner_kind == "image":
                        self.media_pages.setdefault(inner, page)

    def named(self, pattern: str) -> list[str]:
        regex = re.compile(pattern)
        return sorted((name for name in self.members if regex.fullmatch(name)), key=_natural_key)


class OfficeExtractor:
    """Text of every story, sheet, slide and note; document authors; OCR of embedded pictures."""

    media_types: ClassVar[frozenset[str]] = sniff.OFFICE_TYPES

    def extract(self, data: bytes, ctx: ExtractContext) -> Extraction:
        if data.startswith(_OLE_MAGIC):
            if _ENCRYPTED_PACKAGE in data:
                raise EncryptedFileError("The Office document is password-protected")
            raise UnsupportedTypeError("Legacy binary Office files (.doc, .xls, .ppt) are not read")
        with open_zip(data) as zf:
            members = check_zip_limits(zf, ctx.settings, ctx.depth)
            pkg = _Package(zf, ZipReader(zf, ctx.settings), ctx, {info.filename: info for info in members})
            read_kind: Callable[[_Package], Extraction]
            if "word/document.xml" in pkg.members:
                read_kind = _read_docx
            elif "xl/workbook.xml" in pkg.members:
                read_kind = _read_xlsx
            elif "ppt/presentation.xml" in pkg.members:
                read_kind = _read_pptx
            else:
                raise CorruptFileError("The file has no Word, Excel or PowerPoint main part")
            out = read_kind(pkg)
            meta = _core_properties(pkg)
            if meta is not None:
                out.segments.append(meta)
            _embedded(pkg, out)
        return out


def _segment(lines: list[str], page: int, origin: str | None) -> TextSegment | None:
    text = "\n".join(line for line in (ln.strip() for ln in lines) if line)
    return TextSegment(text=text, page=page, source="text_layer", origin=origin) if text else None


# --- shared WordprocessingML / DrawingML text ----------------------------------------------------


def _children(el: Any) -> Iterator[Any]:
    """Element children, looking through content controls and markup-compatibility wrappers."""
    for child in el:
        name = _local(child)
        if name in _WRAPPERS:
            yield from _children(child)
        elif name and name not in _SKIP:
            yield child


def block_lines(el: Any) -> list[str]:
    """Paragraphs as lines and table rows as cell-separated lines, in document order."""
    lines: list[str] = []
    for child in _children(el):
        name = _local(child)
        if name == "p":
            lines.extend(_paragraph(child))
        elif name == "tbl":
            lines.extend(_table(child))
        else:
            lines.extend(block_lines(child))
    return lines


def _paragraph(p: Any) -> list[str]:
    """The paragraph's text; text boxes anchored in it follow as lines of their own."""
    parts: list[str] = []
    boxes: list[str] = []

    def walk(el: Any) -> None:
        for child in _children(el):
            name = _local(child)
            if name in ("t", "delText"):  # deleted tracked changes are still in the file
                parts.append(_text(child))
            elif name in ("tab", "ptab"):
                parts.append("\t")
            elif name in ("br", "cr"):
                parts.append("\n")
            elif name == "noBreakHyphen":
                parts.append("-")
            elif name in ("txbxContent", "txBody"):
                boxes.extend(block_lines(child))
            elif name == "tbl":
                boxes.extend(_table(child))
            elif name == "fld" and child.get("type") == "slidenum":
                continue
            else:
                walk(child)

    walk(p)
    return [*"".join(parts).split("\n"), *boxes]


def _table(tbl: Any) -> list[str]:
    lines: list[str] = []
    for row in _children(tbl):
        if _local(row) != "tr":
            continue
        cells = []
        for cell in _children(row):
            if _local(cell) == "tc":
                text = " ".join(" ".join(line.split()) for line in block_lines(cell) if line.strip())
                if text:
                    cells.append(text)
        if cells:
            lines.append(CELL_SEPARATOR.join(cells))
    return lines


# --- DOCX --------------------------------------------------------------------------------------


def _read_docx(pkg: _Package) -> Extraction:
    out = Extraction(pages=1)
    body = pkg.xml("word/document.xml", required=True)
    segment = _segment(block_lines(body), 1, None)
    if segment is not None:
        out.segments.append(segment)
    parts = [
        *pkg.named(r"word/header\d*\.xml"),
        *pkg.named(r"word/footer\d*\.xml"),
        *pkg.named(r"word/(footnotes|endnotes)\.xml"),
    ]
    for part in parts:
        root = pkg.xml(part)
        if root is not None and (segment := _segment(block_lines(root), 1, part)) is not None:
            out.segments.append(segment)
    comments = pkg.xml("word/comments.xml")
    if comments is not None:
        lines: list[str] = []
        for comment in comments:
            author = _attr(comment, "author")
            if author:  # the reviewer's name is personal data too
                lines.append(author)
            lines.extend(block_lines(comment))
        if (segment := _segment(lines, 1, "word/comments.xml")) is not None:
            out.segments.append(segment)
    return out


# --- XLSX --------------------------------------------------------------------------------------


def _read_xlsx(pkg: _Package) -> Extraction:
    workbook = pkg.xml("xl/workbook.xml", required=True)
    targets = {rid: target for rid, _, target in pkg.rels("xl/workbook.xml")}
    date1904 = any(_local(el) == "workbookPr" and el.get("date1904") in ("1", "true") for el in workbook.iter())
    shared = _shared_strings(pkg)
    date_styles = _date_styles(pkg)
    sheets = [el for el in workbook.iter() if _local(el) == "sheet"]
    out = Extraction(pages=max(len(sheets), 1))
    for page, sheet in enumerate(sheets, start=1):
        name = sheet.get("name") or f"Sheet{page}"
        part = targets.get(_rid(sheet))
        if part is None or part not in pkg.members:
            continue
        lines = _sheet_rows(pkg, part, shared, date_styles, date1904)
        if (segment := _segment(lines, page, name)) is not None:
            out.segments.append(segment)
        pkg.map_media(part, page)
        _comments(pkg, part, page, out)
    return out


def _string_item(el: Any) -> str:
    """A shared or inline string: its runs' text, without phonetic guides."""
    return "".join(_text(t) for t in el.iter() if _local(t) == "t" and _local(t.getparent()) != "rPh")


def _shared_strings(pkg: _Package) -> list[str]:
    root = pkg.xml("xl/sharedStrings.xml")
    if root is None:
        return []
    return [_string_item(si) for si in root if _local(si) == "si"]


def _date_styles(pkg: _Package) -> set[int]:
    """Indexes of cell styles that show a number as a date: a birthday is stored as 32874."""
    root = pkg.xml("xl/styles.xml")
    if root is None:
        return set()
    custom: set[int] = set()
    for fmt in root.iter():
        if _local(fmt) == "numFmt" and (fmt_id := fmt.get("numFmtId", "")).isdigit():
            code = _FORMAT_NOISE.sub("", fmt.get("formatCode") or "").lower()
            if any(ch in code for ch in "dmy"):
                custom.add(int(fmt_id))
    styles: set[int] = set()
    for xfs in root:
        if _local(xfs) != "cellXfs":
            continue
        for index, xf in enumerate(x for x in xfs if _local(x) == "xf"):
            fmt_id = xf.get("numFmtId", "0")
            if fmt_id.isdigit() and (int(fmt_id) in _BUILTIN_DATE_FORMATS or int(fmt_id) in custom):
                styles.add(index)
    return styles


def _sheet_rows(pkg: _Package, part: str, shared: list[str], date_styles: set[int], date1904: bool) -> list[str]:
    lines: list[str] = []
    for row in pkg.iter_elements(part, "row"):
        cells = [value for c in row if _local(c) == "c" and (value := _cell(c, shared, date_styles, date1904))]
        if cells:
            lines.append(CELL_SEPARATOR.join(cells))
    return lines


def _cell(c: Any, shared: list[str], date_styles: set[int], date1904: bool) -> str:
    kind = c.get("t", "n")
    if kind == "inlineStr":
        return " ".join(_string_item(child) for child in c if _local(child) == "is").strip()
    raw = next((child.text or "" for child in c if _local(child) == "v"), "").strip()
    if not raw:
        return ""
    if kind == "s":
        index = int(raw) if raw.isdigit() else -1
        return shared[index].strip() if 0 <= index < len(shared) else ""
    if kind in ("str", "d"):
        return raw
    if kind == "b":
        return "TRUE" if raw == "1" else "FALSE"
    if kind == "e":
        return ""
    style = c.get("s", "0")
    if style.isdigit() and int(style) in date_styles:
        as_date = _serial_date(raw, date1904)
        if as_date is not None:
            return as_date
    return _number(raw)


def _number(raw: str) -> str:
    """Whole numbers without exponent or ``.0``: a phone stored as 4.4770090012E+11 is a phone."""
    try:
        value = float(raw)
    except ValueError:
        return raw
    if value.is_integer() and abs(value) < 1e17:
        return str(int(value))
    return raw


def _serial_date(raw: str, date1904: bool) -> str | None:
    try:
        serial = float(raw)
    except ValueError:
        return None
    if not 0 <= serial < 2_958_466:  # Excel's last day is 9999-12-31
        return None
    epoch = datetime(1904, 1, 1) if date1904 else datetime(1899, 12, 30)
    moment = epoch + timedelta(seconds=round(serial * 86400))
    if serial < 1:  # a time of day without a date
        return moment.time().isoformat()
    if moment.hour == moment.minute == moment.second == 0:
        return moment.date().isoformat()
    return moment.isoformat(sep=" ")


# --- PPTX --------------------------------------------------------------------------------------


def _read_pptx(pkg: _Package) -> Extraction:
    presentation = pkg.xml("ppt/presentation.xml", required=True)
    targets = {rid: target for rid, kind, target in pkg.rels("ppt/presentation.xml") if kind == "slide"}
    slides = [targets[rid] for el in presentation.iter() if _local(el) == "sldId" and (rid := _rid(el)) in targets]
    if not slides:  # no usable order: fall back to the file numbers
        slides = pkg.named(r"ppt/slides/slide\d+\.xml")
    out = Extraction(pages=max(len(slides), 1))
    for page, part in enumerate(slides, start=1):
        root = pkg.xml(part, required=True)
        if (segment := _segment(block_lines(root), page, None)) is not None:
            out.segments.append(segment)
        pkg.map_media(part, page)
        for _, kind, target in pkg.rels(part):
            if kind != "notesSlide":
                continue
            notes = pkg.xml(target)
            if notes is not None and (segment := _segment(_notes_lines(notes), page, "notes")) is not None:
                out.segments.append(segment)
            pkg.map_media(target, page)
        _comments(pkg, part, page, out)
    return out


def _notes_lines(root: Any) -> list[str]:
    """Speaker notes without the slide thumbnail and slide-number placeholders."""
    lines: list[str] = []
    for shape in root.iter():
        if _local(shape) != "sp":
            continue
        placeholder = next((el for el in shape.iter() if _local(el) == "ph"), None)
        if placeholder is not None and placeholder.get("type") in ("sldImg", "sldNum", "hdr", "dt"):
            continue
        lines.extend(block_lines(shape))
    return lines


# --- shared: properties and embedded files ------------------------------------------------------


def _core_properties(pkg: _Package) -> TextSegment | None:
    """Author and last editor: names the text itself may never mention."""
    root = pkg.xml(_CORE)
    if root is None:
        return None
    lines = []
    for el in root:
        name = _local(el)
        if name in _CORE_FIELDS and el.text and el.text.strip():
            lines.append(f"{name}: {el.text.strip()}")
    if not lines:
        return None
    return TextSegment(text="\n".join(lines), page=1, source="metadata", origin=_CORE)


def _comments(pkg: _Package, part: str, page: int, out: Extraction) -> None:
    """Cell notes and slide comments: their text and the names of who wrote them."""
    for _, kind, target in pkg.rels(part):
        if kind not in ("comments", "threadedComment"):
            continue
        root = pkg.xml(target)
        if root is not None and (segment := _segment(list(root.itertext()), page, target)) is not None:
            out.segments.append(segment)


def _embedded(pkg: _Package, out: Extraction) -> None:
    """OCR pictures and scan embedded documents through the nested dispatcher."""
    for name, info in pkg.members.items():
        if name.startswith(_MEDIA_DIRS):
            wanted = sniff.IMAGE_TYPES  # EMF/WMF/SVG are vector drawings: nothing to OCR
        elif name.startswith(_EMBED_DIRS):
            wanted = _EMBED_TYPES
        else:
            continue
        if not _sniffs_as(pkg, info, wanted):
            continue
        nested = scan_member(pkg.reader, info, pkg.ctx, name)
        if nested is None:
            continue
        page = pkg.media_pages.get(name, 1)
        for segment in nested.segments:
            segment.page = page
        out.segments.extend(nested.segments)
        out.ocr_pages += nested.ocr_pages
        out.images.extend(nested.images)


def _sniffs_as(pkg: _Package, info: zipfile.ZipInfo, wanted: frozenset[str]) -> bool:
    """Peek at a member's first bytes so that vector art and OLE blobs are never inflated whole."""
    try:
        with pkg.zf.open(info) as fh:
            head = fh.read(4096)
    except (RuntimeError, NotImplementedError, zipfile.BadZipFile, OSError, EOFError, ValueError):
        return True  # let the full read report the damage as a warning
    if not head:
        return False
    if wanted is _EMBED_TYPES and head.startswith(b"PK"):
        return True  # an OOXML package: sniffing needs the whole ZIP
    try:
        return sniff.sniff(head) in wanted
    except ScanError:
        return False
