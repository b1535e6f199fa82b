"""spaCy names and places on OCR words Tesseract doubted are dropped; evidence-based ones stay."""

from __future__ import annotations

from piiscan.scanner.detect.ocr_confidence import doubtful_ocr_guess
from piiscan.scanner.model import BBox, Finding, TextSegment, Word
from piiscan.scanner.pipeline import Scanner

TEXT = "Carboe Sahezar Project\nMargaret Whitfield"


def _segment(first_line_conf: float, second_line_conf: float = 96.0) -> TextSegment:
    words = []
    pos = 0
    for line, conf in zip(TEXT.split("\n"), (first_line_conf, second_line_conf), strict=True):
        for token in line.split(" "):
            start = TEXT.index(token, pos)
            words.append(Word(start, start + len(token), BBox(start * 10, 0, len(token) * 10, 20), conf))
            pos = start + len(token)
    return TextSegment(text=TEXT, page=1, source="ocr", words=words)


def _finding(text: str, recognizer: str, entity_type: str = "PERSON") -> Finding:
    start = TEXT.index(text)
    return Finding(entity_type, 0.85, 1, "ocr", text, "", start, start + len(text), recognizer=recognizer)


def test_spacy_guess_on_doubted_words_is_dropped() -> None:
    segment = _segment(first_line_conf=20.0)
    assert doubtful_ocr_guess(_finding("Carboe Sahezar", "SpacyRecognizer"), segment)
    assert not doubtful_ocr_guess(_finding("Margaret Whitfield", "SpacyRecognizer"), segment)


def test_label_evidence_and_text_layers_are_kept() -> None:
    segment = _segment(first_line_conf=20.0)
    assert not doubtful_ocr_guess(_finding("Carboe Sahezar", "LabelledNameRecognizer"), segment)
    assert not doubtful_ocr_guess(_finding("Carboe Sahezar", "SpacyRecognizer", "EMAIL_ADDRESS"), segment)
    text_layer = TextSegment(text=TEXT, page=1, source="text", words=[])
    assert not doubtful_ocr_guess(_finding("Carboe Sahezar", "SpacyRecognizer"), text_layer)
    assert not doubtful_ocr_guess(_finding("Carboe Sahezar", "SpacyRecognizer"), _segment(first_line_conf=80.0))


def _people(scanner: Scanner, text: str, confs: dict[str, float]) -> set[str]:
    words, pos = [], 0
    for token in text.split(" "):
        start = text.index(token, pos)
        words.append(Word(start, start + len(token), BBox(start, 0, len(token), 10), confs.get(token, 95.0)))
        pos = start + len(token)
    findings = scanner.detector.detect([TextSegment(text=text, page=1, source="ocr", words=words)])
    return {f.text for f in findings if f.entity_type == "PERSON"}


def test_detector_drops_only_the_doubted_name(scanner: Scanner) -> None:
    text = "Letter from Margaret Whitfield to Thomas Anderson about the lease."
    assert {"Margaret Whitfield", "Thomas Anderson"} <= _people(scanner, text, {})
    people = _people(scanner, text, {"Thomas": 12.0, "Anderson": 20.0})
    assert "Margaret Whitfield" in people
    assert "Thomas Anderson" not in people


def test_between_45_and_55_only_a_name_with_one_sure_word_stays(scanner: Scanner) -> None:
    text = "Letter from Margaret Whitfield to Thomas Anderson about the lease."
    # mean 50, no word at 70: OCR noise
    assert "Thomas Anderson" not in _people(scanner, text, {"Thomas": 45.0, "Anderson": 55.0})
    # mean 47.5, one word read surely: a name
    assert "Thomas Anderson" in _people(scanner, text, {"Thomas": 0.0, "Anderson": 95.0})
