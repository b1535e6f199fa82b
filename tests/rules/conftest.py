"""Helpers for rule tests: findings built directly from a text, no Presidio or Tesseract."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from piiscan.rules.engine import RuleEngine
from piiscan.scanner.masking import mask
from piiscan.scanner.model import Extraction, Finding, Source, TextSegment
from piiscan.settings import Settings

Doc = tuple[list[Finding], Extraction]
MakeDoc = Callable[..., Doc]


def make_doc(text: str, entities: Sequence[tuple[str, str]], page: int = 1, source: Source = "ocr") -> Doc:
    """Findings for each (entity type, value) at its first place in ``text``, and the extraction."""
    findings: list[Finding] = []
    for entity_type, value in entities:
        start = text.index(value)
        findings.append(
            Finding(entity_type, 0.9, page, source, value, mask(entity_type, value), start, start + len(value))
        )
    return findings, Extraction(segments=[TextSegment(text=text, page=page, source=source)])


@pytest.fixture(scope="session")
def engine() -> RuleEngine:
    return RuleEngine(Settings())


@pytest.fixture
def doc() -> MakeDoc:
    return make_doc
