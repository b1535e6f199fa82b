"""Known illegal files: exact (SHA-256) and perceptual (PDQ) matches against operator lists
generated here from our own images; resized and re-encoded copies still match, unrelated
images do not, and lists reload without a restart."""

from __future__ import annotations

import hashlib
import io
import logging
import random
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFilter

from piiscan.rules.context import ScanContext
from piiscan.rules.engine import RuleEngine
from piiscan.rules.hashlists import HashListError, HashListStore, list_lines, load_index, main, pdq_hash
from piiscan.scanner.model import Extraction
from piiscan.scanner.pipeline import Scanner
from piiscan.settings import Settings

log = logging.getLogger(__name__)


def picture(seed: int, size: tuple[int, int] = (800, 600)) -> Image.Image:
    """A photo-like picture: overlapping coloured shapes, slightly blurred."""
    rng = random.Random(seed)
    width, height = size
    image = Image.new("RGB", size, tuple(rng.randint(0, 255) for _ in range(3)))  # type: ignore[arg-type]
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x0, y0 = rng.randint(-100, width), rng.randint(-100, height)
        box = (x0, y0, x0 + rng.randint(30, 400), y0 + rng.randint(30, 400))
        fill = tuple(rng.randint(0, 255) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=fill)  # type: ignore[arg-type]
    return image.filter(ImageFilter.GaussianBlur(2))


def encode(image: Image.Image, fmt: str = "PNG", **params: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **params)
    return buf.getvalue()


