"""OCR engines behind one contract: an image in, a text segment with word boxes out.

tesserocr keeps Tesseract loaded in-process (measured 2.2 s against 2.8 s for an A4
page through the ``tesseract`` command), so it is preferred; pytesseract is the
portable fallback. Both read Tesseract's TSV output so one parser builds the text.
Tesseract's OpenMP threads are capped at one: on 2 cores they slow it 2.7 times.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import logging
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from PIL import Image, ImageFilter, ImageStat

from piiscan.scanner.errors import OcrTimeoutError, OcrUnavailableError
from piiscan.scanner.language import TESSERACT_PACKS, detect_language
from piiscan.scanner.model import BBox, TextSegment, Word
from piiscan.scanner.ocr_merge import merge_reads, relabelled, span_of
from piiscan.scanner.ocr_photo import (
    MIN_SKEW_DEG,
    deskew,
    estimate_skew,
    even_polarity,
    flatten_lighting,
    sauvola,
    unrotate_point,
)
from piiscan.scanner.ocr_scale import upscale_factor
from piiscan.scanner.ocr_script import SCRIPT_PACKS, adopt_script_words, join_cjk, repair_pairs, script_hint
from piiscan.settings import Settings

log = logging.getLogger(__name__)

_TESSDATA_CANDIDATES = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
)


@runtime_checkable
class OcrEngine(Protocol):
    """Reads one image; returns Tesseract TSV text (level 5 rows are words)."""

    name: str

    def tsv(self, image: Image.Image, languages: str, timeout_s: float, whitelist: str | None = None) -> str: ...


def find_tessdata(configured: str | None = None) -> str | None:
    for candidate in (configured, os.environ.get("TESSDATA_PREFIX"), *_TESSDATA_CANDIDATES):
        if candidate and (Path(candidate) / "eng.traineddata").exists():
            return candidate
    return None


class TesserocrEngine:
    """In-process Tesseract; one API object per language set, reused for every page."""

    name = "tesserocr"

    def __init__(self, tessdata: str) -> None:
        import tesserocr

        self._tesserocr = tesserocr
        self._tessdata = tessdata
        self._apis: dict[str, tesserocr.PyTessBaseAPI] = {}
        self._lock = threading.Lock()

    def tsv(self, image: Image.Image, languages: str, timeout_s: float, whitelist: str | None = None) -> str:
        key = f"{languages}|{whitelist or ''}"
        with self._lock:
            api = self._apis.get(key)
            if api is None:
                psm = self._tesserocr.PSM.SINGLE_BLOCK if whitelist else self._tesserocr.PSM.AUTO
                api = self._tesserocr.PyTessBaseAPI(path=self._tessdata, lang=languages, psm=psm)
                if whitelist:
                    api.SetVariable("tessedit_char_whitelist", whitelist)
                self._apis[key] = api
            api.SetImage(image)
            if not api.Recognize(timeout=max(1, int(timeout_s * 1000))):
                api.Clear()
                raise OcrTimeoutError(f"OCR of a page exceeded {timeout_s:g} s")
            text: str = api.GetTSVText(0)
            api.Clear()
            return text


class PytesseractEngine:
    """The ``tesseract`` command through pytesseract; a subprocess per page."""

    name = "pytesseract"

    def __init__(self, tessdata: str | None) -> None:
        import pytesseract

        self._pt = pytesseract
        self._config = f'--tessdata-dir "{tessdata}"' if tessdata else ""

    def tsv(self, image: Image.Image, languages: str, timeout_s: float, whitelist: str | None = None) -> str:
        config = self._config + (f" --psm 6 -c tessedit_char_whitelist={whitelist}" if whitelist else "")
        try:
            out: str = self._pt.image_to_data(image, lang=languages, config=config, timeout=timeout_s)
        except RuntimeError as exc:
            if "timeout" in str(exc).lower():
                raise OcrTimeoutError(f"OCR of a page exceeded {timeout_s:g} s") from None
            raise
        except self._pt.TesseractNotFoundError:
            raise OcrUnavailableError() from None
        return out


_engines: dict[str, OcrEngine] = {}
_engines_lock = threading.Lock()


def get_engine(settings: Settings) -> OcrEngine:
    """The process-wide engine: loaded once per worker process, then reused."""
    key = f"{settings.ocr_engine}:{settings.tessdata_dir}"
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _make_engine(settings)
            _engines[key] = engine
        return engine


def _make_engine(settings: Settings) -> OcrEngine:
    tessdata = find_tessdata(settings.tessdata_dir)
    if settings.ocr_engine in ("auto", "tesserocr") and tessdata:
        try:
            return TesserocrEngine(tessdata)
        except ImportError:
            if settings.ocr_engine == "tesserocr":
                raise OcrUnavailableError("tesserocr is not installed") from None
    if tessdata is None and settings.ocr_engine != "pytesseract":
        raise OcrUnavailableError("No Tesseract language data found")
    return PytesseractEngine(tessdata)


def prepare(image: Image.Image, settings: Settings) -> tuple[Image.Image, float]:
    """Greyscale and scale to the size OCR reads well; returns the image and the scale used."""
    if image.mode not in ("L", "RGB"):
        if image.mode in ("RGBA", "LA", "P", "PA"):
            rgba = image.convert("RGBA")
            background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            image = Image.alpha_composite(background, rgba)
        image = image.convert("RGB")
    image = image.convert("L")
    long_side = max(image.size)
    factor = 1.0
    if long_side > settings.ocr_max_side:
        factor = settings.ocr_max_side / long_side
    elif long_side < settings.ocr_min_side:
        factor = min(settings.ocr_min_side / long_side, 3.0)
    if factor != 1.0:
        size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    return image, factor


MRZ_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
_MRZ_ALPHABET = frozenset(MRZ_CHARS + "«ce")
_MRZ_FILLER = re.compile(r"(<|«|c|e|K){3,}")


@dataclass(frozen=True, slots=True)
class OcrWord:
    """One word row of Tesseract's TSV: its line key, box and confidence."""

    line: tuple[int, int, int, int]
    box: BBox
    conf: float
    text: str
    rotation: int = 0
    """Clockwise degrees the page was turned to read this word (boxes are already mapped back)."""


