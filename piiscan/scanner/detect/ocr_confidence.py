"""Drop spaCy's guesses on OCR text that Tesseract itself could not read.

A statistical NER sees capitalised words and calls them a person or a place; on a page
region Tesseract read as noise ("Carboe Sahezar", "Kuchar") those words are garbage with low
word confidence. On the peer corpus every spaCy PERSON or LOCATION over words of mean
confidence below 45 was a false alarm (7 of 7), and none above that was dropped by it; between 45
and 55 the three with no word read at 70 or more were false alarms too, and the one with such a
word was a name.
Pattern and label-based recognizers carry their own evidence and are left alone.
"""

from __future__ import annotations

from piiscan.scanner.model import Finding, TextSegment

MIN_MEAN_CONF = 45.0
"""Mean Tesseract word confidence (0-100) below which a spaCy name or place is dropped."""
DOUBTFUL_MEAN_CONF = 55.0
SURE_WORD_CONF = 70.0
"""Below a mean of 55 a name or place is dropped too when none of its words was read with 70: OCR
noise such as two-letter fragments read at 40 and 60; one word read surely ("Jane" at 95 beside a
name read at 0) keeps it."""
_NER_TYPES = frozenset({"PERSON", "LOCATION", "NRP"})
_NER_RECOGNIZERS = frozenset({"SpacyRecognizer"})


def doubtful_ocr_guess(finding: Finding, segment: TextSegment) -> bool:
    """Whether ``finding`` is a spaCy name or place read from OCR words Tesseract doubted."""
    if segment.source != "ocr" or finding.entity_type not in _NER_TYPES:
        return False
    if finding.recognizer not in _NER_RECOGNIZERS:
        return False
    confs = [w.conf for w in segment.words if w.start < finding.end and w.end > finding.start and w.conf >= 0]
    if not confs:
        return False
    mean = sum(confs) / len(confs)
    return mean < MIN_MEAN_CONF or (mean < DOUBTFUL_MEAN_CONF and max(confs) < SURE_WORD_CONF)
