"""Presidio's lemma context enhancer without its defensive deep copy.

``LemmaContextAwareEnhancer.enhance_using_context`` starts with ``copy.deepcopy`` of every
result (explanations and metadata included): a tenth of the analysis of a text page. The
results it gets from ``AnalyzerEngine`` are fresh objects nobody else holds, so they are
enhanced in place; the scoring itself is Presidio's, unchanged. The token under a match is
found by bisection over the token ends instead of a walk over the Doc (a Token object per
word up to the match: 2-3 ms a text page).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from typing import Any

from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerResult
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
from spacy.attrs import IDX, LENGTH
from spacy.tokens import Doc


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

    @staticmethod
    def _find_index_of_match_token(word: str, start: int, tokens: Any, tokens_indices: list[int]) -> int:
        """Presidio's rule (the first token that starts at or ends after ``start``), by bisection."""
        ends = token_ends(tokens, tokens_indices)
        index = bisect_right(ends, start)
        if index >= len(ends):
            raise ValueError("Did not find the matched word in the list of tokens although it is expected")
        return index


_ENDS_KEY = "piiscan_token_ends"


def token_ends(tokens: Any, tokens_indices: list[int]) -> list[int]:
    """End offsets of the tokens, computed once per Doc (kept in its ``user_data``)."""
    user_data = getattr(tokens, "user_data", None)
    ends: list[int] | None = user_data.get(_ENDS_KEY) if user_data is not None else None
    if ends is None or len(ends) != len(tokens_indices):
        if isinstance(tokens, Doc):
            ends = tokens.to_array([IDX, LENGTH]).sum(axis=1).tolist()  # no Token object per word
        else:
            ends = [start + len(token) for start, token in zip(tokens_indices, tokens, strict=False)]
        if user_data is not None:
            user_data[_ENDS_KEY] = ends
    return ends


_ID_KEY = RecognizerResult.RECOGNIZER_IDENTIFIER_KEY


class GroupingAnalyzerEngine(AnalyzerEngine):
    """Presidio's engine, with the per-recognizer step of context enhancement done in one pass.

    ``AnalyzerEngine._enhance_using_context`` splits the results twice per recognizer (its own,
    everyone else's) to call each recognizer's hook, which every recognizer here inherits
    unchanged from ``EntityRecognizer`` (it returns its own results as given): forty list
    scans a page for no change. Results are grouped once; only a recognizer that overrides
    the hook gets the call with both lists. Same results, same order, same lemma step after.
    """

    def _enhance_using_context(
        self,
        text: str,
        raw_results: list[RecognizerResult],
        nlp_artifacts: Any,
        recognizers: list[EntityRecognizer],
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        by_recognizer: dict[str, list[RecognizerResult]] = defaultdict(list)
        for result in raw_results:
            by_recognizer[result.recognition_metadata[_ID_KEY]].append(result)
        results: list[RecognizerResult] = []
        for recognizer in recognizers:
            own = by_recognizer.get(recognizer.id, [])
            if type(recognizer).enhance_using_context is EntityRecognizer.enhance_using_context:
                results.extend(own)
                continue
            others = [r for r in raw_results if r.recognition_metadata[_ID_KEY] != recognizer.id]
            results.extend(
                recognizer.enhance_using_context(
                    text=text,
                    raw_recognizer_results=list(own),
                    other_raw_recognizer_results=others,
                    nlp_artifacts=nlp_artifacts,
                    context=context,
                )
            )
        enhanced: list[RecognizerResult] = self.context_aware_enhancer.enhance_using_context(
            text=text, raw_results=results, nlp_artifacts=nlp_artifacts, recognizers=recognizers, context=context
        )
        return enhanced
