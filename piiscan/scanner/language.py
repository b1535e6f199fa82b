"""Which language a text is in, so German, French and Spanish get their OCR model and recognizers.

langdetect ships its language profiles in the package (no download); its sampling is
made deterministic so the same upload always gets the same answer.
"""

from __future__ import annotations

import threading

SUPPORTED = ("en", "de", "fr", "es", "it")
TESSERACT_PACKS = {"en": "eng", "de": "deu", "fr": "fra", "es": "spa", "it": "ita"}
_MIN_CHARS = 40
_MIN_PROBABILITY = 0.80
_SAMPLE_CHARS = 3000

_lock = threading.Lock()
_ready = False


def warm_up() -> None:
    """Load the profiles now (about a second) rather than on the first upload."""
    global _ready
    with _lock:
        if not _ready:
            from langdetect import DetectorFactory
            from langdetect.detector_factory import init_factory

            DetectorFactory.seed = 0
            init_factory()
            _ready = True


def detect_language(text: str) -> str | None:
    """The ISO 639-1 code of one of :data:`SUPPORTED`, or None when unsure or too short."""
    sample = " ".join(text[:_SAMPLE_CHARS].split())
    if sum(ch.isalpha() for ch in sample) < _MIN_CHARS:
        return None
    warm_up()
    from langdetect import LangDetectException, detect_langs

    try:
        best = detect_langs(sample)[0]
    except LangDetectException:
        return None
    if best.prob < _MIN_PROBABILITY or best.lang not in SUPPORTED:
        return None
    code: str = best.lang
    return code
