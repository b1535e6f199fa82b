# ruff: noqa: RUF001  (Cyrillic letters that look Latin are what this file is about)
"""The script pass: identity documents read again with the pack of the script their names are also
printed in. Every name is made up."""

from __future__ import annotations

import pytest
from PIL import Image

from piiscan.scanner.model import BBox
from piiscan.scanner.ocr import OcrEngine, OcrWord, get_engine, ocr_image
from piiscan.scanner.ocr_merge import relabelled
from piiscan.scanner.ocr_script import adopt_script_words, join_cjk, repair_pairs, script_hint
from piiscan.settings import Settings
from piiscan.synth.render import text_image


def _word(text: str, left: int, conf: float = 90.0, line: int = 1, top: int = 0) -> OcrWord:
    return OcrWord((1, 1, 1, line), BBox(left, top, 10 * len(text), 20), conf, text)


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("Your Aadhaar No.: 0000 0000 0000", "devanagari"),
        ("SIGOVERNMENT OF INDIA\nYear of Birth", "devanagari"),
        ("YKPAIHA/UKRAINE\nPASSPORT", "cyrillic"),
        ("HONG KONG PERMANENT\nIDENTITY CARD", "han"),
        ("Invoice 2291\nHong Kong office\nPlease pay by Friday", None),
        ("Dear Ms Whitfield, thank you for your letter.", None),
    ],
)
def test_script_hint(text: str, script: str | None) -> None:
    assert script_hint(text) == script


def test_cjk_characters_read_one_word_each_are_joined() -> None:
    words = [_word("陳", 0), _word("大", 12), _word("文", 24, conf=70.0), _word("123456", 40), _word("王", 0, line=2)]
    joined = join_cjk(words)
    assert [w.text for w in joined] == ["陳大文", "123456", "王"]
    assert joined[0].box == BBox(0, 0, 34, 20) and joined[0].conf == 70.0


def test_bilingual_words_repaired_from_the_english_read() -> None:
    script_read = [_word("ПЕТРЕНКО/РЕТКЕМКО", 0), _word("OKCAHA/OKSANA", 0, line=2, top=40), _word("4/M", 0, line=3)]
    english_read = [_word("neTpeHko/PETRENKO", 5, conf=30.0)]
    repaired = [w.text for w in repair_pairs(script_read, english_read)]
    assert repaired == ["ПЕТРЕНКО/PETRENKO", "ОКСАНА/OKSANA", "4/M"]
    # a word spelt the same in both halves is Latin on both sides
    assert [w.text for w in repair_pairs([_word("MAMA/MAMA", 0)], [])] == ["MAMA/MAMA"]


def test_script_words_replace_the_english_guesses_and_fill_gaps() -> None:
    base = [
        _word("To,", 0, line=1),
        _word("aye", 0, conf=30.0, line=2, top=30),
        _word("ata", 50, conf=35.0, line=2, top=30),
    ]
    read = [
        _word("राहुल", 0, conf=85.0, line=7, top=30),
        _word("शर्मा", 50, conf=88.0, line=7, top=30),
        _word("भारत", 0, conf=80.0, line=8, top=90),
        _word("सरकार", 50, conf=80.0, line=8, top=90),
        _word("Tc,", 0, conf=95.0, line=9),  # Latin: the English read keeps its own
        _word("नाम", 200, conf=20.0, line=9),  # doubtful: not taken
    ]
    words = adopt_script_words(base, read, "devanagari", relabelled)
    assert [w.text for w in words] == ["To,", "राहुल", "शर्मा", "भारत", "सरकार"]
    assert words[1].line == base[1].line and words[2].line == base[1].line  # the English read's line kept
    assert words[3].line not in {w.line for w in base}


class _Spy:
    """The real engine, recording the language sets it was asked to read with."""

    name = "spy"

    def __init__(self, engine: OcrEngine) -> None:
        self.engine = engine
        self.languages: list[str] = []

    def tsv(self, image: Image.Image, languages: str, timeout_s: float, whitelist: str | None = None) -> str:
        self.languages.append(languages)
        return self.engine.tsv(image, languages, timeout_s, whitelist)


def test_ordinary_page_gets_no_script_read(settings: Settings) -> None:
    spy = _Spy(get_engine(settings))
    page = text_image(["Margaret Whitfield", "742 Evergreen Terrace, Springfield", "Hong Kong office"], font_size=30)
    ocr_image(page, 1, settings, spy)
    assert all(languages == settings.ocr_languages for languages in spy.languages)


def test_ukrainian_page_read_with_the_cyrillic_pack(settings: Settings) -> None:
    spy = _Spy(get_engine(settings))
    lines = [
        "УКРАЇНА / UKRAINE",
        "ПАСПОРТ / PASSPORT",
        "Прізвище / Surname",
        "ДМИТРЕНКО/DMYTRENKO",
        "Ім'я / Given names",
    ]
    segment = ocr_image(text_image(lines, font_size=30), 1, settings, spy)
    assert "ukr+eng" in spy.languages
    assert "ДМИТРЕНКО/DMYTRENKO" in segment.text
    assert "Прізвище" in segment.text
    off = ocr_image(text_image(lines, font_size=30), 1, Settings(ocr_script_pass=False))
    assert "ДМИТРЕНКО" not in off.text
