"""In-process reuse of results for identical bytes (``Scanner(results=ResultCache())``, the CLI)."""

from __future__ import annotations

from typing import Any

import pytest

from piiscan.rules.context import ScanContext, Uploader
from piiscan.scanner.pipeline import Scanner
from piiscan.scanner.reuse import ResultCache

LETTER = b"Dear Clara Jensen, write to clara.jensen@example.com or call (217) 555-0147.\n"


@pytest.fixture()
def reusing(scanner: Scanner, monkeypatch: pytest.MonkeyPatch) -> tuple[Scanner, list[int]]:
    """A scanner sharing the session's engines, with a cache of two results and a count of detections."""
    out = Scanner(scanner.settings, detector=scanner.detector, rules=scanner.rules, results=ResultCache(2))
    calls: list[int] = []
    detect = out.detector.detect

    def counting(segments: Any) -> Any:
        calls.append(1)
        return detect(segments)

    monkeypatch.setattr(out.detector, "detect", counting)
    return out, calls


def test_identical_bytes_are_not_analysed_twice(reusing: tuple[Scanner, list[int]]) -> None:
    scanner, calls = reusing
    first = scanner.scan(LETTER, "a.txt").result
    again = scanner.scan(LETTER, "copy/a.txt").result
    assert len(calls) == 1 and scanner.results is not None and scanner.results.hits == 1
    assert again.source == "copy/a.txt" and first.source == "a.txt"
    assert again.verdict == first.verdict != "clean"
    assert [(f.entity_type, f.start, f.end) for f in again.findings] == [
        (f.entity_type, f.start, f.end) for f in first.findings
    ]
    assert again.to_dict() | {"source": "a.txt", "elapsed_ms": 0} == first.to_dict() | {"elapsed_ms": 0}


def test_what_can_change_a_result_is_in_the_key(reusing: tuple[Scanner, list[int]]) -> None:
    scanner, calls = reusing
    scanner.results = ResultCache(8)
    scanner.scan(LETTER, "a.txt")
    owner = ScanContext(uploader=Uploader(name="Clara Jensen"), visibility="private")
    scanner.scan(LETTER, "a.txt", owner)
    scanner.scan(LETTER, "a.txt", stop_at_critical=True)
    scanner.scan(LETTER + b" ", "b.txt")
    assert len(calls) == 4  # context, stop flag and other bytes each scanned anew
    scanner.scan(LETTER, "c.txt", ScanContext())  # the default context: the first result again
    scanner.scan(LETTER, "d.txt", owner)
    assert len(calls) == 4


def test_the_cache_is_bounded_and_keeps_no_errors(reusing: tuple[Scanner, list[int]]) -> None:
    scanner, calls = reusing
    cache = scanner.results
    assert cache is not None
    for n in range(4):
        scanner.scan(LETTER + str(n).encode(), f"{n}.txt")
    assert len(cache) == 2  # the two most recent
    scanner.scan(LETTER + b"0", "0.txt")  # evicted: analysed again
    assert len(calls) == 5
    broken = b"%PDF-1.7\n" + b"\x00" * 64
    scanner.scan(broken, "broken.pdf")
    assert scanner.scan(broken, "broken.pdf").result.verdict == "error"
    assert cache.hits == 0
    with pytest.raises(ValueError):
        ResultCache(0)
