"""PDF: the text layer page by page; only pages without text are rendered and OCRed.

OCR costs seconds a page where the text layer costs milliseconds, so a page that
has text is never OCRed.
"""

from __future__ import annotations

import threading
from typing import ClassVar

import pypdfium2 as pdfium

from piiscan.scanner import sniff
from piiscan.scanner.errors import CorruptFileError, EncryptedFileError
from piiscan.scanner.extract.base import ExtractContext
from piiscan.scanner.model import Extraction, TextSegment

_PDFIUM_PASSWORD_ERROR = 4
_MIN_TEXT_CHARS = 16
"""Fewer visible characters than this (a page number, a stamp) means a scanned page."""
_METADATA_KEYS = ("Author", "Creator", "Title", "Subject", "Keywords")

# PDFium is not thread-safe; one document at a time per process.
_pdfium_lock = threading.Lock()


class PdfExtractor:
    media_types: ClassVar[frozenset[str]] = frozenset({sniff.PDF})

    def extract(self, data: bytes, ctx: ExtractContext) -> Extraction:
        settings = ctx.settings
        scale = settings.ocr_dpi / 72.0
        out = Extraction(pages=0)
        to_ocr = []
        with _pdfium_lock:
            pdf = _open(data)
            try:
                meta = _metadata(pdf)
                if meta:
                    out.segments.append(meta)
                count = min(len(pdf), settings.max_pages)
                out.pages = count
                for index in range(count):
                    try:
                        page = pdf[index]
                        textpage = page.get_textpage()
                        text = textpage.get_text_range()
                        textpage.close()
                        if len("".join(text.split())) >= _MIN_TEXT_CHARS:
                            out.segments.append(TextSegment(text=_clean(text), page=index + 1, source="text_layer"))
                        else:
                            to_ocr.append((index + 1, page.render(scale=scale).to_pil()))
                        page.close()
                    except pdfium.PdfiumError as exc:
                        raise CorruptFileError(f"Page {index + 1} of the PDF cannot be read ({exc})") from None
            finally:
                pdf.close()
        for page_no, image in to_ocr:
            rgb = image.convert("RGB")
            out.segments.append(ctx.ocr(rgb, page_no))
            out.images.append(rgb)
            out.ocr_pages += 1
        if out.pages == 0:
            raise CorruptFileError("The PDF has no pages")
        return out


def _open(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == _PDFIUM_PASSWORD_ERROR:
            raise EncryptedFileError("The PDF needs a password") from None
        raise CorruptFileError("The PDF structure cannot be read") from None


def _metadata(pdf: pdfium.PdfDocument) -> TextSegment | None:
    try:
        meta = pdf.get_metadata_dict(skip_empty=True)
    except (pdfium.PdfiumError, ValueError):
        return None
    lines = [f"{key}: {meta[key]}" for key in _METADATA_KEYS if meta.get(key)]
    if not lines:
        return None
    return TextSegment(text="\n".join(lines), page=1, source="metadata", origin="pdf metadata")


def _clean(text: str) -> str:
    """PDFium ends lines with CRLF and marks soft hyphens; offsets must stay simple."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x02", "-").replace("\ufffe", "-")
