"""Small print read once more, enlarged (rendered pages, real Tesseract)."""

from __future__ import annotations

from dataclasses import dataclass

from piiscan.scanner.model import BBox
from piiscan.scanner.ocr import ocr_image
from piiscan.scanner.ocr_scale import MAX_FACTOR, upscale_factor
from piiscan.settings import Settings
from piiscan.synth.render import text_image

LINES = [
    "Borrower: Margaret Whitfield  SSN 557-99-7283",
    "Home phone (489) 746-8900  Email mwhitfield1989@outlook.com",
    "Address 1634 W Glenoaks Blvd, Glendale, CA 91201",
] * 3
VALUES = ("557-99-7283", "(489) 746-8900", "Whitfield")


@dataclass
class _W:
    box: BBox
    conf: float = 90.0
    text: str = "word"


def _words(height: int, n: int = 10) -> list[_W]:
    return [_W(BBox(10 * i, 0, 30, height)) for i in range(n)]


def test_factor_only_for_small_print() -> None:
    assert upscale_factor(_words(30), (1200, 900), 4000) is None
    assert (
        upscale_factor(_words(15), (1200, 900), 4000) is not None
        and upscale_factor(_words(15), (1200, 900), 4000) == 2.0
    )
    assert upscale_factor(_words(5), (1200, 900), 4000) == MAX_FACTOR
    assert upscale_factor(_words(8), (1200, 900), 2000) == 2000 / 1200  # never past the size cap
    assert upscale_factor(_words(8, n=3), (1200, 900), 4000) is None  # too few words to tell


def test_small_print_is_read_when_enlarged() -> None:
    page = text_image(LINES, width=1200, height=893, font_size=8)
    plain = ocr_image(page, 1, Settings(ocr_repair=False))
    repaired = ocr_image(page, 1, Settings())
    assert sum(v in repaired.text for v in VALUES) > sum(v in plain.text for v in VALUES)
    start = repaired.text.find("557-99-7283")
    assert start >= 0, repaired.text
    box = repaired.bbox_for(start, start + 11)
    assert box is not None and box.right <= page.width and box.bottom <= page.height
    crop = page.convert("L").crop((box.left, box.top, box.right, box.bottom))
    darkest, _ = crop.getextrema()
    assert isinstance(darkest, int) and darkest < 100  # the box is on the printed number, in the page's own pixels
