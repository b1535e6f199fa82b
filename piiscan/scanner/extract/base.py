"""The extractor contract: one plug-in point for every file format.

An extractor declares the media types it reads and turns bytes into an
:class:`~piiscan.scanner.model.Extraction`. It raises only
:class:`~piiscan.scanner.errors.ScanError` subclasses for bad input; the pipeline
turns those into outcomes. Containers (archives, office files with pictures) hand
their members back through :meth:`ExtractContext.extract_nested`, which sniffs
and dispatches them like top-level files and enforces the nesting depth.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar, Protocol, runtime_checkable

from PIL import Image

from piiscan.scanner.model import Extraction, TextSegment
from piiscan.settings import Settings


@dataclass(slots=True)
class Warning_:
    """A part of a file that could not be read while the rest was (a corrupt archive member)."""

    code: str
    message: str
    origin: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "origin": self.origin}


@dataclass(slots=True)
class ExtractContext:
    """What an extractor may use: settings, OCR, and a way to read nested files."""

    settings: Settings
    ocr: Callable[[Image.Image, int], TextSegment]
    """OCR one page image: ``ocr(image, page) -> TextSegment`` with word boxes."""
    extract_nested: Callable[[bytes, str, ExtractContext], Extraction]
    """Sniff and extract member bytes: ``extract_nested(data, origin, ctx)``."""
    depth: int = 0
    warnings: list[Warning_] = field(default_factory=list)

    def child(self) -> ExtractContext:
        return ExtractContext(
            settings=self.settings,
            ocr=self.ocr,
            extract_nested=self.extract_nested,
            depth=self.depth + 1,
            warnings=self.warnings,
        )


@runtime_checkable
class Extractor(Protocol):
    media_types: ClassVar[frozenset[str]]

    def extract(self, data: bytes, ctx: ExtractContext) -> Extraction: ...
