"""Presidio's lemma context enhancer without its defensive deep copy.

``LemmaContextAwareEnhancer.enhance_using_context`` starts with ``copy.deepcopy`` of every
result (explanations and metadata included): a tenth of the analysis of a text page. The
results it gets from ``AnalyzerEngine`` are fresh objects nobody else holds, so they are
enhanced in place; the scoring itself is Presidio's, unchanged.
"""

from __future__ import annotations

from typing import Any

from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer


class _Shared(list[Any]):
    """A list that ``copy.deepcopy`` hands back as itself."""

    def __deepcopy__(self, memo: dict[int, Any]) -> _Shared:
        return self


class InPlaceContextEnhancer(LemmaContextAwareEnhancer):
    def enhance_using_context(
        self,
        text: str,
        raw_results: list[Any],
        nlp_artifacts: Any,
        recognizers: list[Any],
        context: list[str] | None = None,
    ) -> list[Any]:
        if not any(getattr(recognizer, "context", None) for recognizer in recognizers):
            return raw_results  # no recognizer has context words: nothing can change
        return list(super().enhance_using_context(text, _Shared(raw_results), nlp_artifacts, recognizers, context))