def copies(image: Image.Image) -> dict[str, Image.Image]:
    half = image.resize((image.width // 2, image.height // 2))
    return {
        "jpeg q70": Image.open(io.BytesIO(encode(image, "JPEG", quality=70))).convert("RGB"),
        "50% size": half,
        "50% size, jpeg q70": Image.open(io.BytesIO(encode(half, "JPEG", quality=70))).convert("RGB"),
        "25% size, jpeg q50": Image.open(
            io.BytesIO(encode(image.resize((image.width // 4, image.height // 4)), "JPEG", quality=50))
        ).convert("RGB"),
        "grey": image.convert("L").convert("RGB"),
    }


@pytest.fixture(scope="module")
def listed() -> list[Image.Image]:
    return [picture(seed) for seed in range(6)]


@pytest.fixture
def list_dir(tmp_path: Path, listed: list[Image.Image]) -> Path:
    lines = [line for i, image in enumerate(listed) for line in list_lines(encode(image), f"case-{i}")]
    (tmp_path / "known-illegal.txt").write_text("# generated from our own test pictures\n" + "\n".join(lines) + "\n")
    return tmp_path


def hamming(a: bytes, b: bytes) -> int:
    return sum(bin(x ^ y).count("1") for x, y in zip(a, b, strict=True))


def test_pdq_distances_separate_copies_from_unrelated(listed: list[Image.Image]) -> None:
    """Measured distances (of 256 bits) behind the default threshold of 31."""
    worst: dict[str, int] = {}
    for image in listed:
        original, quality = pdq_hash(image)
        assert quality >= 50
        for name, copy in copies(image).items():
            worst[name] = max(worst.get(name, 0), hamming(original, pdq_hash(copy)[0]))
    nearest_unrelated = min(
        hamming(pdq_hash(a)[0], pdq_hash(picture(seed))[0]) for a in listed for seed in range(100, 110)
    )
    log.warning("PDQ worst distances %s; nearest unrelated %d", worst, nearest_unrelated)
    assert max(worst.values()) <= 31 < nearest_unrelated
    assert nearest_unrelated >= 80


def test_resized_and_reencoded_copies_match(list_dir: Path, listed: list[Image.Image]) -> None:
    engine = RuleEngine(Settings(), hash_lists=HashListStore(list_dir))
    for index, image in enumerate(listed):
        for name, copy in copies(image).items():
            data = encode(copy, "JPEG", quality=70)
            decision = engine.evaluate([], Extraction(images=[copy]), ScanContext(), hashlib.sha256(data).hexdigest())
            assert decision.verdict == "illegal", name
            assert [h.id for h in decision.rules] == ["illegal.known-image"]
            reason = decision.rules[0].reason
            assert "known-illegal" in reason and f"case-{index}" in reason and "image 1" in reason


def test_unrelated_image_does_not_match(list_dir: Path) -> None:
    engine = RuleEngine(Settings(), hash_lists=HashListStore(list_dir))
    for seed in range(100, 106):
        assert engine.evaluate([], Extraction(images=[picture(seed)]), ScanContext()).verdict == "clean"


def test_flat_images_are_not_compared(tmp_path: Path) -> None:
    white = Image.new("RGB", (400, 300), "white")
    (tmp_path / "l.txt").write_text("\n".join(list_lines(encode(white))) + "\n")
    engine = RuleEngine(Settings(), hash_lists=HashListStore(tmp_path))
    other_white = Image.new("RGB", (200, 100), (250, 250, 250))
    assert engine.evaluate([], Extraction(images=[other_white])).verdict == "clean"


def test_exact_and_perceptual_through_the_scanner(scanner: Scanner, list_dir: Path, listed: list[Image.Image]) -> None:
    rules = RuleEngine(scanner.settings, hash_lists=HashListStore(list_dir))
    listed_scanner = Scanner(scanner.settings, detector=scanner.detector, rules=rules)
    exact = listed_scanner.scan(encode(listed[0]), "listed.png").result
    assert exact.verdict == "illegal" and exact.severity == "critical"
    assert [h.id for h in exact.rules] == ["illegal.known-file", "illegal.known-image"]
    small = listed[1].resize((400, 300))
    copy = listed_scanner.scan(encode(small, "JPEG", quality=70), "copy.jpg").result
    assert copy.verdict == "illegal" and [h.id for h in copy.rules] == ["illegal.known-image"]
    unrelated = listed_scanner.scan(encode(picture(200), "JPEG", quality=70), "holiday.jpg").result
    assert unrelated.verdict == "clean"


def test_lists_reload_when_files_change(tmp_path: Path, listed: list[Image.Image]) -> None:
    now = [0.0]
    store = HashListStore(tmp_path, check_interval_s=10, clock=lambda: now[0])
    engine = RuleEngine(Settings(), hash_lists=store)
    assert engine.evaluate([], Extraction(images=[listed[2]])).verdict == "clean"

    (tmp_path / "new.hashes").write_text("\n".join(list_lines(encode(listed[2]), "added")) + "\n")
    now[0] = 5.0  # not yet checked again
    assert engine.evaluate([], Extraction(images=[listed[2]])).verdict == "clean"
    now[0] = 11.0
    assert engine.evaluate([], Extraction(images=[listed[2]])).verdict == "illegal"
    assert store.reloads == 1

    # A broken update keeps the lists in force until it is fixed.
    (tmp_path / "new.hashes").write_text("pdq:nothex\n")
    now[0] = 30.0
    assert engine.evaluate([], Extraction(images=[listed[2]])).verdict == "illegal"
    (tmp_path / "new.hashes").unlink()
    now[0] = 50.0
    assert engine.evaluate([], Extraction(images=[listed[2]])).verdict == "clean"
    assert store.reloads == 2


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("md5:d41d8cd98f00b204e9800998ecf8427e", "expected sha256:"),
        ("sha256:xyz", "not hexadecimal"),
        ("pdq:abcd", "must be 64 hex digits"),
        ("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "expected sha256:"),
    ],
)
def test_bad_list_line_is_refused(tmp_path: Path, line: str, reason: str) -> None:
    (tmp_path / "list.txt").write_text(f"# header\n\n{line}  label\n")
    with pytest.raises(HashListError) as caught:
        load_index(tmp_path)
    assert caught.value.line == 3 and reason in caught.value.reason
    with pytest.raises(HashListError):
        RuleEngine(Settings(hash_list_dir=str(tmp_path)))


def test_list_tool_prints_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str], listed: list[Image.Image]) -> None:
    path = tmp_path / "x.png"
    path.write_bytes(encode(listed[0]))
    assert main([str(path), "--label", "case-0"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("sha256:") and out[1].startswith("pdq:") and out[1].endswith("case-0")
