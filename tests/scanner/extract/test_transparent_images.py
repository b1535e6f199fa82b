"""Pages with see-through pixels: read over white as well as with the alpha dropped."""

from __future__ import annotations

import io

from PIL import Image

from piiscan.scanner.extract.images import flatten, transparent
from piiscan.scanner.pipeline import Scanner
from piiscan.synth.render import text_image


def _transparent_page() -> bytes:
    """Black text on a see-through page whose hidden colour is black, as mockup PNGs store it."""
    page = text_image(["Contact: margaret.whitfield@example.com", "Phone (217) 555-0147"], font_size=30)
    ink = page.convert("L").point(lambda v: 255 - v)  # the text is opaque, the page see-through
    rgba = Image.new("RGBA", page.size, (0, 0, 0, 0))
    rgba.putalpha(ink)
    out = io.BytesIO()
    rgba.save(out, "PNG")
    return out.getvalue()


def test_transparency_detected_and_flattened_over_white() -> None:
    image = Image.open(io.BytesIO(_transparent_page()))
    assert transparent(image)
    assert not transparent(image.convert("RGB"))
    assert flatten(image).getpixel((0, 0)) == (255, 255, 255)
    assert image.convert("RGB").getpixel((0, 0)) == (0, 0, 0)  # what dropping the alpha shows


def test_text_on_a_see_through_page_is_found(scanner: Scanner) -> None:
    result = scanner.scan(_transparent_page(), "mockup.png").result
    assert {"EMAIL_ADDRESS", "PHONE_NUMBER"} <= {f.entity_type for f in result.findings}
