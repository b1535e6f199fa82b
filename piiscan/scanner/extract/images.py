"""Images: OCR every page (TIFF) with word boxes, plus metadata and bar codes.

Metadata matters because the policy warns that uploads may carry where and by whom
a photo was taken: EXIF GPS and owner fields are read as text of their own source.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterator
from typing import Any, ClassVar

from PIL import ExifTags, Image, ImageSequence, UnidentifiedImageError

from piiscan.scanner import sniff
from piiscan.scanner.errors import CorruptFileError, ImageTooLargeError
from piiscan.scanner.extract.base import ExtractContext
from piiscan.scanner.model import BBox, Extraction, TextSegment, Word

# Pillow's own bomb guard would raise its own error; ours runs first with a typed one.
Image.MAX_IMAGE_PIXELS = None

_EXIF_TEXT_TAGS = {
    0x010E: "ImageDescription",
    0x013B: "Artist",
    0x8298: "Copyright",
    0x9C9B: "XPTitle",
    0x9C9C: "XPComment",
    0x9C9D: "XPAuthor",
    0x9C9F: "XPSubject",
    0x9286: "UserComment",
    0xA430: "CameraOwnerName",
    0xA431: "BodySerialNumber",
}
_XMP_FIELDS = re.compile(
    r"<(dc:creator|dc:rights|dc:description|dc:title|photoshop:AuthorsPosition|"
    r"xmpRights:Owner|Iptc4xmpCore:CreatorContactInfo|photoshop:City|photoshop:Country)\b[^>]*>(.*?)</\1>",
    re.S,
)
_TAGS = re.compile(r"<[^>]+>")


class ImageExtractor:
    media_types: ClassVar[frozenset[str]] = sniff.IMAGE_TYPES

    def extract(self, data: bytes, ctx: ExtractContext) -> Extraction:
        image = open_image(data, ctx.settings.max_image_pixels)
        out = Extraction(pages=0)
        out.segments.extend(read_metadata(image))
        for page, frame in enumerate(_frames(image), start=1):
            if page > ctx.settings.max_pages:
                break
            try:
                frame.load()
            except (OSError, ValueError, SyntaxError) as exc:
                raise CorruptFileError(f"Image data is truncated or damaged ({type(exc).__name__})") from None
            rgb = frame.convert("RGB")
            segment = ctx.ocr(rgb, page)
            if transparent(frame):
                rgb, segment = _better_read(ctx, page, (rgb, segment), flatten(frame))
            out.pages = page
            out.ocr_pages += 1
            out.images.append(rgb)
            out.segments.append(segment)
            out.segments.extend(read_barcodes(rgb, page))
        if out.pages == 0:
            raise CorruptFileError("The image has no readable frame")
        return out


def transparent(frame: Image.Image) -> bool:
    """Whether some pixel of ``frame`` is see-through."""
    if frame.mode in ("RGBA", "LA", "PA") or (frame.mode == "P" and "transparency" in frame.info):
        low, _ = frame.convert("RGBA").getchannel("A").getextrema()
        return isinstance(low, int) and low < 255
    return False


def flatten(frame: Image.Image) -> Image.Image:
    """RGB with see-through pixels over white, as a viewer shows the page."""
    rgba = frame.convert("RGBA")
    return Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba).convert("RGB")


def read_quality(segment: TextSegment) -> float:
    """Confidence-weighted characters read: more text read well is better."""
    return sum(max(w.conf, 0.0) * (w.end - w.start) for w in segment.words)


def _better_read(
    ctx: ExtractContext, page: int, current: tuple[Image.Image, TextSegment], flat: Image.Image
) -> tuple[Image.Image, TextSegment]:
    """Read a page with see-through pixels a second time, over white, and keep the better read.

    Dropping the alpha channel shows whatever colour see-through pixels store, often black;
    over white is what a viewer shows. Neither wins always: Tesseract's page layout found no
    text at all on some document mockups one way and read them well the other way.
    """
    segment = ctx.ocr(flat, page)
    return (flat, segment) if read_quality(segment) > read_quality(current[1]) else current


def open_image(data: bytes, max_pixels: int) -> Image.Image:
    """Open without decoding, and refuse dimensions past the pixel cap before any decode."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise CorruptFileError(f"The image header cannot be read ({type(exc).__name__})") from None
    width, height = image.size
    if width * height > max_pixels:
        raise ImageTooLargeError(f"The image declares {width}x{height} pixels")
    if width == 0 or height == 0:
        raise CorruptFileError("The image declares zero pixels")
    return image


