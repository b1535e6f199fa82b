"""Repairs for photographed pages: skew estimate, deskew, lighting flattening, Sauvola threshold."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from piiscan.scanner.ocr import _quality, _repair_photo, get_engine, prepare
from piiscan.scanner.ocr_photo import deskew, estimate_skew, flatten_lighting, sauvola, unrotate_point
from piiscan.settings import Settings
from piiscan.synth.render import text_image

LINES = [
    "Margaret Whitfield",
    "742 Evergreen Terrace, Springfield",
    "please call me on (217) 555-0147",
    "or write to margaret@example.com",
    "Account holder since 2011, customer number 88120",
]


def _tilted(degrees: float) -> Image.Image:
    page = text_image(LINES, font_size=30).convert("L")
    return page.rotate(degrees, resample=Image.Resampling.BICUBIC, fillcolor=255, expand=True)


@pytest.mark.parametrize("degrees", [-7.0, -2.5, 3.0, 9.0])
def test_skew_is_estimated_as_the_turn_that_levels_the_lines(degrees: float) -> None:
    assert estimate_skew(_tilted(degrees)) == pytest.approx(-degrees, abs=0.4)


def test_a_level_page_and_a_blank_page_are_left_alone() -> None:
    assert abs(estimate_skew(_tilted(0.0))) < 0.5
    assert estimate_skew(Image.new("L", (800, 600), 255)) == 0.0


def test_unrotate_point_undoes_deskew() -> None:
    image = Image.new("L", (400, 300), 255)
    image.paste(0, (250, 60, 270, 80))  # a dark square centred at (260, 70)
    turned = deskew(image, 8.0)
    dark = turned.point(lambda v: 255 if v < 128 else 0).getbbox()
    assert dark is not None
    x, y = unrotate_point((dark[0] + dark[2]) / 2, (dark[1] + dark[3]) / 2, 8.0, image.size)
    assert (x, y) == pytest.approx((260, 70), abs=1.5)


def _shaded() -> Image.Image:
    """A page lit from the right: the paper on the left is darker than the ink threshold."""
    page = np.asarray(text_image(LINES, font_size=30).convert("L"), dtype=np.float64)
    light = np.linspace(0.3, 1.0, page.shape[1])[None, :]
    return Image.fromarray((page * light).astype("uint8"), mode="L")


def test_flattening_turns_a_shadow_back_into_paper() -> None:
    shaded = _shaded()
    flat = np.asarray(flatten_lighting(shaded), dtype=np.float64)
    before = np.asarray(shaded, dtype=np.float64)
    # median brightness of the darkest tenth (the shadow) moves close to the lit side's
    assert np.median(before[:, : before.shape[1] // 10]) < 100
    assert np.median(flat[:, : flat.shape[1] // 10]) > 200
    assert np.median(flat[:, -flat.shape[1] // 10 :]) > 200


def test_sauvola_keeps_ink_and_paper_apart_in_the_shadow() -> None:
    binary = np.asarray(sauvola(_shaded(), window=41))
    assert set(np.unique(binary)) <= {0, 255}
    shadow = binary[:, : binary.shape[1] // 8]
    ink_share = float((shadow == 0).mean())
    # a global threshold blacks the whole shadow out; Sauvola leaves mostly paper with some ink
    assert 0.0 < ink_share < 0.3


def test_a_tilted_shaded_photo_is_read_after_repair(settings: Settings) -> None:
    """A first read that found nothing is replaced by the repaired read, with boxes on the photo."""
    photo = _shaded().rotate(6.0, resample=Image.Resampling.BICUBIC, fillcolor=255, expand=True)
    prepared, _ = prepare(photo, settings)
    words = _repair_photo([], prepared, get_engine(settings), settings)
    text = " ".join(w.text for w in words)
    assert "555-0147" in text, text
    assert _quality(words) > 0
    word = next(w for w in words if "555-0147" in w.text)
    crop = prepared.crop((word.box.left, word.box.top, word.box.right, word.box.bottom))
    assert int(min(crop.get_flattened_data())) < 128  # the box lies on ink of the tilted photo
