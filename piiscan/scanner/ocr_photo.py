"""Repairs for photographed pages: straighten tilted text, even out uneven lighting.

A phone photo of a form is rarely level and rarely evenly lit. Tesseract finds text lines
by horizontal runs and binarises with one global threshold, so a tilt of a few degrees
breaks lines apart and a shadow turns half the page black. Both repairs are pure numpy on
a page already in greyscale and keep the page's size, so word boxes map back with one
rotation about the centre. They run only on pages whose first read was poor.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageFilter
from scipy.ndimage import maximum_filter, median_filter, uniform_filter

MIN_SKEW_DEG = 1.0
"""Below this Tesseract copes with the tilt itself; rotating would only blur the glyphs."""
MAX_SKEW_DEG = 12.0
_COARSE_STEP = 0.5
_FINE_STEP = 0.1
_ESTIMATE_SIDE = 1000
"""Skew is estimated on a copy this long: enough for the line pattern, cheap to rotate 60 times."""


def _otsu(pixels: np.ndarray) -> int:
    histogram = np.bincount(pixels.ravel(), minlength=256).astype(float)
    weights = np.cumsum(histogram)
    means = np.cumsum(histogram * np.arange(256))
    total = pixels.size
    between = (means[-1] * weights / total - means) ** 2 / np.maximum(weights * (total - weights), 1)
    return int(np.argmax(between))


def _ink(image: Image.Image) -> Image.Image:
    """A small copy where dark (text) pixels are 255 and the rest 0."""
    grey = image.convert("L")
    factor = _ESTIMATE_SIDE / max(grey.size)
    if factor < 1:
        grey = grey.resize((max(1, round(grey.width * factor)), max(1, round(grey.height * factor))))
    pixels = np.asarray(grey)
    return Image.fromarray(((pixels <= _otsu(pixels)) * 255).astype("uint8"), mode="L")


def _profile_score(ink: Image.Image, angle: float) -> float:
    """How sharply the rows separate into text lines and gaps when turned by ``angle``."""
    rows = np.asarray(ink.rotate(angle, resample=Image.Resampling.NEAREST), dtype=np.float64).sum(axis=1)
    return float(np.square(np.diff(rows)).sum())


def estimate_skew(image: Image.Image) -> float:
    """Degrees (counter-clockwise, PIL's sense) that level the page's text lines; 0 when unsure.

    Projection profile: turned level, rows of text and the gaps between them alternate most
    sharply. A coarse search, then a fine one around the best angle.
    """
    ink = _ink(image)
    share = float(np.asarray(ink).mean()) / 255
    if share < 0.005 or share > 0.5:  # blank page or mostly dark: no lines to level
        return 0.0
    coarse = np.arange(-MAX_SKEW_DEG, MAX_SKEW_DEG + _COARSE_STEP / 2, _COARSE_STEP)
    scores = {float(a): _profile_score(ink, float(a)) for a in coarse}
    best = max(scores, key=lambda a: scores[a])
    fine = np.arange(best - _COARSE_STEP, best + _COARSE_STEP + _FINE_STEP / 2, _FINE_STEP)
    for angle in fine:
        scores[float(angle)] = _profile_score(ink, float(angle))
    best = max(scores, key=lambda a: scores[a])
    if scores[best] <= scores[0.0] * 1.05:  # barely better than level: leave the page alone
        return 0.0
    return round(best, 1)


def deskew(image: Image.Image, angle: float) -> Image.Image:
    """Turn ``image`` by ``angle`` degrees about its centre, same size, white where it was empty."""
    return image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255 if image.mode == "L" else "white")


def unrotate_point(x: float, y: float, angle: float, size: tuple[int, int]) -> tuple[float, float]:
    """Where a point of the image turned by ``angle`` (see :func:`deskew`) was before the turn."""
    cx, cy = size[0] / 2, size[1] / 2
    a = math.radians(angle)
    dx, dy = x - cx, y - cy
    return cx + dx * math.cos(a) - dy * math.sin(a), cy + dx * math.sin(a) + dy * math.cos(a)


def flatten_lighting(image: Image.Image) -> Image.Image:
    """Divide the page by its own background so shadows and gradients become white paper.

    The background is the local brightest value (ink removed by a max filter on a small copy),
    smoothed and scaled back up: the local contrast normalisation a CLAHE would give, without
    its noise amplification on blank paper.
    """
    grey = image.convert("L")
    small_side = 160
    factor = small_side / max(grey.size)
    small = grey.resize((max(8, round(grey.width * factor)), max(8, round(grey.height * factor))))
    background = small.filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.GaussianBlur(3)).resize(grey.size)
    # float32 and in place: a phone photo is 12 million pixels, and float64 temporaries cost seconds
    flat = np.asarray(grey, dtype=np.float32) * np.float32(255.0)
    flat /= np.maximum(np.asarray(background, dtype=np.float32), np.float32(1.0))
    np.clip(flat, 0, 255, out=flat)
    # stretch what is left so the darkest ink is black again (1st percentile from a 256-bin histogram)
    counts = np.bincount(flat.astype(np.uint8).ravel(), minlength=256)
    low = float(np.searchsorted(np.cumsum(counts), 0.01 * flat.size))
    flat -= np.float32(low)
    flat *= np.float32(255.0 / max(255.0 - low, 1.0))
    np.clip(flat, 0, 255, out=flat)
    return Image.fromarray(flat.astype("uint8"), mode="L")


def sauvola(image: Image.Image, window: int = 31, k: float = 0.2) -> Image.Image:
    """Sauvola's adaptive threshold: each pixel against its window's mean and spread.

    Unlike one global (Otsu) threshold it keeps faint print next to dark print and does not
    black out shaded regions. Window means are separable box filters, so cost is linear.
    """
    pixels = np.asarray(image.convert("L"), dtype=np.float32)
    size = 2 * max(window // 2, 1) + 1
    # separable box means in C (edges repeated, as padding with the border would): linear and
    # ten times faster than integral images in numpy on a 12-megapixel photo
    mean = uniform_filter(pixels, size=size, mode="nearest")
    square = uniform_filter(np.square(pixels), size=size, mode="nearest")
    square -= np.square(mean)
    np.maximum(square, 0.0, out=square)
    std = np.sqrt(square, out=square)
    threshold = mean * (1 + k * (std / np.float32(128.0) - 1))
    return Image.fromarray(((pixels > threshold) * 255).astype("uint8"), mode="L")


_POLARITY_SIDE = 600
"""The background is estimated on a copy this long: a median over text-sized windows stays cheap."""


def even_polarity(image: Image.Image, text_height: int = 20) -> Image.Image:
    """Dark print on white wherever the page has print, whichever its colours: the distance of each
    pixel from its local background.

    Tesseract thresholds a page once and expects dark ink: white print on a grey band of a card, or
    light print on a dark X-ray, reads as nothing. A median over windows a few print heights wide
    estimates the background (the print is a minority in any such window); the distance from it is
    large on print of either polarity and small on paper and on smooth gradients.
    """
    grey = image.convert("L")
    factor = min(1.0, _POLARITY_SIDE / max(grey.size))
    small = grey.resize((max(8, round(grey.width * factor)), max(8, round(grey.height * factor))))
    window = max(5, round(3 * text_height * factor)) | 1
    background = median_filter(np.asarray(small, dtype=np.uint8), size=window, mode="nearest")
    back = np.asarray(Image.fromarray(background).resize(grey.size, Image.Resampling.BILINEAR), dtype=np.float32)
    distance = np.abs(np.asarray(grey, dtype=np.float32) - back)
    # Stretched against the strongest print nearby, not the page's: faint white print on a grey
    # band sits beside bold black print, and a page-wide stretch would leave it pale. The floor
    # keeps plain paper (where the strongest "print" is noise) from being stretched into specks.
    small_distance = np.abs(np.asarray(small, dtype=np.float32) - background.astype(np.float32))
    local = maximum_filter(small_distance, size=2 * window + 1, mode="nearest")
    local = np.maximum(local, np.float32(_POLARITY_FLOOR))
    scale = np.asarray(Image.fromarray(local.astype("uint8")).resize(grey.size, Image.Resampling.BILINEAR))
    distance /= scale.astype(np.float32)
    # the weakest third is paper texture and JPEG noise: dropped, so Tesseract sees clean strokes
    distance -= np.float32(_POLARITY_NOISE)
    distance *= np.float32(255.0 / (1.0 - _POLARITY_NOISE))
    np.clip(distance, 0, 255, out=distance)
    return Image.fromarray((255 - distance).astype("uint8"), mode="L")


_POLARITY_NOISE = 0.35
"""Share of the local print contrast below which a pixel is taken for paper."""


_POLARITY_FLOOR = 40.0
"""Grey levels of contrast below which a region is taken for paper, not print."""
