"""A page of one colour is read once: the repair passes (turns, binarising, levelling) are for pages
that hold text the first read missed, and a blank page holds none."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from piiscan.scanner.ocr import OcrEngine, get_engine, ocr_image
from piiscan.settings import Settings


class CountingEngine:
    """The real engine, counting its reads."""

    def __init__(self, inner: OcrEngine) -> None:
        self.inner = inner
        self.name = inner.name
        self.reads = 0

    def tsv(self, image: Image.Image, languages: str, timeout_s: float, whitelist: str | None = None) -> str:
        self.reads += 1
        return self.inner.tsv(image, languages, timeout_s, whitelist)


def _jpeg(image: Image.Image) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=60)
    return Image.open(io.BytesIO(buffer.getvalue()))


def test_a_blank_page_is_read_once_even_with_jpeg_noise() -> None:
    settings = Settings()
    for page in (Image.new("RGB", (1200, 900), "white"), _jpeg(Image.new("RGB", (1200, 900), (200, 205, 210)))):
        engine = CountingEngine(get_engine(settings))
        segment = ocr_image(page, 1, settings, engine)
        assert engine.reads == 1 and not segment.text.strip()


def test_a_page_with_faint_marks_still_gets_its_repair_passes() -> None:
    settings = Settings()
    page = Image.new("RGB", (1200, 900), "white")
    draw = ImageDraw.Draw(page)
    for y in range(100, 800, 60):  # scribbles: no words, but not one colour either
        draw.line((100, y, 1100, y + 25), fill=(90, 90, 90), width=3)
    engine = CountingEngine(get_engine(settings))
    ocr_image(page, 1, settings, engine)
    assert engine.reads > 1
