"""Files scanned by a pool of worker processes: ``piiscan scan --jobs N``.

Each process loads its own analyzer and OCR engine (about 400 MB and a few seconds), so a pool
pays off on many files, not on one: detection and OCR are CPU-bound Python and Tesseract
work that threads would not spread over cores. Results come back in input order.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor

from piiscan.rules.context import ScanContext
from piiscan.scanner.model import ScanResult
from piiscan.scanner.pipeline import Scanner
from piiscan.scanner.reuse import ResultCache
from piiscan.settings import Settings

_scanner: Scanner | None = None


def _start(settings: Settings) -> None:
    global _scanner
    _scanner = Scanner(settings, results=ResultCache())
    _scanner.warm_up()


def _scan(job: tuple[str, ScanContext | None]) -> ScanResult:
    assert _scanner is not None, "the pool's initializer builds the scanner"
    source, context = job
    return _scanner.scan_source(source, context).result


def scan_in_pool(
    settings: Settings, sources: Sequence[str], context: ScanContext | None, jobs: int
) -> Iterator[ScanResult]:
    """Scan ``sources`` with ``jobs`` processes (spawned: no engine state crosses a fork)."""
    with ProcessPoolExecutor(
        max_workers=max(1, min(jobs, len(sources))),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start,
        initargs=(settings,),
    ) as pool:
        yield from pool.map(_scan, [(source, context) for source in sources])
