"""Large images are scaled down to the resolution OCR needs, and boxes come back in the image's pixels."""

from __future__ import annotations

from PIL import Image, ImageDraw

from piiscan.scanner.ocr import prepare
from piiscan.scanner.pipeline import Scanner
from piiscan.settings import Settings
from piiscan.synth.render import font, image_bytes


def test_prepare_scales_the_long_side_down_to_the_limit() -> None:
    settings = Settings(ocr_max_side=4000)
    image, factor = prepare(Image.new("RGB", (8000, 2000), "white"), settings)
    assert image.size == (4000, 1000) and factor == 0.5
    same, one = prepare(Image.new("RGB", (3000, 2000), "white"), settings)
    assert same.size == (3000, 2000) and one == 1.0


def test_findings_on_a_scaled_image_are_boxed_in_original_pixels() -> None:
    image = Image.new("RGB", (6000, 1200), "white")
    ImageDraw.Draw(image).text((4200, 500), "peter.novak@example.com", font=font(72), fill="black")
    result = Scanner(Settings(ocr_max_side=4000)).scan(image_bytes(image), "wide.png").result
    [email] = [f for f in result.findings if f.entity_type == "EMAIL_ADDRESS"]
    assert email.bbox is not None
    assert 4100 <= email.bbox.left <= 4300 and 450 <= email.bbox.top <= 600
