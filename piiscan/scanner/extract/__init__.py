"""The registry that picks an extractor by sniffed media type, and nested dispatch."""

from __future__ import annotations

from piiscan.scanner.errors import FileTooLargeError, UnsupportedTypeError
from piiscan.scanner.extract.archive import ZipExtractor
from piiscan.scanner.extract.base import ExtractContext, Extractor, Warning_
from piiscan.scanner.extract.images import ImageExtractor
from piiscan.scanner.extract.office import OfficeExtractor
from piiscan.scanner.extract.pdf import PdfExtractor
from piiscan.scanner.extract.text import TextExtractor
from piiscan.scanner.model import Extraction
from piiscan.scanner.sniff import sniff

__all__ = ["EXTRACTORS", "ExtractContext", "Extractor", "Warning_", "extract", "extract_nested", "extractor_for"]

EXTRACTORS: tuple[Extractor, ...] = (
    ImageExtractor(),
    PdfExtractor(),
    OfficeExtractor(),
    TextExtractor(),
    ZipExtractor(),
)


def extractor_for(media_type: str) -> Extractor:
    for extractor in EXTRACTORS:
        if media_type in extractor.media_types:
            return extractor
    raise UnsupportedTypeError(f"No extractor reads {media_type}")


def extract(data: bytes, media_type: str, ctx: ExtractContext) -> Extraction:
    return extractor_for(media_type).extract(data, ctx)


def extract_nested(data: bytes, origin: str, ctx: ExtractContext) -> Extraction:
    """Read a file found inside another (archive member, embedded picture) like a top-level one."""
    if len(data) > ctx.settings.max_file_bytes:
        raise FileTooLargeError(f"A member is {len(data)} bytes")
    extraction = extract(data, sniff(data), ctx)
    for segment in extraction.segments:
        segment.origin = f"{origin}/{segment.origin}" if segment.origin else origin
    return extraction
