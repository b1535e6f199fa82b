"""Reviewer previews are hostile input too (issue 16): a page is rendered at the preview's size, a frame past
the pixel cap is refused before decoding, only PIISCAN_PREVIEW_WORKERS pages are decoded at once, and the API
process has a heap cap like the worker's."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from PIL import Image, ImageDraw

from piiscan.api import preview
from piiscan.api.errors import ApiError
from piiscan.api.routers.moderation import render_png
from piiscan.settings import Settings
from piiscan.workers.services import Services

HUGE_PT = 5000


def _pdf_of(image: Image.Image, points: float) -> bytes:
    """A one-page PDF of ``image`` whose page is ``points`` wide (a tiny image can make a huge MediaBox)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PDF", resolution=image.width * 72.0 / points)
    return buffer.getvalue()


def _huge_page_pdf() -> bytes:
    page = Image.new("RGB", (500, 500), "white")
    ImageDraw.Draw(page).rectangle((50, 50, 99, 99), fill="black")  # pt 500..1000 of the 5000-pt page
    return _pdf_of(page, HUGE_PT)


def _png(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def test_a_huge_pdf_page_renders_within_a_small_heap(tmp_path: Path) -> None:
    """A 5000 x 5000 pt page at the scanner's 200 dpi is 193 Mpx (770 MB) before any downscale; the preview
    renders straight at its own size, so it fits a 700 MB heap (the import of the renderer included)."""
    pdf = tmp_path / "huge.pdf"
    pdf.write_bytes(_huge_page_pdf())
    script = textwrap.dedent(
        f"""
        import io, sys
        from piiscan.memory import cap_memory
        from piiscan.api import preview
        from piiscan.settings import Settings
        from PIL import Image
        assert cap_memory(700, "test")
        png = preview.raw_page(open({str(pdf)!r}, "rb").read(), 1, Settings())
        print(max(Image.open(io.BytesIO(png)).size))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.strip()) <= preview.MAX_SIDE


def test_boxes_in_the_scanners_pixels_land_on_the_scaled_page() -> None:
    settings = Settings()
    scale = preview.scanner_pdf_scale(HUGE_PT, HUGE_PT, settings)
    assert HUGE_PT * HUGE_PT * scale * scale <= settings.max_image_pixels * 1.000001  # the scanner's render fits
    # a finding over the white area pt 2000..2500, in the scanner's render pixels
    box = {"left": round(2000 * scale), "top": round(2000 * scale), "width": round(500 * scale)}
    box["height"] = box["width"]
    finding = {"page": 1, "source": "ocr", "bbox": box, "origin": None}
    image = _png(preview.redacted_page(_huge_page_pdf(), 1, [finding], settings))
    per_pt = image.width / HUGE_PT
    assert image.getpixel((round(2250 * per_pt), round(2250 * per_pt))) == (0, 0, 0)  # the finding: blacked out
    assert image.getpixel((round(3000 * per_pt), round(3000 * per_pt))) == (255, 255, 255)  # elsewhere: intact
    assert image.getpixel((round(750 * per_pt), round(750 * per_pt))) == (0, 0, 0)  # the page's own drawing


def test_a_large_jpeg_is_decoded_reduced_and_its_boxes_follow() -> None:
    photo = Image.new("RGB", (4200, 2800), "white")
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG", quality=90)
    finding = {"page": 1, "source": "ocr", "bbox": {"left": 2100, "top": 1400, "width": 420, "height": 280}}
    finding["origin"] = None
    image = _png(preview.redacted_page(buffer.getvalue(), 1, [finding], Settings()))
    assert max(image.size) <= preview.MAX_SIDE
    factor = image.width / 4200
    assert image.getpixel((round(2300 * factor), round(1500 * factor))) == (0, 0, 0)
    assert min(image.getpixel((round(1000 * factor), round(1000 * factor)))) > 240


def test_every_tiff_frame_is_held_to_the_pixel_cap() -> None:
    """The scanner's cap checked the first frame only; a preview of a larger later frame is refused unread."""
    small, large = Image.new("L", (60, 60), 255), Image.new("L", (300, 300), 255)
    buffer = io.BytesIO()
    small.save(buffer, format="TIFF", save_all=True, append_images=[large])
    settings = Settings(max_image_pixels=10_000)
    assert _png(preview.raw_page(buffer.getvalue(), 1, settings)).size == (60, 60)
    with pytest.raises(preview.NoPreviewError, match="pixels"):
        preview.raw_page(buffer.getvalue(), 2, settings)
    assert _png(preview.raw_page(buffer.getvalue(), 2, Settings())).size == (300, 300)


def _services(settings: Settings) -> Services:
    return cast(Services, SimpleNamespace(settings=settings))


def test_previews_beyond_the_pool_get_a_503_with_retry_after() -> None:
    settings = Settings(preview_workers=1, preview_wait_s=0, retry_after_s=7)
    calls: list[int] = []

    def render() -> bytes:
        calls.append(1)
        return b"png"

    with preview.pool_for(settings).slot(), pytest.raises(ApiError) as busy:  # another page is being decoded
        render_png(_services(settings), render)
    assert (busy.value.status, busy.value.code) == (503, "preview_busy")
    assert busy.value.headers == {"Retry-After": "7"}
    assert calls == []  # nothing decoded while the slot was taken
    assert render_png(_services(settings), render) == b"png"  # the slot was given back
    assert render_png(_services(settings), render) == b"png"


def test_a_failed_allocation_is_a_503_and_frees_the_slot() -> None:
    settings = Settings(preview_workers=1, preview_wait_s=0)

    def render() -> bytes:
        raise MemoryError

    with pytest.raises(ApiError) as failed:
        render_png(_services(settings), render)
    assert (failed.value.status, failed.value.code) == (503, "preview_memory")
    assert render_png(_services(settings), lambda: b"ok") == b"ok"


def test_the_memory_cap_turns_a_huge_allocation_into_memory_error() -> None:
    script = textwrap.dedent(
        """
        from piiscan.memory import cap_memory
        assert cap_memory(300, "test")
        try:
            bytearray(600 * 1024 * 1024)
        except MemoryError:
            print("MemoryError")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "MemoryError", done.stderr[-2000:]


def test_serve_caps_the_api_process_before_it_listens(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from piiscan.api import serve as serve_module

    events: list[Any] = []
    monkeypatch.setenv("PIISCAN_API_MAX_MEMORY_MB", "1234")
    monkeypatch.setattr(serve_module, "cap_memory", lambda mb, who: events.append(("cap", mb, who)))

    class Server:
        started = True

        def __init__(self, config: Any) -> None:
            pass

        def run(self) -> None:
            events.append("run")

    monkeypatch.setattr(uvicorn, "Server", Server)
    from piiscan import settings as settings_module

    settings_module.get_settings.cache_clear()
    try:
        assert serve_module.serve("127.0.0.1", 0, embedded=True, demo=None) == 0
    finally:
        settings_module.get_settings.cache_clear()
    assert events == [("cap", 1234, "API"), "run"]
