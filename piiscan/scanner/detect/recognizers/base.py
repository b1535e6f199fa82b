"""The shape piiscan's own recognizers share, so each states only what it finds."""

from __future__ import annotations

from typing import Any, ClassVar

from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts


class OwnRecognizer(EntityRecognizer):
    """One entity type, patterns compiled at import (nothing to load), named after the class.

    ``CONTEXT`` words, when a recognizer has them, go to Presidio's context enhancer like a
    pattern recognizer's would."""

    ENTITY: ClassVar[str]
    CONTEXT: ClassVar[tuple[str, ...]] = ()
    name: str

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entities=[self.ENTITY],
            supported_language=supported_language,
            name=type(self).__name__,
            context=list(self.CONTEXT) or None,
        )

    def load(self) -> None:
        """Nothing to load: the patterns are compiled at import."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Presidio's entry point: nothing when this recognizer's entity was not asked for
        (an empty list asks for every entity), else :meth:`find`."""
        if entities and self.ENTITY not in entities:
            return []
        return self.find(text)

    def find(self, text: str) -> list[RecognizerResult]:
        """Every result in ``text``; the recognizer's own rules (none of them uses spaCy's output)."""
        raise NotImplementedError

    def result(
        self,
        start: int,
        end: int,
        score: float,
        entity: str | None = None,
        explanation: AnalysisExplanation | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> RecognizerResult:
        """A result of ``entity`` (this recognizer's own by default) that names this recognizer,
        so a finding can be traced to the rule that made it; ``metadata`` adds recognition keys."""
        result = RecognizerResult(
            entity_type=entity or self.ENTITY,
            start=start,
            end=end,
            score=score,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                **(metadata or {}),
            },
        )
        if explanation is not None:
            result.analysis_explanation = explanation
        return result


def line_above(text: str, position: int) -> str:
    """The nearest non-blank line above the line holding ``position`` (a field's caption, a label
    printed over its value), or "" on the first line."""
    end = text.rfind("\n", 0, position)
    while end > 0:
        start = text.rfind("\n", 0, end) + 1
        line = text[start:end]
        if line.strip():
            return line
        end = start - 1
    return ""
