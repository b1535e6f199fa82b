"""The data that flows through the scanner, and the report contract (GUIDE section 4).

Extractors produce :class:`TextSegment` objects (text plus where each word sits);
the detector turns them into :class:`Finding` objects; the pipeline wraps those in
a :class:`ScanResult`. Raw values live only in ``Finding.text`` and are dropped
from reports unless the caller asks to reveal them.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any, Literal

Source = Literal["text_layer", "ocr", "metadata", "barcode"]
Verdict = Literal[
    "clean",
    "personal_data",
    "own_data",
    "third_party_data",
    "sensitive_document",
    "abusive",
    "illegal",
    "error",
]
Severity = Literal["none", "low", "medium", "high", "critical"]
SEVERITY_ORDER: dict[str, int] = {"none": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


@dataclass(frozen=True, slots=True)
class BBox:
    """A rectangle in pixels of the page image, origin top left."""

    left: int
    top: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.left + self.width

    @property
    def bottom(self) -> int:
        return self.top + self.height

    def union(self, other: BBox) -> BBox:
        left, top = min(self.left, other.left), min(self.top, other.top)
        right, bottom = max(self.right, other.right), max(self.bottom, other.bottom)
        return BBox(left, top, right - left, bottom - top)

    def scaled(self, factor: float) -> BBox:
        return BBox(
            round(self.left * factor),
            round(self.top * factor),
            round(self.width * factor),
            round(self.height * factor),
        )

    def to_dict(self) -> dict[str, int]:
        return {"left": self.left, "top": self.top, "width": self.width, "height": self.height}


@dataclass(frozen=True, slots=True)
class Word:
    """One OCR word: its character span in the segment text, its box and confidence (0-100)."""

    start: int
    end: int
    bbox: BBox
    conf: float


@dataclass(slots=True)
class TextSegment:
    """A run of text from one page and one source, with word boxes when it came from OCR."""

    text: str
    page: int
    source: Source
    words: list[Word] = field(default_factory=list)
    origin: str | None = None
    """Where inside the file: an archive member, an embedded image, a metadata field."""
    language: str | None = None

    def bbox_for(self, start: int, end: int) -> BBox | None:
        """Union of the boxes of the words overlapping ``[start, end)``, or None without boxes."""
        if not self.words:
            return None
        starts = [w.start for w in self.words]
        i = max(bisect.bisect_right(starts, start) - 1, 0)
        box: BBox | None = None
        for word in self.words[i:]:
            if word.start >= end:
                break
            if word.end > start:
                box = word.bbox if box is None else box.union(word.bbox)
        return box

    def mean_conf(self, start: int, end: int) -> float | None:
        confs = [w.conf for w in self.words if w.start < end and w.end > start]
        return sum(confs) / len(confs) if confs else None


@dataclass(slots=True)
class Extraction:
    """What an extractor read from one file."""

    segments: list[TextSegment] = field(default_factory=list)
    pages: int = 1
    ocr_pages: int = 0
    images: list[Any] = field(default_factory=list)
    """Decoded page images kept for perceptual hashing and previews (PIL images)."""


@dataclass(slots=True)
class Finding:
    """One detected piece of personal data. ``text`` is the raw value: never persisted or logged."""

    entity_type: str
    score: float
    page: int
    source: Source
    text: str
    masked: str
    start: int
    end: int
    bbox: BBox | None = None
    origin: str | None = None
    recognizer: str | None = None

    def to_dict(self, reveal: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "entity_type": self.entity_type,
            "score": round(self.score, 3),
            "page": self.page,
            "source": self.source,
            "masked": self.masked,
        }
        if self.bbox is not None:
            out["bbox"] = self.bbox.to_dict()
        else:
            out["start"], out["end"] = self.start, self.end
        if self.origin:
            out["origin"] = self.origin
        if reveal:
            out["text"] = self.text
        return out


@dataclass(frozen=True, slots=True)
class RuleHit:
    """A rule that fired, with a reason a reviewer can act on."""

    id: str
    verdict: Verdict
    severity: Severity
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "verdict": self.verdict, "severity": self.severity, "reason": self.reason}


@dataclass(slots=True)
class ScanResult:
    """The report for one input, the contract the CLI, the API and the store share."""

    source: str
    sha256: str | None
    media_type: str | None
    size: int
    pages: int
    verdict: Verdict
    severity: Severity
    findings: list[Finding] = field(default_factory=list)
    rules: list[RuleHit] = field(default_factory=list)
    rule_pack_version: str | None = None
    error: dict[str, str] | None = None
    warnings: list[dict[str, str | None]] = field(default_factory=list)
    """Parts of the file that could not be read while the rest was (a corrupt archive member)."""
    elapsed_ms: float = 0.0

    @property
    def flagged(self) -> bool:
        return self.verdict not in ("clean", "error")

    def to_dict(self, reveal: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "source": self.source,
            "sha256": self.sha256,
            "media_type": self.media_type,
            "size": self.size,
            "pages": self.pages,
            "verdict": self.verdict,
            "severity": self.severity,
            "findings": [f.to_dict(reveal) for f in self.findings],
            "rules": [r.to_dict() for r in self.rules],
            "rule_pack_version": self.rule_pack_version,
            "elapsed_ms": round(self.elapsed_ms, 1),
        }
        if self.error is not None:
            out["error"] = self.error
        if self.warnings:
            out["warnings"] = self.warnings
        return out
