"""Property fuzzing of the type sniffer and the extractors on malformed and mutated files (Hypothesis).

Seeds are valid files of every supported type, built at run time; Hypothesis mutates them (bit flips,
overwritten integers, truncation, inserted and duplicated chunks). For every input the sniffer names a
supported type or raises a typed ScanError, and the extractor behind it (real parsers, real Tesseract)
returns an extraction or raises a typed ScanError: any other exception is a crash. No input may run
longer than a bound (a SIGALRM guard catches hangs) or grow the process's peak memory beyond a bound
derived from the configured caps. ``make test`` runs a bounded number of examples; ``make fuzz`` more
(``PIISCAN_FUZZ_EXAMPLES``). The volume is printed at the end of the session (``-s`` shows it).
"""

from __future__ import annotations

import io
import json
import os
import resource
import signal
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from types import FrameType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from piiscan.scanner import extract as extract_mod
from piiscan.scanner.errors import ScanError
from piiscan.scanner.extract.base import ExtractContext
from piiscan.scanner.ocr import get_engine, ocr_image
from piiscan.scanner.sniff import sniff
from piiscan.settings import Settings
from piiscan.synth.render import image_bytes, text_image, text_pdf

EXAMPLES = int(os.environ.get("PIISCAN_FUZZ_EXAMPLES", "10"))
HANG_S = 20
"""No single input may take longer (OCR of a page is bounded by ocr_timeout_s below)."""
FUZZ = Settings(
    max_file_bytes=2_000_000,
    max_image_pixels=4_000_000,
    max_pages=5,
    zip_max_depth=2,
    zip_max_members=50,
    zip_max_total_bytes=20_000_000,
    ocr_timeout_s=10,
    ocr_repair=False,
    ocr_detect_language=False,
    ocr_min_side=100,
)
MEMORY_CAP_MB = 600
"""Peak RSS growth allowed over the whole session: the caps above (4 Mpx images, 20 MB expanded
archives, 5 pages) bound what any one input can make the parsers hold; this leaves room for copies."""

VOLUME: Counter[str] = Counter()


