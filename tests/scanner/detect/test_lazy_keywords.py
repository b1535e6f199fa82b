"""The lazily built, memoised keywords equal Presidio's own list, so context scoring is unchanged."""

from __future__ import annotations

from presidio_analyzer.nlp_engine import NlpArtifacts

from piiscan.scanner.detect.engine import build_analyzer
from piiscan.scanner.detect.nlp import LazyKeywordArtifacts
from piiscan.settings import Settings

TEXTS = [
    "Dear Mr. Thompson, please call me on (217) 555-0147 or write to margaret@example.com.",
    "Card: 4111 1111 1111 1111, expires 10/27. Be quick! The cards are in the drawer.",
    "Patient NHS number 943 476 5919; driver's licence D1234567 at 10:30 on Monday.",
]


def test_keywords_match_presidio() -> None:
    engine = build_analyzer(Settings()).nlp_engine
    for _ in range(2):  # the second round reads the memo
        for artifacts in engine.process_many(TEXTS, "en"):
            assert isinstance(artifacts, LazyKeywordArtifacts)
            expected = NlpArtifacts.set_keywords(engine, artifacts.lemmas, "en")
            assert expected and artifacts.keywords == expected
