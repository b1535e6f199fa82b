"""Text printed sideways up a card's edge is read turned upright, in place of the glyph stack
Tesseract makes of it ("1S)", "<<?", "fan}" ... one narrow line per glyph or two)."""

from __future__ import annotations

from PIL import Image, ImageDraw

from piiscan.scanner.model import BBox
from piiscan.scanner.ocr import OcrWord, _reread_vertical_text, get_engine
from piiscan.settings import Settings
from piiscan.synth.render import font

NUMBER = "D0882145KM"
GLYPHS = ["1S)", "<<?", "fan}", "VU", "fop)", "N", "nN", "a", "fo)"]


def _card() -> tuple[Image.Image, BBox]:
    card = Image.new("L", (1500, 950), 255)
    draw = ImageDraw.Draw(card)
    draw.text((560, 300), "4d DLN " + NUMBER, fill=0, font=font(40))
    edge = Image.new("L", (290, 30), 255)
    ImageDraw.Draw(edge).text((2, 2), NUMBER, fill=0, font=font(24))
    card.paste(edge.rotate(90, expand=True), (70, 300))  # reads bottom to top
    return card, BBox(70, 300, 30, 290)


def _page_words(column: BBox, glyphs: list[str]) -> list[OcrWord]:
    words = [
        OcrWord((1, 1, 1, 1), BBox(560, 300, 60, 40), 95.0, "4d"),
        OcrWord((1, 1, 1, 1), BBox(640, 300, 300, 40), 95.0, NUMBER),
    ]
    step = column.height // len(glyphs)
    for i, text in enumerate(glyphs):
        words.append(
            OcrWord((1, 2, 1, i + 1), BBox(column.left, column.top + i * step, column.width, step - 3), 30.0, text)
        )
    return words


def test_a_glyph_stack_is_read_turned_upright(settings: Settings) -> None:
    card, column = _card()
    words = _reread_vertical_text(_page_words(column, GLYPHS), card, get_engine(settings), settings)
    texts = [w.text for w in words]
    assert texts.count(NUMBER) == 2, texts
    assert not set(GLYPHS) & set(texts)  # the stack is gone
    sideways = [w for w in words if w.text == NUMBER and w.box.left < 200]
    assert sideways and column.top - 20 <= sideways[0].box.top <= column.bottom  # boxed where it is printed


def test_short_stacks_and_ordinary_lines_are_left_alone(settings: Settings) -> None:
    card, column = _card()
    few = _page_words(column, GLYPHS[:4])
    assert _reread_vertical_text(few, card, get_engine(settings), settings) == few
