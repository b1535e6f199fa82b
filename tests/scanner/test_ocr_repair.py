"""Second OCR passes: upside-down and sideways pages, noisy scans, digits misread as letters."""

from __future__ import annotations

import random

import pytest
from PIL import Image

from piiscan.scanner.detect.engine import ocr_digit_fix
from piiscan.scanner.model import BBox, TextSegment
from piiscan.scanner.ocr import _unrotate, binarise, ocr_image
from piiscan.scanner.pipeline import Scanner
from piiscan.settings import Settings
from piiscan.synth.render import text_image

LINES = [
    "Margaret Whitfield",
    "742 Evergreen Terrace, Springfield",
    "please call me on (217) 555-0147",
    "or write to margaret@example.com",
]


@pytest.mark.parametrize("degrees", [0, 90, 180, 270])
def test_turned_pages_are_read_and_boxes_point_into_the_turned_image(degrees: int, settings: Settings) -> None:
    upright = text_image(LINES, font_size=30)
    page = upright.rotate(-degrees, expand=True)
    segment = ocr_image(page, 1, settings)
    start = segment.text.find("margaret@example.com")
    assert start >= 0, segment.text
    box = segment.bbox_for(start, start + 20)
    assert box is not None
    # the box must cover dark pixels of the word in the image as uploaded
    crop = page.convert("L").crop((box.left, box.top, box.right, box.bottom))
    assert int(min(crop.get_flattened_data())) < 100
    if degrees in (90, 270):
        assert box.height > box.width


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_unrotate_is_the_inverse_of_turning(rotation: int) -> None:
    width, height = 300, 200
    image = Image.new("L", (width, height), 255)
    image.paste(0, (40, 30, 90, 50))  # a dark box at left=40 top=30 50x20
    turned = image.rotate(-rotation, expand=True)
    dark = turned.point(lambda v: 255 if v < 128 else 0).getbbox()
    assert dark is not None
    box = BBox(dark[0], dark[1], dark[2] - dark[0], dark[3] - dark[1])
    assert _unrotate(box, rotation, width, height) == BBox(40, 30, 50, 20)


def test_noisy_scan_reads_after_binarisation(settings: Settings) -> None:
    rng = random.Random(3)
    page = text_image(LINES, font_size=30).convert("L")
    noisy = page.point(lambda v: v)  # copy
    pixels = noisy.load()
    assert pixels is not None
    for _ in range(page.width * page.height // 6):
        x, y = rng.randrange(page.width), rng.randrange(page.height)
        pixels[x, y] = rng.choice((0, 90, 160, 255))
    clean = binarise(noisy)
    assert set(clean.get_flattened_data()) <= {0, 255}
    segment = ocr_image(noisy.convert("RGB"), 1, settings)
    assert "555-0147" in segment.text


@pytest.mark.parametrize(
    ("text", "fixed"),
    [
        ("Card 55O0 0000 0000 0004", "Card 5500 0000 0000 0004"),
        ("SSN 536-22-884l", "SSN 536-22-8841"),
        ("IBAN ES96 0097 6692", "IBAN ES96 0097 6692"),
        ("Bob B2B SOS", "Bob B2B SOS"),
    ],
)
def test_ocr_digit_fix(text: str, fixed: str) -> None:
    assert ocr_digit_fix(text) == fixed
    assert len(ocr_digit_fix(text)) == len(text)


@pytest.mark.parametrize(
    ("text", "fixed"),
    [
        ("mit der IBAN DEO3 6731 5051 8737 6830 62.", "mit der IBAN DE03 6731 5051 8737 6830 62."),
        ("E-Mail: |.klotz@example.org", "E-Mail: l.klotz@example.org"),
        ("Bob | Alice", "Bob | Alice"),
    ],
)
def test_ocr_fixes_for_iban_heads_and_email_bars(text: str, fixed: str) -> None:
    assert ocr_digit_fix(text) == fixed


def test_findings_carry_the_repaired_value(scanner: Scanner) -> None:
    segment = TextSegment("IBAN DEO3 6731 5051 8737 6830 62\nE-Mail: |.klotz@example.org", 1, "ocr")
    found = {f.entity_type: f.text for f in scanner.detector.detect([segment])}
    assert found.get("IBAN_CODE") == "DE03 6731 5051 8737 6830 62"
    assert found.get("EMAIL_ADDRESS") == "l.klotz@example.org"
