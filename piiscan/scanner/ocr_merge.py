"""Merging two OCR reads of one page line by line, instead of keeping one whole read.

Each preprocessing pass (levelled, binarised, lighting flattened, polarity evened out, enlarged)
reads some regions of a photo well and others badly: a business card's dark name reads only when
levelled, its white-on-grey phone lines only when polarity is evened out. Keeping the read with
the best overall score threw away every line the other passes alone had read. Here the base read
stays, and a line of another read is added where the base read nothing. A line is judged by its
own confidence, so noise a pass made of a textured background (short, low-confidence "words") is
never added.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol, TypeVar

from piiscan.scanner.model import BBox

MIN_LINE_CONF = 55.0
"""Mean word confidence a line of another read needs before it is added."""
MIN_LINE_CHARS = 4
"""Alphanumeric characters a line needs: shorter ones are mostly specks read as letters."""
OVERLAP = 0.3
"""Share of the smaller of two word boxes they must share to be the same place on the page (words,
not lines, are compared: the boxes of two tilted lines overlap though none of their words do)."""


class WordLike(Protocol):
    """An OCR word as the merge needs it (``piiscan.scanner.ocr.OcrWord``)."""

    @property
    def line(self) -> tuple[int, int, int, int]: ...
    @property
    def box(self) -> BBox: ...
    @property
    def conf(self) -> float: ...
    @property
    def text(self) -> str: ...


W = TypeVar("W", bound=WordLike)


def _lines(words: Sequence[W]) -> list[list[W]]:
    grouped: dict[tuple[int, int, int, int], list[W]] = {}
    for word in words:
        grouped.setdefault(word.line, []).append(word)
    return list(grouped.values())


def _chars(words: Sequence[WordLike]) -> int:
    return sum(ch.isalnum() for w in words for ch in w.text)


def _conf(words: Sequence[WordLike]) -> float:
    """Character-weighted mean confidence: a long word read well outweighs a speck."""
    chars = [(max(w.conf, 0.0), sum(ch.isalnum() for ch in w.text)) for w in words]
    total = sum(n for _, n in chars)
    return sum(c * n for c, n in chars) / total if total else 0.0


def span_of(words: Sequence[WordLike]) -> BBox:
    """The box around ``words`` (at least one)."""
    box = words[0].box
    for word in words[1:]:
        box = box.union(word.box)
    return box


def _meet(a: BBox, b: BBox) -> bool:
    return a.left < b.right and b.left < a.right and a.top < b.bottom and b.top < a.bottom


def overlaps(a: BBox, b: BBox) -> bool:
    width = min(a.right, b.right) - max(a.left, b.left)
    height = min(a.bottom, b.bottom) - max(a.top, b.top)
    if width <= 0 or height <= 0:
        return False
    smaller = min(a.width * a.height, b.width * b.height)
    return smaller > 0 and width * height >= OVERLAP * smaller


def merge_reads(base: list[W], other: Sequence[W], relabel: Callable[[W, int], W]) -> list[W]:
    """``base`` with the lines of ``other`` read where ``base`` read nothing.

    A line is added only when read with confidence, and never replaces what ``base`` read there:
    a word read better by another pass is left alone (which read of a word is right is the later
    passes' business: the MRZ re-reads check digits, the language pass compares whole reads).
    ``relabel(word, block)`` gives a word taken from ``other`` a line key of a block ``base`` does
    not use, so lines of the two reads never fuse into one line. An added line goes after the base
    line above it in the same column, so the base read's order (columns, form fields) is kept.
    """
    if not other:
        return list(base)
    if not base:
        return list(other)
    words = list(base)
    block = max(w.line[1] for w in base) + 1
    for line in _lines(other):
        if _chars(line) < MIN_LINE_CHARS or _conf(line) < MIN_LINE_CONF:
            continue
        span = span_of(line)
        near = [w.box for w in words if _meet(w.box, span)]
        if any(overlaps(box, word.box) for box in near for word in line):
            continue
        at = _after_line_above(words, span)
        words[at:at] = [relabel(w, block) for w in line]
        block += 1
    return words


def _after_line_above(words: Sequence[WordLike], span: BBox) -> int:
    """The index after the last word of the nearest line above ``span`` sharing its columns, else
    of the nearest line above at all; 0 when nothing is above."""
    middle = (span.top + span.bottom) / 2
    best: tuple[bool, int, int] | None = None  # (same column, line bottom, index after its last word)
    for i, word in enumerate(words):
        box = word.box
        if (box.top + box.bottom) / 2 >= middle:
            continue
        column = min(box.right, span.right) > max(box.left, span.left)
        key = (column, box.bottom, i + 1)
        if best is None or key > best:
            best = key
    if best is None:
        return 0
    index = best[2]
    while index < len(words) and words[index].line == words[index - 1].line:
        index += 1
    return index


def relabelled(word: W, block: int) -> W:
    """A dataclass word moved to ``block`` (its page, paragraph and line numbers kept)."""
    page, _, par, number = word.line
    return replace(word, line=(page, block, par, number))  # type: ignore[type-var]