def _frames(image: Image.Image) -> Iterator[Image.Image]:
    """Every page of a TIFF; the first frame of anything else (animations repeat themselves)."""
    if image.format == "TIFF":
        yield from ImageSequence.Iterator(image)
    else:
        yield image


def read_metadata(image: Image.Image) -> list[TextSegment]:
    lines: list[str] = []
    try:
        exif = image.getexif()
    except (OSError, ValueError, SyntaxError):
        exif = None
    if exif:
        for tag, name in _EXIF_TEXT_TAGS.items():
            value = _exif_text(exif.get(tag))
            if value is None:
                try:
                    value = _exif_text(exif.get_ifd(ExifTags.IFD.Exif).get(tag))
                except (KeyError, OSError, ValueError):
                    value = None
            if value:
                lines.append(f"{name}: {value}")
        gps = _gps(exif)
        if gps:
            lines.append(f"GPS coordinates: {gps[0]:.6f}, {gps[1]:.6f}")
    xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
    if isinstance(xmp, bytes):
        xmp = xmp.decode("utf-8", "ignore")
    if isinstance(xmp, str):
        for name, body in _XMP_FIELDS.findall(xmp):
            value = " ".join(_TAGS.sub(" ", body).split())
            if value:
                lines.append(f"{name}: {value}")
    comment = image.info.get("comment")
    if isinstance(comment, bytes):
        comment = comment.decode("utf-8", "ignore")
    if isinstance(comment, str) and comment.strip():
        lines.append(f"Comment: {comment.strip()}")
    if not lines:
        return []
    return [TextSegment(text="\n".join(lines), page=1, source="metadata", origin="image metadata")]


def _exif_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        if value.startswith((b"ASCII\x00\x00\x00", b"UNICODE\x00", b"\x00\x00\x00\x00\x00\x00\x00\x00")):
            body = value[8:]
            value = body.decode("utf-16-le" if value.startswith(b"UNICODE") else "latin-1", "ignore")
        elif len(value) % 2 == 0 and b"\x00" in value:
            value = value.decode("utf-16-le", "ignore")  # XP* tags
        else:
            value = value.decode("utf-8", "ignore")
    if isinstance(value, tuple):
        value = bytes(value).decode("utf-16-le", "ignore")
    text = " ".join(str(value).replace("\x00", " ").split())
    return text or None


def _gps(exif: Image.Exif) -> tuple[float, float] | None:
    try:
        info = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except (KeyError, OSError, ValueError):
        return None
    try:
        lat = _dms(info[2], info.get(1, "N"))
        lon = _dms(info[4], info.get(3, "E"))
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def _dms(parts: Any, ref: Any) -> float:
    degrees, minutes, seconds = (float(p) for p in parts)
    value = degrees + minutes / 60 + seconds / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "ignore")
    return -value if str(ref).strip().upper() in ("S", "W") else value


def read_barcodes(image: Image.Image, page: int) -> list[TextSegment]:
    """QR and bar codes often carry contact cards or IDs (driver licences use PDF417)."""
    try:
        import zxingcpp
    except ImportError:  # pragma: no cover - a dependency; kept optional for slim installs
        return []
    segments: list[TextSegment] = []
    try:
        found = zxingcpp.read_barcodes(image)
    except (ValueError, RuntimeError):
        return []
    for code in found:
        text = code.text.strip()
        if not text:
            continue
        pos = code.position
        xs = [pos.top_left.x, pos.top_right.x, pos.bottom_left.x, pos.bottom_right.x]
        ys = [pos.top_left.y, pos.top_right.y, pos.bottom_left.y, pos.bottom_right.y]
        box = BBox(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))
        segments.append(
            TextSegment(
                text=text,
                page=page,
                source="barcode",
                words=[Word(0, len(text), box, 100.0)],
                origin=str(code.format),
            )
        )
    return segments