def _seeds() -> dict[str, bytes]:
    picture = text_image(["Call Maria Weber", "+49 30 1234 5678"], font_size=18)
    small = picture.resize((picture.width // 2, picture.height // 2))
    docx_io, xlsx_io, pptx_io, zip_io = io.BytesIO(), io.BytesIO(), io.BytesIO(), io.BytesIO()
    import docx
    import openpyxl
    import pptx

    document = docx.Document()
    document.add_paragraph("Maria Weber, maria.weber@example.com")
    document.save(docx_io)
    book = openpyxl.Workbook()
    book.active.append(["name", "email"])  # type: ignore[union-attr]
    book.active.append(["Maria Weber", "maria.weber@example.com"])  # type: ignore[union-attr]
    book.save(xlsx_io)
    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "Call Maria Weber on +49 30 1234 5678"  # type: ignore[union-attr]
    deck.save(pptx_io)
    with zipfile.ZipFile(zip_io, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("note.txt", "Maria Weber lives at 742 Evergreen Terrace")
        archive.writestr("inner.zip", _inner_zip())
    return {
        "png": image_bytes(small, "PNG"),
        "jpeg": image_bytes(small.convert("RGB"), "JPEG"),
        "gif": image_bytes(small, "GIF"),
        "tiff": image_bytes(small, "TIFF"),
        "bmp": image_bytes(small.convert("RGB"), "BMP"),
        "webp": image_bytes(small.convert("RGB"), "WEBP"),
        "pdf": text_pdf([["Maria Weber", "maria.weber@example.com"], ["page two"]]),
        "docx": docx_io.getvalue(),
        "xlsx": xlsx_io.getvalue(),
        "pptx": pptx_io.getvalue(),
        "zip": zip_io.getvalue(),
        "text": b"Maria Weber\nmaria.weber@example.com\n",
        "csv": b"name,email\nMaria Weber,maria.weber@example.com\n",
        "json": json.dumps({"name": "Maria Weber", "phones": ["+49 30 1234 5678"]}).encode(),
        "html": b"<html><body><p>Maria Weber</p><table><tr><td>x</td></tr></table></body></html>",
    }


def _inner_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("deeper.csv", "a,b\n1,2\n")
    return buffer.getvalue()


SEEDS = _seeds()
INTERESTING = [0, 1, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF]


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` with 1-8 mutations of the kinds that break parsers: lengths, offsets, truncation."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        kind = draw(st.sampled_from(["flip", "byte", "int", "truncate", "insert", "duplicate", "delete"]))
        at = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "byte":
            data[at] = draw(st.integers(0, 255))
        elif kind == "int":
            width = draw(st.sampled_from([2, 4]))
            value = draw(st.sampled_from(INTERESTING)) & ((1 << (8 * width)) - 1)
            data[at : at + width] = value.to_bytes(width, draw(st.sampled_from(["big", "little"])))
        elif kind == "truncate":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "duplicate":
            end = min(len(data), at + draw(st.integers(1, 4096)))
            data[at:at] = data[at:end] * draw(st.integers(1, 8))
        else:
            del data[at : at + draw(st.integers(1, 256))]
    return bytes(data)


class Hang(Exception):
    pass


@pytest.fixture(scope="module")
def extract_all() -> Iterator[Callable[[bytes], str]]:
    """Sniff and extract one input like the pipeline does; returns the outcome's name."""
    engine = get_engine(FUZZ)

    def ocr(image: Image.Image, page: int) -> object:
        return ocr_image(image, page, FUZZ, engine)

    def run(data: bytes) -> str:
        ctx = ExtractContext(settings=FUZZ, ocr=ocr, extract_nested=extract_mod.extract_nested)  # type: ignore[arg-type]
        try:
            media_type = sniff(data)
            extract_mod.extract(data, media_type, ctx)
        except ScanError as exc:
            return exc.code
        return "extracted"

    def on_alarm(_: int, __: FrameType | None) -> None:
        raise Hang()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    yield run
    signal.signal(signal.SIGALRM, previous)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


BASELINE_MB: list[float] = []


def _check(run: Callable[[bytes], str], data: bytes, kind: str) -> None:
    if not BASELINE_MB:
        BASELINE_MB.append(_peak_mb())
    signal.alarm(HANG_S)
    try:
        outcome = run(data)
    except Hang:
        pytest.fail(f"{kind}: a {len(data)}-byte input ran longer than {HANG_S} s")
    except Exception as exc:  # the property: nothing but typed ScanErrors
        pytest.fail(f"{kind}: {type(exc).__name__} escaped the parser on a {len(data)}-byte input: {exc!r}"[:500])
    finally:
        signal.alarm(0)
    VOLUME[f"{kind}:{outcome}"] += 1
    grown = _peak_mb() - BASELINE_MB[0]
    assert grown < MEMORY_CAP_MB, f"{kind}: peak memory grew {grown:.0f} MB"


@pytest.mark.parametrize("kind", sorted(SEEDS))
def test_extractors_survive_mutated_files(kind: str, extract_all: Callable[[bytes], str]) -> None:
    assert _outcome_of_seed(extract_all, kind) == "extracted"  # the seed itself is valid

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=EXAMPLES <= 50,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(mutated(SEEDS[kind]))
    def fuzz(data: bytes) -> None:
        _check(extract_all, data, kind)

    fuzz()


def _outcome_of_seed(run: Callable[[bytes], str], kind: str) -> str:
    return run(SEEDS[kind])


@settings(max_examples=EXAMPLES * 20, deadline=None, derandomize=EXAMPLES <= 50, database=None)
@given(
    st.one_of(
        st.binary(max_size=2048),
        st.sampled_from(sorted(SEEDS.values())).map(lambda seed: seed[:64]),  # bare magic numbers
        st.sampled_from(
            [b"\x89PNG\r\n\x1a\n", b"%PDF-", b"PK\x03\x04", b"RIFF\x00\x00\x00\x00WEBP", b"BM", b"II*\x00", b"GIF89a"]
        ).flatmap(lambda magic: st.binary(max_size=512).map(lambda tail: magic + tail)),
    )
)
def test_sniffer_names_a_type_or_raises_a_typed_error(data: bytes) -> None:
    try:
        media_type = sniff(data)
    except ScanError:
        VOLUME["sniff:refused"] += 1
        return
    assert extract_mod.extractor_for(media_type) is not None
    VOLUME["sniff:named"] += 1


def teardown_module() -> None:
    total = sum(VOLUME.values())
    print(f"\nparser fuzzing: {total} inputs, outcomes {dict(sorted(VOLUME.items()))}")
