"""Page images for reviewers, rendered in memory from the stored object.

``redacted_page`` blacks out every finding box of the page before anything leaves the process (and
pixelates the whole page when a finding on it has no box, e.g. one from a PDF's text layer);
``raw_page`` is the page as uploaded, for a reveal that the caller has logged. Nothing is cached: the
object is read through the store (whose download spool is a temporary file removed at once), decoded
and encoded in memory.

Anyone can put an upload in front of a reviewer (a public abuse report raises an item), so a page is
hostile input here as in the scanner: a PDF page is rendered straight at the preview's size (never at
the scanner's resolution first), a picture frame past the scanner's pixel cap is refused before it is
decoded, and :class:`PreviewPool` lets only ``PIISCAN_PREVIEW_WORKERS`` pages be decoded at once, so
the API's peak memory is bounded by workers x pixel cap whatever the reviewers open.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageDraw, ImageSequence

from piiscan.scanner import sniff
from piiscan.scanner.extract.images import open_image
from piiscan.settings import Settings

_pdfium_lock = threading.Lock()
MAX_SIDE = 1400


class NoPreviewError(Exception):
    """The object has no page image (a document without pages, an unsupported type, a page too large)."""


class PreviewBusyError(Exception):
    """Every preview slot is taken; the caller should try again shortly."""


class PreviewMemoryError(Exception):
    """The page did not fit in the API's memory cap (``PIISCAN_API_MAX_MEMORY_MB``)."""


class PreviewPool:
    """At most ``workers`` pages decoded at once in this process; a request waits ``wait_s`` for a slot."""

    def __init__(self, workers: int, wait_s: float) -> None:
        self._slots = threading.BoundedSemaphore(workers)
        self._wait_s = wait_s

    @contextmanager
    def slot(self) -> Iterator[None]:
        if not self._slots.acquire(timeout=self._wait_s):
            raise PreviewBusyError("Every preview slot is in use")
        try:
            yield
        finally:
            self._slots.release()

    def render(self, render: Callable[[], bytes]) -> bytes:
        """Run ``render`` in a slot; a failed allocation under the memory cap becomes a typed error."""
        with self.slot():
            try:
                return render()
            except MemoryError:
                raise PreviewMemoryError("The page is too large to render within the API's memory cap") from None


_pools: dict[tuple[int, float], PreviewPool] = {}
_pools_lock = threading.Lock()


def pool_for(settings: Settings) -> PreviewPool:
    """This process's pool: one per process, like the memory it bounds (the API's threads share it)."""
    shape = (settings.preview_workers, settings.preview_wait_s)
    with _pools_lock:
        if shape not in _pools:
            _pools[shape] = PreviewPool(*shape)
        return _pools[shape]


@dataclass(frozen=True)
class PageImage:
    """A page scaled for the preview, and the factor from the scanner's box pixels to this image's pixels."""

    image: Image.Image
    box_scale: float


def scanner_pdf_scale(width_pt: float, height_pt: float, settings: Settings) -> float:
    """The scale the scanner renders a PDF page at, so its boxes can be mapped: the OCR resolution, reduced
    until the page fits the pixel cap."""
    scale = settings.ocr_dpi / 72.0
    pixels = width_pt * height_pt * scale * scale
    if pixels > settings.max_image_pixels:
        scale *= math.sqrt(settings.max_image_pixels / pixels)
    return scale