def ocr_image(image: Image.Image, page: int, settings: Settings, engine: OcrEngine | None = None) -> TextSegment:
    """OCR one page image into a segment whose word boxes are in the original image's pixels.

    Lines that look like a machine-readable zone are read a second time, restricted to
    the MRZ alphabet: the general model reads its ``<`` fillers as ``c`` or ``e``.
    """
    engine = engine or get_engine(settings)
    prepared, factor = prepare(image, settings)
    words = parse_words(engine.tsv(prepared, settings.ocr_languages, settings.ocr_timeout_s))
    if settings.ocr_repair and _poor(words, prepared) and not _blank(prepared):
        words = _repair(words, prepared, engine, settings)
    if settings.ocr_repair:
        words = _reread_small_print(words, prepared, engine, settings)
    language = None
    if settings.ocr_detect_language:
        language = detect_language(" ".join(w.text for w in words if w.conf >= 60 and not _looks_like_mrz(w.text)))
        pack = TESSERACT_PACKS.get(language or "")
        if pack and pack not in settings.ocr_languages.split("+") and _pack_installed(pack, settings):
            # The English model drops diacritics (Köhler read as Kohler): read once more with the
            # language's own model, which costs one more pass on non-English pages only.
            words = _best(
                words, _read(prepared, engine, f"{pack}+{settings.ocr_languages}", settings, _rotation_of(words))
            )
    if settings.ocr_script_pass:
        words = _script_pass(words, prepared, engine, settings)
    words = _reread_mrz_lines(words, prepared, engine, settings)
    if settings.ocr_repair:
        words = _reread_mrz_band(words, prepared, engine, settings)
        words = _reread_vertical_text(words, prepared, engine, settings)
    words = _canonical_mrz(words)
    segment = build_segment(words, page, 1.0 / factor)
    segment.language = language
    return segment


_POOR_MEAN_CONF = 70.0
_UNREADABLE_MEAN_CONF = 50.0
"""Below this a page is likely turned; between it and _POOR_MEAN_CONF, likely noisy."""
_MIN_WORDS = 4


def _quality(words: list[OcrWord]) -> float:
    """Confidence-weighted characters read: more text read well is better."""
    return sum(max(w.conf, 0.0) * sum(ch.isalnum() for ch in w.text) for w in words) / 100.0


