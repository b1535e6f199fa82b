"""Context enhancement grouped by recognizer gives Presidio's own results, in its order."""

from __future__ import annotations

from typing import Any

import pytest
from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerResult

from piiscan.scanner.detect.context import GroupingAnalyzerEngine
from piiscan.scanner.detect.engine import build_analyzer
from piiscan.settings import Settings

TEXTS = [
    "My SSN is 078-05-1120 and my phone is (217) 555-0147; passport 912803456.",
    "Dear Mr. Thompson, write to margaret.whitfield@example.com, IBAN DE89 3704 0044 0532 0130 00.",
    "Card 4111 1111 1111 1111, patient NHS 943 476 5919, order 12345 of 03/04/2021.",
    "nothing to see here",
]


class _Boosting(PatternRecognizer):
    """Overrides the per-recognizer hook: raises its score when another recognizer found something."""

    def __init__(self) -> None:
        super().__init__(supported_entity="ORDER_NUMBER", patterns=[Pattern("order", r"\border \d{5}\b", 0.3)])

    def enhance_using_context(
        self,
        text: str,
        raw_recognizer_results: list[RecognizerResult],
        other_raw_recognizer_results: list[RecognizerResult],
        nlp_artifacts: Any,
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        for result in raw_recognizer_results:
            result.score += 0.1 * len(other_raw_recognizer_results)
        return raw_recognizer_results


def _analyze(engine: Any, text: str) -> list[tuple[str, int, int, float, str]]:
    results = engine.analyze(
        text=text, language="en", score_threshold=0.0, ad_hoc_recognizers=[_Boosting()], context=["order"]
    )
    name = RecognizerResult.RECOGNIZER_NAME_KEY
    return [(r.entity_type, r.start, r.end, round(r.score, 6), r.recognition_metadata[name]) for r in results]


@pytest.mark.parametrize("text", TEXTS)
def test_grouped_enhancement_equals_presidio(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = build_analyzer(Settings())
    assert isinstance(engine, GroupingAnalyzerEngine)
    grouped = _analyze(engine, text)
    monkeypatch.setattr(GroupingAnalyzerEngine, "_enhance_using_context", AnalyzerEngine._enhance_using_context)
    assert grouped == _analyze(engine, text)
    if "order 12345" in text:
        assert any(entity == "ORDER_NUMBER" and score > 0.3 for entity, _, _, score, _ in grouped), "hook called"
