"""Operator-supplied hash lists of known illegal files, matched exactly and perceptually.

A list is a text file (``*.txt`` or ``*.hashes``) in the hash-list folder; the file's name
(without suffix) is the list's name in reports. One hash a line, an optional label after
it, ``#`` starts a comment::

    # NCMEC-derived list, 2026-10
    sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  case-1234
    pdq:f8f8f0cce0f4e84d0e370a22028f67f0b36e2ed596623e1d33e6339c4e9c9b22  case-1234

* ``sha256`` matches the uploaded file's exact bytes.
* ``pdq`` is Meta's PDQ perceptual hash (256 bits, the hex form of the reference
  implementation and of ThreatExchange / Hasher-Matcher-Actioner exports), matched on
  every page image the scan decoded (images, scanned PDF pages, pictures inside
  documents and archives) within ``pdq_max_distance`` differing bits, so re-encoded,
  resized or recoloured copies still match. Images PDQ rates below ``pdq_min_quality``
  (near-uniform) are not compared: their hashes are noise.

The folder is re-read when a file in it is added, removed or changed, checked at most
every ``hash_list_check_s`` seconds, so lists are updated without a restart. A list that
does not parse is refused with its file and line; on a reload the previous lists stay in
force until the folder is fixed.

``python -m piiscan.rules.hashlists IMAGE...`` prints the lines to list files.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import io
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from PIL import Image

log = logging.getLogger(__name__)

HashKind = Literal["sha256", "pdq"]
LIST_SUFFIXES = (".txt", ".hashes")
PDQ_MAX_SIDE = 512
"""Larger images are shrunk before PDQ (its own filters work down to 64x64 anyway): a
12-megapixel page costs ~70 ms instead of ~500 ms."""

_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint16)
_MAX_LABEL = 120


class HashListError(ValueError):
    def __init__(self, path: str | Path, line: int | None, reason: str) -> None:
        self.path, self.line, self.reason = str(path), line, reason
        super().__init__(f"{path}:{line}: {reason}" if line else f"{path}: {reason}")


@dataclass(frozen=True, slots=True)
class HashEntry:
    kind: HashKind
    value: bytes
    list_name: str
    label: str


@dataclass(frozen=True, slots=True)
class PdqMatch:
    entry: HashEntry
    distance: int
    page: int


def parse_list(path: Path) -> list[HashEntry]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise HashListError(path, None, f"cannot be read ({type(exc).__name__})") from None
    entries: list[HashEntry] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        token, _, label = line.partition(" ")
        prefix, sep, digest = token.partition(":")
        kinds: dict[str, HashKind] = {"sha256": "sha256", "pdq": "pdq"}
        kind = kinds.get(prefix.lower())
        if not sep or kind is None:
            raise HashListError(path, number, "expected sha256:<64 hex digits> or pdq:<64 hex digits>")
        try:
            value = bytes.fromhex(digest)
        except ValueError:
            raise HashListError(path, number, f"{kind} hash is not hexadecimal") from None
        if len(value) != 32:
            raise HashListError(path, number, f"{kind} hash must be 64 hex digits, not {len(digest)}")
        label = " ".join(label.split())[:_MAX_LABEL]
        entries.append(HashEntry(kind, value, path.stem, label))
    return entries


@dataclass
class HashIndex:
    """Every loaded list, indexed for lookup: a dict for SHA-256, a bit matrix for PDQ."""

    sha256: dict[bytes, list[HashEntry]] = field(default_factory=dict)
    pdq_entries: list[HashEntry] = field(default_factory=list)
    pdq_matrix: npt.NDArray[np.uint8] = field(default_factory=lambda: np.zeros((0, 32), dtype=np.uint8))
    files: tuple[str, ...] = ()

    @classmethod
    def build(cls, entries: Sequence[HashEntry], files: Sequence[str] = ()) -> HashIndex:
        index = cls(files=tuple(files))
        for entry in entries:
            if entry.kind == "sha256":
                index.sha256.setdefault(entry.value, []).append(entry)
            else:
                index.pdq_entries.append(entry)
        if index.pdq_entries:
            index.pdq_matrix = np.frombuffer(b"".join(e.value for e in index.pdq_entries), dtype=np.uint8).reshape(
                -1, 32
            )
        return index

    def match_sha256(self, digest_hex: str) -> list[HashEntry]:
        try:
            return list(self.sha256.get(bytes.fromhex(digest_hex), ()))
        except ValueError:
            return []

    def match_pdq(self, value: bytes, max_distance: int) -> list[tuple[HashEntry, int]]:
        if not self.pdq_entries:
            return []
        query = np.frombuffer(value, dtype=np.uint8)
        distances = _POPCOUNT[np.bitwise_xor(self.pdq_matrix, query)].sum(axis=1)
        hits = np.flatnonzero(distances <= max_distance)
        return sorted(((self.pdq_entries[i], int(distances[i])) for i in hits), key=lambda m: m[1])


def _list_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix in LIST_SUFFIXES and not p.name.startswith(".")
    )


def load_index(folder: str | Path) -> HashIndex:
    path = Path(folder)
    if not path.is_dir():
        raise HashListError(path, None, "the hash list folder does not exist or is not a folder")
    files = _list_files(path)
    entries = [entry for file in files for entry in parse_list(file)]
    return HashIndex.build(entries, [f.name for f in files])


class HashListStore:
    """The lists of one folder, reloaded when it changes (checked at most every ``check_interval_s``)."""

    def __init__(
        self, folder: str | Path, check_interval_s: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.folder = Path(folder)
        self.check_interval_s = check_interval_s
        self._clock = clock
        self._lock = threading.Lock()
        self._signature = self._scan_signature()
        self._index = load_index(self.folder)
        self._checked = clock()
        self.reloads = 0

    def _scan_signature(self) -> tuple[tuple[str, int, int], ...]:
        try:
            files = _list_files(self.folder)
            return tuple((f.name, (s := f.stat()).st_mtime_ns, s.st_size) for f in files)
        except OSError:
            return ()

    def current(self) -> HashIndex:
        now = self._clock()
        if now - self._checked < self.check_interval_s:
            return self._index
        with self._lock:
            if now - self._checked >= self.check_interval_s:
                self._checked = now
                signature = self._scan_signature()
                if signature != self._signature:
                    self._signature = signature
                    try:
                        self._index = load_index(self.folder)
                        self.reloads += 1
                        log.info("hash lists reloaded", extra={"files": len(self._index.files)})
                    except HashListError as exc:
                        log.warning("hash lists not reloaded, the previous ones stay in force: %s", exc)
        return self._index


_pdq_module: Any = None


def pdq_hash(image: Image.Image) -> tuple[bytes, int]:
    """PDQ hash (32 bytes, reference bit order) and quality (0-100) of an image."""
    global _pdq_module
    if _pdq_module is None:
        _pdq_module = importlib.import_module("pdqhash")
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    if max(rgb.size) > PDQ_MAX_SIDE:
        scale = PDQ_MAX_SIDE / max(rgb.size)
        size = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
        rgb = rgb.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    pixels = np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))
    vector, quality = _pdq_module.compute(pixels)
    return np.packbits(np.asarray(vector, dtype=np.uint8)).tobytes(), int(quality)


def list_lines(data: bytes, label: str = "") -> Iterator[str]:
    """The list lines for one file: its SHA-256 and, for images, the PDQ of every frame."""
    suffix = f"  {label}" if label else ""
    yield f"sha256:{hashlib.sha256(data).hexdigest()}{suffix}"
    try:
        with Image.open(io.BytesIO(data)) as image:
            for frame in range(getattr(image, "n_frames", 1)):
                image.seek(frame)
                value, _quality = pdq_hash(image)
                yield f"pdq:{value.hex()}{suffix}"
    except (OSError, ValueError, SyntaxError):
        return


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m piiscan.rules.hashlists",
        description="Print hash-list lines for files (SHA-256, and PDQ for images).",
    )
    parser.add_argument("files", nargs="+")
    parser.add_argument("--label", default="", help="label written after each hash (no personal data)")
    args = parser.parse_args(argv)
    for name in args.files:
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            print(f"{name}: {os.strerror(exc.errno or 0)}", file=sys.stderr)
            return 2
        for line in list_lines(data, args.label):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