def _mean_conf(words: list[OcrWord]) -> float:
    confs = [w.conf for w in words if w.conf >= 0]
    return sum(confs) / len(confs) if confs else 0.0


def _poor(words: list[OcrWord], image: Image.Image) -> bool:
    """Few words on a large image, or words read with low confidence: worth a second look."""
    if len(words) < _MIN_WORDS:
        return min(image.size) >= 200
    return _mean_conf(words) < _POOR_MEAN_CONF


_BLANK_STD = 2.0
"""Grey-level spread under which a page is one colour (JPEG noise included): it can hold no text."""


def _blank(image: Image.Image) -> bool:
    """A page of one colour: turning, binarising or levelling it reads nothing, so the repair
    passes (up to seven more reads) are skipped. Measured on a thumbnail: cheap, noise-tolerant."""
    thumb = image.convert("L")
    thumb.thumbnail((256, 256))
    return float(ImageStat.Stat(thumb).stddev[0]) < _BLANK_STD


def _best(current: list[OcrWord], candidate: list[OcrWord]) -> list[OcrWord]:
    return candidate if _quality(candidate) > _quality(current) else current


def _combine(current: list[OcrWord], candidate: list[OcrWord]) -> list[OcrWord]:
    """The better read, with the lines only the other read merged in.

    Reads of the page turned another way are not merged: one of them is the wrong way up."""
    if _rotation_of(current) != _rotation_of(candidate):
        return _best(current, candidate)
    if _quality(candidate) > _quality(current):
        return merge_reads(candidate, current, relabelled)
    return merge_reads(current, candidate, relabelled)


def _repair(words: list[OcrWord], image: Image.Image, engine: OcrEngine, settings: Settings) -> list[OcrWord]:
    """Second passes for a poor read: an upside-down or sideways page (phone photos), then noise.

    Tesseract's own orientation detection was tried and dropped: on synthetic pages it
    called upright pages upside down, and in-process it aborted the worker. Reading the
    turned page and keeping the better result is slower only for pages that read poorly.
    """
    if len(words) < _MIN_WORDS or _mean_conf(words) < _UNREADABLE_MEAN_CONF:
        for rotation in (180, 90, 270):
            words = _best(words, _read(image, engine, settings.ocr_languages, settings, rotation))
            if not _poor(words, image):
                break
    if _mean_conf(words) < _POOR_MEAN_CONF:
        words = _combine(words, _read(binarise(image), engine, settings.ocr_languages, settings, _rotation_of(words)))
    if _poor(words, image):
        words = _repair_photo(words, image, engine, settings)
    return words


def _repair_photo(words: list[OcrWord], image: Image.Image, engine: OcrEngine, settings: Settings) -> list[OcrWord]:
    """Still poor after the cheap passes: level tilted text, even out the lighting and the print's
    polarity, and merge what each pass read.

    The pass that reads the most text with the most confidence is the base; the lines the other
    passes alone read are merged into it (see :mod:`piiscan.scanner.ocr_merge`). The log says
    which pass won (figures only, never text) so the passes can be measured per file.
    """
    rotation = _rotation_of(words)
    turned = image.rotate(-rotation, expand=True) if rotation else image
    angle = estimate_skew(turned)
    base = image
    passes: list[tuple[str, Image.Image, float]] = []
    if abs(angle) > MIN_SKEW_DEG:
        base = deskew(image, angle)
        passes.append(("deskew", base, angle))
    turn = angle if base is not image else 0.0
    flat = flatten_lighting(base)
    passes.append(("flatten", flat, turn))
    passes.append(("sauvola", sauvola(flat, _sauvola_window(words)), turn))
    reads: list[tuple[str, list[OcrWord]]] = [("first", words)]
    for name, candidate, tilt in passes:
        read = _read(candidate, engine, settings.ocr_languages, settings, rotation)
        reads.append((name, [_unturn(w, tilt, image.size) for w in read] if tilt else read))
    winner, words = reads[0]
    for name, read in reads[1:]:
        if _quality(read) > _quality(words) * _PHOTO_MARGIN:
            winner, words = name, read
    # The polarity pass reads print of both colours and the speckle between: it adds lines, it is
    # never the base (its stray marks before a label or a name break the page's lines). It works
    # at the print height the best read saw (the first read of a poor photo sees too little),
    # brought down to what Tesseract reads best: large print on a photo is also its noisiest.
    # It is skipped where no pass read two words surely: a photo without print, whose texture it
    # would turn into "print" for Tesseract to chew on (seconds, for nothing).
    if sum(1 for w in words if w.conf >= _SURE_CONF and len(w.text) >= 3) >= _SURE_WORDS:
        height = _text_height(words)
        factor = min(1.0, _POLARITY_TEXT_PX / height)
        shrunk = base.resize((round(base.width * factor), round(base.height * factor)), Image.Resampling.LANCZOS)
        read = _read(even_polarity(shrunk, round(height * factor)), engine, settings.ocr_languages, settings, rotation)
        read = [OcrWord(w.line, w.box.scaled(1 / factor), w.conf, w.text, w.rotation) for w in read]
        reads.append(("polarity", [_unturn(w, turn, image.size) for w in read] if turn else read))
    for name, read in reads:
        if name != winner:
            words = merge_reads(words, read, relabelled)
    log.debug("photo repair: skew %.1f deg, winner %s, quality %.1f", angle, winner, _quality(words))
    return words


