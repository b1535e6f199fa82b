"""Merging OCR reads line by line: lines only another pass read are added, nothing is replaced."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from piiscan.scanner.model import BBox
from piiscan.scanner.ocr import OcrWord, _repair_photo, get_engine, parse_words, prepare
from piiscan.scanner.ocr_merge import merge_reads, relabelled
from piiscan.scanner.ocr_photo import even_polarity
from piiscan.settings import Settings
from piiscan.synth.render import font


def _line(block: int, number: int, top: int, texts: list[str], conf: float = 90.0, left: int = 10) -> list[OcrWord]:
    words = []
    for i, text in enumerate(texts):
        words.append(OcrWord((1, block, 1, number), BBox(left + 120 * i, top, 100, 20), conf, text))
    return words


def _texts(words: list[OcrWord]) -> list[str]:
    lines: dict[tuple[int, int, int, int], list[str]] = {}
    for w in words:
        lines.setdefault(w.line, []).append(w.text)
    return [" ".join(ws) for ws in lines.values()]


def test_a_line_only_the_other_read_has_is_added_in_page_order() -> None:
    base = _line(1, 1, 10, ["Account", "statement"]) + _line(1, 2, 90, ["Closing", "balance"])
    other = _line(1, 1, 10, ["Acc0unt", "statemnt"]) + _line(2, 1, 50, ["Jane", "Roe", "account"])
    merged = merge_reads(base, other, relabelled)
    assert _texts(merged) == ["Account statement", "Jane Roe account", "Closing balance"]
    # the added line is a block of its own: it never fuses with a base line
    assert len({w.line for w in merged}) == 3


def test_what_the_base_read_is_never_replaced() -> None:
    base = _line(1, 1, 10, ["P<UTOROE<<JANE<<<<<<<<<<<"], conf=60.0)
    other = _line(1, 1, 12, ["P<UTOROE<<JANE<<ccedcedd"], conf=95.0)
    assert merge_reads(base, other, relabelled) == base


def test_specks_and_doubtful_lines_are_not_added() -> None:
    base = _line(1, 1, 10, ["Invoice", "number"])
    other = _line(1, 1, 200, ["ii", "|"]) + _line(1, 2, 300, ["Roe", "Janet", "Street"], conf=40.0)
    assert merge_reads(base, other, relabelled) == base


def test_an_empty_read_takes_the_other() -> None:
    other = _line(1, 1, 10, ["Jane", "Roe"])
    assert merge_reads([], other, relabelled) == other
    assert merge_reads(other, [], relabelled) == other


def _card() -> Image.Image:
    """A card photo: dark print on white above, faint light print on a slanted grey band below (as on
    business cards), with sensor noise. Tesseract's own threshold reads no phone line of it."""
    image = Image.new("L", (1400, 700), 255)
    draw = ImageDraw.Draw(image)
    draw.text((60, 60), "Jonathan Miller", fill=20, font=font(64))
    draw.polygon([(0, 300), (1400, 250), (1400, 700), (0, 700)], fill=160)
    draw.text((60, 380), "Cell: +1 (555) 013-2468", fill=200, font=font(48))
    draw.text((60, 480), "Fax: +1 (555) 019-7531", fill=200, font=font(48))
    noisy = np.asarray(image, dtype=np.float64) + np.random.default_rng(1).normal(0, 6, (700, 1400))
    return Image.fromarray(np.clip(noisy, 0, 255).astype("uint8"), mode="L")


def test_even_polarity_turns_light_print_dark_and_leaves_paper_white(settings: Settings) -> None:
    card = _card()
    evened = even_polarity(card, text_height=50)
    even = np.asarray(evened)
    band_print = np.asarray(card)[390:430, 60:700] > 190
    assert even[390:430, 60:700][band_print].mean() < 128  # the light print is now dark
    assert np.median(even[600:690, :]) > 240  # the grey band without print is paper
    engine = get_engine(settings)
    plain = " ".join(w.text for w in parse_words(engine.tsv(card, "eng", 30)))
    assert "013-2468" not in plain  # the case this pass is for
    words = parse_words(engine.tsv(evened, "eng", 30))
    assert "013-2468" in " ".join(w.text for w in words)


def test_the_photo_repair_merges_the_lines_each_pass_read(settings: Settings) -> None:
    """No single pass reads both the dark name and the white phone lines; the merged read has both."""
    prepared, _ = prepare(_card().convert("RGB"), settings)
    words = _repair_photo([], prepared, get_engine(settings), settings)
    text = " ".join(w.text for w in words)
    assert "Miller" in text and "013-2468" in text, text


def test_lines_are_compared_word_by_word_not_by_their_spans() -> None:
    """Two tilted lines: their spans overlap, none of their words do; the second is still added."""
    first = [OcrWord((1, 1, 1, 1), BBox(10 + 120 * i, 200 - 30 * i, 100, 30), 90.0, t) for i, t in enumerate("abcd")]
    base = [OcrWord(w.line, w.box, w.conf, f"word{w.text}") for w in first]
    second = [OcrWord((1, 1, 1, 2), BBox(10 + 120 * i, 260 - 30 * i, 100, 30), 90.0, f"next{i}") for i in range(4)]
    merged = merge_reads(base, second, relabelled)
    assert _texts(merged) == ["worda wordb wordc wordd", "next0 next1 next2 next3"]
