"""Page images for reviewers, rendered in memory from the stored object.

``redacted_page`` blacks out every finding box of the page before anything leaves the process (and
pixelates the whole page when a finding on it has no box, e.g. one from a PDF's text layer);
``raw_page`` is the page as uploaded, for a reveal that the caller has logged. Both scale the page
down to ``max_side``. Nothing is cached: the object is read through the store (whose download
spool is a temporary file removed at once), decoded and encoded in memory.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterable
from typing import Any

from PIL import Image, ImageDraw, ImageSequence

from piiscan.scanner import sniff
from piiscan.scanner.extract.images import open_image
from piiscan.settings import Settings

_pdfium_lock = threading.Lock()
MAX_SIDE = 1400


class NoPreviewError(Exception):
    """The object has no page image (a document without pages, an unsupported type)."""


def page_image(data: bytes, page: int, settings: Settings) -> Image.Image:
    """Page ``page`` (1-based) in the pixel space the scanner's boxes use."""
    media_type = sniff.sniff(data)
    if media_type == sniff.PDF:
        import pypdfium2 as pdfium

        with _pdfium_lock:
            pdf = pdfium.PdfDocument(data)
            try:
                if not 1 <= page <= len(pdf):
                    raise NoPreviewError(f"The document has no page {page}")
                rendered = pdf[page - 1].render(scale=settings.ocr_dpi / 72.0).to_pil()
            finally:
                pdf.close()
        rgb: Image.Image = rendered.convert("RGB")
        return rgb
    if media_type not in sniff.IMAGE_TYPES:
        raise NoPreviewError(f"No page image can be made of {media_type}")
    try:
        image = open_image(data, settings.max_image_pixels)
    except Exception as exc:
        raise NoPreviewError(f"No page image can be made of this object ({type(exc).__name__})") from None
    frames = ImageSequence.Iterator(image) if image.format == "TIFF" else [image]
    for index, frame in enumerate(frames, start=1):
        if index == page:
            return frame.convert("RGB")
    raise NoPreviewError(f"The image has no page {page}")


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


def black_out(image: Image.Image, boxes: Iterable[dict[str, int]], pad: int = 3) -> Image.Image:
    out = image.copy()
    draw = ImageDraw.Draw(out)
    for box in boxes:
        left, top = box["left"] - pad, box["top"] - pad
        draw.rectangle((left, top, box["left"] + box["width"] + pad, box["top"] + box["height"] + pad), fill="black")
    return out


def to_png(image: Image.Image, max_side: int = MAX_SIDE) -> bytes:
    if max(image.size) > max_side:
        factor = max_side / max(image.size)
        image = image.resize((max(1, round(image.width * factor)), max(1, round(image.height * factor))))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def redacted_page(data: bytes, page: int, findings: Iterable[dict[str, Any]], settings: Settings) -> bytes:
    """The page with every finding box blacked out; wholly pixelated when a finding on it has no box."""
    boxes, unplaced = boxes_on(findings, page)
    image = page_image(data, page, settings)
    if unplaced:
        image = pixelate(image)
    return to_png(black_out(image, boxes))


def raw_page(data: bytes, page: int, settings: Settings) -> bytes:
    return to_png(page_image(data, page, settings))
