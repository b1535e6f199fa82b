# ruff: noqa: RUF001  (Cyrillic letters that look Latin are what this file is about)
"""Names printed in a second, non-Latin script on identity documents. Every name is made up."""

from __future__ import annotations

from piiscan.scanner.detect.recognizers import BilingualNameRecognizer
from piiscan.scanner.detect.recognizers.script_names import paired_names
from piiscan.scanner.model import BBox, TextSegment, Word
from piiscan.scanner.pipeline import Scanner

CARD = "Unique Identification Authority of India\n\nTo,\nराहुल शर्मा\nRahul Sharma\n\nYear of Birth: 1990\n"
HK_CARD = "HONG KONG PERMANENT IDENTITY CARD\n\n陳大文 123456\nCHAN, Tai Man\n"


def _spans(text: str, name: str, conf: float | None = None) -> list[str]:
    start = text.index(name)
    found = paired_names(text, [(start, start + len(name))], (lambda s, e: conf) if conf is not None else None)
    return [text[s:e] for s, e in found]


def test_devanagari_name_above_the_latin_name_on_an_aadhaar_page() -> None:
    assert _spans(CARD, "Rahul Sharma") == ["राहुल शर्मा"]
    # below the Latin name, too
    below = CARD.replace("राहुल शर्मा\nRahul Sharma", "Rahul Sharma\nराहुल शर्मा")
    assert _spans(below, "Rahul Sharma") == ["राहुल शर्मा"]


def test_no_pair_without_the_page_hint_or_with_another_word_count() -> None:
    assert _spans(CARD.replace("Unique Identification Authority of India", "Customer letter"), "Rahul Sharma") == []
    assert _spans(CARD.replace("राहुल शर्मा", "राहुल"), "Rahul Sharma") == []
    assert _spans(CARD.replace("Rahul Sharma", "Rahul Sharma, Pune"), "Rahul Sharma") == []


def test_a_doubtful_read_is_not_reported() -> None:
    assert _spans(CARD, "Rahul Sharma", conf=40.0) == []
    assert _spans(CARD, "Rahul Sharma", conf=90.0) == ["राहुल शर्मा"]


def test_chinese_name_above_surname_comma_given_names() -> None:
    assert _spans(HK_CARD, "Tai Man") == ["陳大文"]
    assert _spans(HK_CARD.replace("陳大文", "陳大"), "Tai Man") == []


def test_latin_half_of_a_bilingual_word_widened_to_the_cyrillic_half() -> None:
    text = "UKRAINE\nПАСПОРТ / PASSPORT\nПЕТРЕНКО/PETRENKO\n"
    assert _spans(text, "PETRENKO") == ["ПЕТРЕНКО/PETRENKO"]


def _bilingual(text: str) -> list[str]:
    return [text[r.start : r.end] for r in BilingualNameRecognizer().analyze(text, ["PERSON"])]


def test_bilingual_values_under_their_captions() -> None:
    text = "UKRAINE\nПрізвище/Surname\nПЕТРЕНКО/PETRENKO\nІм'я/Given names\n..\nОКСАНА/OKSANA\nСтать/Sex\nЖ/F\n"
    assert _bilingual(text) == ["ПЕТРЕНКО/PETRENKO", "ОКСАНА/OKSANA"]
    assert _bilingual(text.replace("UKRAINE", "REPUBLIC")) == []
    assert _bilingual("UKRAINE\nМісто/City\nКИЇВ/KYIV\n") == []
    assert BilingualNameRecognizer().analyze(text, ["LOCATION"]) == []


def test_detector_reports_the_paired_name(scanner: Scanner) -> None:
    words, pos = [], 0
    for token in CARD.split():
        start = CARD.index(token, pos)
        words.append(Word(start, start + len(token), BBox(start, 0, len(token), 10), 90.0))
        pos = start + len(token)
    segment = TextSegment(text=CARD, page=1, source="ocr", words=words, language="en")
    found = {(f.entity_type, f.text) for f in scanner.detector.detect([segment])}
    assert {("PERSON", "Rahul Sharma"), ("PERSON", "राहुल शर्मा")} <= found
    text_layer = TextSegment(text=CARD, page=1, source="text_layer", words=[], language="en")
    assert ("PERSON", "राहुल शर्मा") in {(f.entity_type, f.text) for f in scanner.detector.detect([text_layer])}
