"""Warming up leaves the loaded engines out of the garbage collector's generations."""

from __future__ import annotations

import gc

from piiscan.scanner.pipeline import Scanner


def test_warm_up_freezes_the_loaded_engines(scanner: Scanner) -> None:
    analyzer = scanner.detector.analyzer
    assert gc.get_freeze_count() > 0
    tracked = {id(obj) for obj in gc.get_objects()}
    assert id(analyzer) not in tracked, "the analyzer would be walked by every full collection"
    assert id(analyzer.registry) not in tracked