_POLARITY_TEXT_PX = 36
"""Print height the polarity pass reads at: photos are shrunk to it, never enlarged."""
_SURE_CONF = 60.0
_SURE_WORDS = 2
"""Words of three or more characters read at 60 that tell a photo with print from one without."""
_PHOTO_MARGIN = 1.1
"""A repair pass must read clearly more: a near tie is noise, and a binarised read that wins
by a hair can drop the punctuation (an e-mail's dot) that the quality measure does not count."""


def _text_height(words: list[OcrWord]) -> int:
    """The median height of the words read with some confidence; 20 pixels when too few were."""
    heights = sorted(w.box.height for w in words if w.conf >= 30)
    return heights[len(heights) // 2] if len(heights) >= 5 else 20


def _sauvola_window(words: list[OcrWord]) -> int:
    """About twice the text height: wide enough to hold ink and paper, narrow enough for shadows."""
    return max(15, min(2 * _text_height(words) + 1, 101))


def _unturn(word: OcrWord, angle: float, size: tuple[int, int]) -> OcrWord:
    """A word read on the page levelled by ``angle``, its box moved back to the tilted page."""
    box = word.box
    x, y = unrotate_point(box.left + box.width / 2, box.top + box.height / 2, angle, size)
    left = max(0, round(x - box.width / 2))
    top = max(0, round(y - box.height / 2))
    return OcrWord(word.line, BBox(left, top, box.width, box.height), word.conf, word.text, word.rotation)


def _reread_small_print(
    words: list[OcrWord], image: Image.Image, engine: OcrEngine, settings: Settings
) -> list[OcrWord]:
    """Read a page of small print once more, enlarged; keep the better read (boxes mapped back)."""
    factor = upscale_factor(words, image.size, settings.ocr_max_side)
    if factor is None:
        return words
    size = (round(image.width * factor), round(image.height * factor))
    enlarged = image.resize(size, Image.Resampling.LANCZOS)
    read = _read(enlarged, engine, settings.ocr_languages, settings, _rotation_of(words))
    return _combine(words, [OcrWord(w.line, w.box.scaled(1 / factor), w.conf, w.text, w.rotation) for w in read])


def _read(image: Image.Image, engine: OcrEngine, languages: str, settings: Settings, rotation: int) -> list[OcrWord]:
    """OCR ``image`` turned clockwise by ``rotation`` degrees, boxes mapped back to ``image``."""
    turned = image.rotate(-rotation, expand=True) if rotation else image
    words = parse_words(engine.tsv(turned, languages, settings.ocr_timeout_s))
    if not rotation:
        return words
    width, height = image.size
    return [OcrWord(w.line, _unrotate(w.box, rotation, width, height), w.conf, w.text, rotation) for w in words]


def _rotation_of(words: list[OcrWord]) -> int:
    return words[0].rotation if words else 0


def _unrotate(box: BBox, rotation: int, width: int, height: int) -> BBox:
    """Map a box found in the image turned clockwise by ``rotation`` back to the original."""
    if rotation == 90:
        return BBox(box.top, height - box.left - box.width, box.height, box.width)
    if rotation == 180:
        return BBox(width - box.left - box.width, height - box.top - box.height, box.width, box.height)
    if rotation == 270:
        return BBox(width - box.top - box.height, box.left, box.height, box.width)
    return box


def binarise(image: Image.Image) -> Image.Image:
    """Median filter against speckle, then Otsu's global threshold."""
    import numpy as np

    smoothed = image.convert("L").filter(ImageFilter.MedianFilter(3))
    pixels = np.asarray(smoothed)
    histogram = np.bincount(pixels.ravel(), minlength=256).astype(float)
    total = pixels.size
    weights = np.cumsum(histogram)
    means = np.cumsum(histogram * np.arange(256))
    between = (means[-1] * weights / total - means) ** 2 / np.maximum(weights * (total - weights), 1)
    threshold = int(np.argmax(between))
    return Image.fromarray(((pixels > threshold) * 255).astype("uint8"), mode="L")


def _script_pass(words: list[OcrWord], image: Image.Image, engine: OcrEngine, settings: Settings) -> list[OcrWord]:
    """One more read with a script's pack when the page's Latin words name a country whose identity
    documents print names in that script (see :mod:`piiscan.scanner.ocr_script`); else nothing."""
    script = script_hint(_lines_text(words))
    if script is None:
        return words
    languages = settings.ocr_languages.split("+")
    pack = next((p for p in SCRIPT_PACKS[script] if _pack_installed(p, settings)), None)
    if pack is None or pack in languages:
        return words
    started = time.monotonic()
    read = _read(image, engine, f"{pack}+{settings.ocr_languages}", settings, _rotation_of(words))
    combined = adopt_script_words(words, read, script, relabelled)
    if script == "cyrillic":
        combined = repair_pairs(combined, words)
    combined = join_cjk(combined)
    log.debug("script pass: %s, %.2f s", pack, time.monotonic() - started)
    return combined


def _pack_installed(pack: str, settings: Settings) -> bool:
    tessdata = find_tessdata(settings.tessdata_dir)
    return tessdata is not None and (Path(tessdata) / f"{pack}.traineddata").exists()


def _reread_mrz_lines(words: list[OcrWord], image: Image.Image, engine: OcrEngine, settings: Settings) -> list[OcrWord]:
    lines = _by_line(words)
    candidates = [key for key, ws in lines.items() if _looks_like_mrz("".join(w.text for w in ws))]
    if not candidates:
        return words
    box = lines[candidates[0]][0].box
    for key in candidates:
        for word in lines[key]:
            box = box.union(word.box)
    rotation = _rotation_of(words)
    pad = max(min(box.width, box.height) // (2 * max(len(candidates), 1)), 10)
    left, top = max(box.left - pad, 0), max(box.top - pad, 0)
    right, bottom = min(box.right + pad, image.width), min(box.bottom + pad, image.height)
    crop = image.crop((left, top, right, bottom))
    turned = crop.rotate(-rotation, expand=True) if rotation else crop
    reread = parse_words(engine.tsv(turned, "eng", settings.ocr_timeout_s, whitelist=MRZ_CHARS))
    if sum(len(w.text) for w in reread) < 28:
        return words
    moved = []
    for w in reread:
        local = _unrotate(w.box, rotation, crop.width, crop.height)
        moved.append(
            OcrWord(
                (-1, 0, *w.line[2:]),  # a block of its own, after the page's text
                BBox(local.left + left, local.top + top, local.width, local.height),
                w.conf,
                w.text,
                rotation,
            )
        )
    dropped = set(candidates)
    return [w for w in words if w.line not in dropped] + moved


_MRZ_HINT_MIN_CHARS = 12
_MRZ_TEXT_PX = (40, 30, 52)
"""Heights the band's print is enlarged to, in turn until the check digits hold: the whitelisted
model tells '<' from 'K' best near 40 pixels, but which size reads a given font cleanly varies."""
_MRZ_MAX_FACTOR = 3.0
_MRZ_LINE_MIN_CHARS = 26
"""A re-read line shorter than this is not one of the 30-, 36- or 44-character MRZ lines."""


def _mrz_fragment(line: str) -> bool:
    """A line that reads like a damaged MRZ line: a filler run and mostly MRZ characters, even when
    OCR dropped or merged enough characters to fail :func:`_looks_like_mrz`."""
    compact = "".join(line.split())
    if len(compact) < _MRZ_HINT_MIN_CHARS or not _MRZ_FILLER.search(compact):
        return False
    return sum(1 for ch in compact if ch not in _MRZ_ALPHABET) <= len(compact) // 5


LineKey = tuple[int, int, int, int]


def _by_line(words: Iterable[OcrWord]) -> dict[LineKey, list[OcrWord]]:
    """Words grouped by their Tesseract line, in reading order."""
    lines: dict[LineKey, list[OcrWord]] = {}
    for word in words:
        lines.setdefault(word.line, []).append(word)
    return lines


def _mrz_hinted(lines: dict[LineKey, list[OcrWord]]) -> list[LineKey]:
    """The lines that read like an MRZ line, damaged or not."""
    return [key for key, ws in lines.items() if _mrz_fragment(" ".join(w.text for w in ws))]


def _lines_text(words: list[OcrWord]) -> str:
    return "\n".join(" ".join(w.text for w in ws) for ws in _by_line(words).values())


def _reread_mrz_band(words: list[OcrWord], image: Image.Image, engine: OcrEngine, settings: Settings) -> list[OcrWord]:
    """Read the band around MRZ-looking lines once more, enlarged and restricted to the MRZ alphabet,
    when the page's MRZ does not yet pass its check digits.

    A photographed card's MRZ is small print in a strong font: the general read drops a line, counts
    fillers wrong or reads '<' as 'K' or 'X'. The band (the lines that look like MRZ, three line
    heights above and below, the page's full width) is enlarged to about 40-pixel print and read as
    one block. The re-read's MRZ lines replace the first read's only when their check digits hold
    better. Pages without an MRZ-like line (every ordinary page) pay nothing.
    """
    from piiscan.scanner.detect.recognizers.mrz import mrz_quality  # here: the detect package loads Presidio

    lines = _by_line(words)
    hinted = _mrz_hinted(lines)
    if not hinted:
        return words
    before = mrz_quality(_lines_text(words))
    if before == 3:
        return words
    rotation = _rotation_of(words)
    if rotation:
        return words  # the band is a horizontal strip of the upright page
    band = [w for key in hinted for w in lines[key]]
    heights = sorted(w.box.height for w in band)
    height = max(heights[len(heights) // 2], 8)
    top = max(min(w.box.top for w in band) - 3 * height, 0)
    bottom = min(max(w.box.bottom for w in band) + 3 * height, image.height)
    band_image = image.crop((0, top, image.width, bottom))
    for text_px in _MRZ_TEXT_PX:
        moved = _read_band(band_image, text_px / height, top, engine, settings)
        if moved and mrz_quality(_lines_text(moved)) > before:
            break
    else:
        return words
    moved = _canonical_lines(moved)
    low = min(w.box.top for w in moved)
    high = max(w.box.bottom for w in moved)
    dropped = set(hinted) | {
        key for key, ws in lines.items() if all(low <= (w.box.top + w.box.bottom) / 2 <= high for w in ws)
    }
    return [w for w in words if w.line not in dropped] + moved


_VERTICAL_MIN_LINES = 6
"""Stacked one-to-four-character lines that make a column of text printed sideways."""
_VERTICAL_MAX_CHARS = 4
_VERTICAL_TEXT_PX = 40
"""Print height a sideways column is enlarged to before it is read turned upright."""
_VERTICAL_MIN_CONF = 70.0
_VERTICAL_MIN_CHARS = 4
"""Letters and digits the upright read needs: fewer is a speck read as a glyph."""


def _reread_vertical_text(
    words: list[OcrWord], image: Image.Image, engine: OcrEngine, settings: Settings
) -> list[OcrWord]:
    """Read text printed sideways (a licence number up a card's edge) turned upright.

    Tesseract reads a sideways column as a stack of one- to four-character "lines" of one narrow
    width, each a glyph or two read on its side ("1S)", "<<?", "fan}"). Such a stack is cut out,
    enlarged to ordinary print height, read turned a quarter both ways, and the confident read
    replaces the stack. Pages without such a stack (nearly all) pay nothing.
    """
    lines = _by_line(words)
    stacks: list[list[tuple[int, int, int, int]]] = []
    previous: BBox | None = None
    for key, ws in lines.items():
        box = span_of(ws)
        short = len("".join(w.text for w in ws)) <= _VERTICAL_MAX_CHARS and box.height <= 2 * box.width
        if not short:
            previous = None
            continue
        if previous is not None and _stacked(previous, box):
            stacks[-1].append(key)
        else:
            stacks.append([key])
        previous = box
    replaced: set[tuple[int, int, int, int]] = set()
    added: list[OcrWord] = []
    for block, stack in enumerate(stacks):
        if len(stack) < _VERTICAL_MIN_LINES:
            continue
        read = _read_sideways([w for key in stack for w in lines[key]], block, image, engine, settings)
        if read:
            replaced.update(stack)
            added.extend(read)
    if not added:
        return words
    return [w for w in words if w.line not in replaced] + added


def _stacked(above: BBox, below: BBox) -> bool:
    """``below`` continues the column of ``above``: same left edge and width, right under it."""
    return (
        abs(below.left - above.left) <= above.width // 2
        and abs(below.width - above.width) <= 4
        and 0 <= below.top - above.bottom <= below.width
    )


def _read_sideways(
    stack: list[OcrWord], block: int, image: Image.Image, engine: OcrEngine, settings: Settings
) -> list[OcrWord]:
    """The column under ``stack`` read turned a quarter each way; the confident read, boxes on the page,
    its words in a block of their own (``block``) after the page's text."""
    box = span_of(stack)
    pad = max(box.width // 2, 4)
    left, top = max(box.left - pad, 0), max(box.top - pad, 0)
    crop = image.crop((left, top, min(box.right + pad, image.width), min(box.bottom + pad, image.height)))
    factor = min(max(_VERTICAL_TEXT_PX / max(box.width, 1), 1.0), 4.0)
    if factor > 1.0:
        crop = crop.resize((round(crop.width * factor), round(crop.height * factor)), Image.Resampling.LANCZOS)
    best: list[OcrWord] = []
    for rotation in (90, 270):
        read = _read(crop, engine, settings.ocr_languages, settings, rotation)
        if _quality(read) > _quality(best):
            best = read
    if sum(ch.isalnum() for w in best for ch in w.text) < _VERTICAL_MIN_CHARS or _mean_conf(best) < _VERTICAL_MIN_CONF:
        return []
    return [
        OcrWord(
            (-3, block, *w.line[2:]),
            _shifted(w.box.scaled(1 / factor), left, top),
            w.conf,
            w.text,
            w.rotation,
        )
        for w in best
    ]


def _shifted(box: BBox, left: int, top: int) -> BBox:
    return BBox(box.left + left, box.top + top, max(box.width, 1), max(box.height, 1))


_FILLER_RUN = re.compile(r"<[<KSCRE]{4,}")
"""A run of fillers as the MRZ alphabet reads it: '<' first, then '<' or the letters OCR takes it for."""


def _filler_runs(text: str) -> str:
    """Fillers in a run that starts with '<' (OCR reads a filler as K, S, C, R or E inside it).

    A run is rewritten only when at least half of it is already '<' or K, so a name that
    follows a single separator ("<SCREE") keeps its letters."""

    def fill(match: re.Match[str]) -> str:
        run = match.group()
        return "<" * len(run) if 2 * sum(ch in "<K" for ch in run) >= len(run) else run

    return _FILLER_RUN.sub(fill, text)


def _canonical_mrz(words: list[OcrWord]) -> list[OcrWord]:
    """The page's MRZ lines, in their place, as the check digits confirmed them.

    The decoder repairs what OCR damages (a lost check digit, ``O`` read for ``0``, a filler read as
    a letter or counted twice) only where every check digit then holds; the page text then carries
    the MRZ as printed, so the finding, its masked evidence and its keyed hash are of the document's
    own zone. Pages without MRZ-looking lines, and zones that do not decode line for line, keep
    their read."""
    lines = _by_line(words)
    hinted = _mrz_hinted(lines)
    if not hinted:
        return words
    zone = [w for key in hinted for w in lines[key]]
    canonical = _canonical_lines(zone)
    if canonical is zone:
        return words
    by_line = {w.line: w for w in canonical}
    out: list[OcrWord] = []
    placed: set[LineKey] = set()
    for word in words:
        if word.line not in by_line:
            out.append(word)
        elif word.line not in placed:
            placed.add(word.line)
            out.append(by_line[word.line])  # the line's one confirmed word, where its first word stood
    return out


def _canonical_lines(words: list[OcrWord]) -> list[OcrWord]:
    """The re-read MRZ lines as the check digits confirmed them, one word a line (boxes kept).

    Only when the MRZ decodes with as many lines as were re-read: the check digits then say which
    letters were digits and which K's were fillers, and the page text carries the MRZ as printed."""
    from piiscan.scanner.detect.recognizers.mrz import find_mrzs

    lines = _by_line(words)
    found = find_mrzs(_lines_text(words))
    if len(found) != 1 or len(found[0][0].lines) != len(lines):
        return words
    pairs = list(zip(lines.items(), found[0][0].lines, strict=True))
    if any(_differs("".join(w.text for w in ws), text) for (_, ws), text in pairs):
        return words  # read in another order (bottom line first): keep the read, and its boxes
    out = []
    for (key, ws), text in pairs:
        box = ws[0].box
        for word in ws[1:]:
            box = box.union(word.box)
        out.append(OcrWord(key, box, min(w.conf for w in ws), text))
    return out


def _differs(read: str, canonical: str) -> bool:
    """More than a third of the characters changed: not the same line."""
    return sum(a != b for a, b in zip(read, canonical, strict=False)) > len(canonical) // 3


def _read_band(band: Image.Image, factor: float, top: int, engine: OcrEngine, settings: Settings) -> list[OcrWord]:
    """The MRZ-looking lines of ``band`` read enlarged by ``factor`` with the MRZ alphabet, fillers
    repaired, boxes in the page's pixels (``top``: the band's offset on the page)."""
    factor = min(factor, _MRZ_MAX_FACTOR, settings.ocr_max_side / band.width)
    if factor > 1.05:
        band = band.resize((round(band.width * factor), round(band.height * factor)), Image.Resampling.LANCZOS)
    else:
        factor = 1.0
    lines = _by_line(parse_words(engine.tsv(band, "eng", settings.ocr_timeout_s, whitelist=MRZ_CHARS)))
    return [
        OcrWord((-2, 0, *w.line[2:]), BBox(*_band_box(w.box, factor, top)), w.conf, _filler_runs(w.text))
        for ws in lines.values()
        if len("".join(w.text for w in ws)) >= _MRZ_LINE_MIN_CHARS and any("<" in w.text for w in ws)
        for w in ws
    ]


def _band_box(box: BBox, factor: float, top: int) -> tuple[int, int, int, int]:
    """A box of the enlarged band in the page's pixels."""
    return (
        round(box.left / factor),
        round(box.top / factor) + top,
        max(1, round(box.width / factor)),
        max(1, round(box.height / factor)),
    )


def _looks_like_mrz(line: str) -> bool:
    """Long, with a filler run, and at most two characters outside the MRZ alphabet (OCR noise)."""
    compact = "".join(line.split())
    if len(compact) < 28 or not _MRZ_FILLER.search(compact):
        return False
    return sum(1 for ch in compact if ch not in _MRZ_ALPHABET) <= 2


def parse_words(tsv: str) -> list[OcrWord]:
    words: list[OcrWord] = []
    for row in tsv.splitlines():
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5":
            continue
        text = cols[11].strip()
        if not text:
            continue
        try:
            line = (int(cols[1]), int(cols[2]), int(cols[3]), int(cols[4]))
            left, top, width, height = (int(c) for c in cols[6:10])
            conf = float(cols[10])
        except ValueError:
            continue
        words.append(OcrWord(line, BBox(left, top, width, height), conf, text))
    return words


def parse_tsv(tsv: str, page: int, scale: float = 1.0) -> TextSegment:
    return build_segment(parse_words(tsv), page, scale)


def build_segment(words: list[OcrWord], page: int, scale: float = 1.0) -> TextSegment:
    """Join words into lines and blocks, keeping each word's span and box."""
    parts: list[str] = []
    out: list[Word] = []
    pos = 0
    last: tuple[int, int, int, int] | None = None
    for word in words:
        if last is not None:
            sep = "\n\n" if word.line[:2] != last[:2] else ("\n" if word.line != last else " ")
            parts.append(sep)
            pos += len(sep)
        last = word.line
        box = word.box.scaled(scale) if scale != 1.0 else word.box
        out.append(Word(pos, pos + len(word.text), box, word.conf))
        parts.append(word.text)
        pos += len(word.text)
    return TextSegment(text="".join(parts), page=page, source="ocr", words=out)
