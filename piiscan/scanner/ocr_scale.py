"""How much to enlarge a page whose print is too small for Tesseract to read well.

Tesseract's models were trained on text about 20-40 pixels high; the small print of a form
photographed or rendered at 1200 pixels wide is 7-13 pixels high, where it confuses letters
or drops whole lines (on the peer corpus a mortgage form went from 0 to 8 of 13 values read
when enlarged to 2.7 times its size). The first pass already tells how high the text is,
so only pages with small print pay for a second pass.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Protocol

SMALL_TEXT_PX = 16
"""Median word height below which a page is read once more, enlarged."""
TARGET_TEXT_PX = 30
MAX_FACTOR = 3.0
MIN_FACTOR = 1.5
"""Enlarging less than this reads about the same text again: not worth a pass."""
_MIN_WORDS = 5
_MIN_CONF = 30.0


class _Box(Protocol):
    @property
    def height(self) -> int: ...


class _Word(Protocol):
    @property
    def box(self) -> _Box: ...

    @property
    def conf(self) -> float: ...

    @property
    def text(self) -> str: ...


def text_height(words: Sequence[_Word]) -> float | None:
    """Median height of the words read with some confidence; None when too few to tell."""
    heights = [w.box.height for w in words if w.conf >= _MIN_CONF and sum(ch.isalnum() for ch in w.text) >= 2]
    return float(statistics.median(heights)) if len(heights) >= _MIN_WORDS else None


def upscale_factor(words: Sequence[_Word], size: tuple[int, int], max_side: int) -> float | None:
    """The factor that brings small print to a readable height, or None when the page's print
    is large enough, unknown, or the enlarged page would pass ``max_side``."""
    height = text_height(words)
    if height is None or height >= SMALL_TEXT_PX:
        return None
    factor = min(TARGET_TEXT_PX / max(height, 1.0), MAX_FACTOR, max_side / max(size))
    return factor if factor >= MIN_FACTOR else None