def page_image(data: bytes, page: int, settings: Settings, max_side: int = MAX_SIDE) -> PageImage:
    """Page ``page`` (1-based) no larger than ``max_side``, with the factor that maps the scanner's boxes."""
    media_type = sniff.sniff(data)
    if media_type == sniff.PDF:
        return _pdf_page(data, page, settings, max_side)
    if media_type not in sniff.IMAGE_TYPES:
        raise NoPreviewError(f"No page image can be made of {media_type}")
    try:
        image = open_image(data, settings.max_image_pixels)
    except Exception as exc:
        raise NoPreviewError(f"No page image can be made of this object ({type(exc).__name__})") from None
    frames = ImageSequence.Iterator(image) if image.format == "TIFF" else [image]
    for index, frame in enumerate(frames, start=1):
        if index < page:
            continue
        if index > page:
            break
        width, height = frame.size  # every frame's header is checked, not only the first one's
        if width * height > settings.max_image_pixels:
            raise NoPreviewError(f"Page {page} has more pixels than PIISCAN_MAX_IMAGE_PIXELS allows")
        factor = min(1.0, max_side / max(width, height))
        if frame.format == "JPEG" and factor < 1.0:  # decode at a reduced size (libjpeg's DCT scaling)
            frame.draft("RGB", (max(1, round(width * factor)), max(1, round(height * factor))))
        rgb = frame.convert("RGB")
        if max(rgb.size) > max_side:
            rgb.thumbnail((max_side, max_side))
        return PageImage(rgb, box_scale=rgb.width / width)
    raise NoPreviewError(f"The image has no page {page}")


def _pdf_page(data: bytes, page: int, settings: Settings, max_side: int) -> PageImage:
    import pypdfium2 as pdfium

    with _pdfium_lock:
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError:
            raise NoPreviewError("The PDF cannot be opened") from None
        try:
            if not 1 <= page <= len(pdf):
                raise NoPreviewError(f"The document has no page {page}")
            handle = pdf[page - 1]
            width_pt, height_pt = handle.get_size()
            if width_pt <= 0 or height_pt <= 0:
                raise NoPreviewError(f"Page {page} has no area")
            scan_scale = scanner_pdf_scale(width_pt, height_pt, settings)
            scale = min(scan_scale, (max_side - 1) / max(width_pt, height_pt))  # PDFium rounds sizes up
            rendered = handle.render(scale=scale).to_pil()
            handle.close()
        finally:
            pdf.close()
    rgb: Image.Image = rendered.convert("RGB")
    return PageImage(rgb, box_scale=scale / scan_scale)


def boxes_on(findings: Iterable[dict[str, Any]], page: int) -> tuple[list[dict[str, int]], bool]:
    """The finding boxes of ``page``, and whether some finding there cannot be placed on the image
    (a text-layer finding has no box; a box inside an embedded picture is not in page pixels).
    Metadata findings are not in the pixels at all."""
    boxes: list[dict[str, int]] = []
    unplaced = False
    for finding in findings:
        if finding["page"] != page or finding["source"] == "metadata":
            continue
        if finding.get("bbox") and not finding.get("origin"):
            boxes.append(finding["bbox"])
        else:
            unplaced = True
    return boxes, unplaced


def pixelate(image: Image.Image, cell: int = 24) -> Image.Image:
    small = image.resize((max(1, image.width // cell), max(1, image.height // cell)), Image.Resampling.BOX)
    return small.resize(image.size, Image.Resampling.NEAREST)


def black_out(image: Image.Image, boxes: Iterable[dict[str, int]], scale: float = 1.0, pad: int = 3) -> Image.Image:
    """Boxes are in the scanner's pixels; ``scale`` maps them onto ``image``. Edges round outwards."""
    out = image.copy()
    draw = ImageDraw.Draw(out)
    for box in boxes:
        left = math.floor(box["left"] * scale) - pad
        top = math.floor(box["top"] * scale) - pad
        right = math.ceil((box["left"] + box["width"]) * scale) + pad
        bottom = math.ceil((box["top"] + box["height"]) * scale) + pad
        draw.rectangle((left, top, right, bottom), fill="black")
    return out


def to_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def redacted_page(data: bytes, page: int, findings: Iterable[dict[str, Any]], settings: Settings) -> bytes:
    """The page with every finding box blacked out; wholly pixelated when a finding on it has no box."""
    boxes, unplaced = boxes_on(findings, page)
    view = page_image(data, page, settings)
    image = pixelate(view.image) if unplaced else view.image
    return to_png(black_out(image, boxes, view.box_scale))


def raw_page(data: bytes, page: int, settings: Settings) -> bytes:
    return to_png(page_image(data, page, settings).image)
