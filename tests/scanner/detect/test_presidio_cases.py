"""Presidio's own recognizer test cases, run through piiscan's analyzer.

The peer corpus holds 1,721 parametrized rows transcribed from presidio-analyzer's
``tests/test_*recognizer*.py`` (../shared/corpus/peer/SOURCES.md, section 1). Every row whose
entity types piiscan supports goes through ``build_analyzer()``'s AnalyzerEngine and must meet
what the upstream test asserted. The rest are listed, each with its reason, in
presidio_case_exclusions.yaml. The test fails when a listed exclusion no longer applies.

How the upstream assertions map onto a whole pipeline:

- count: the number of results of the row's entity types. Upstream counts one recognizer; here
  every recognizer of the engine counts, so an extra result (spaCy's NER next to a pattern) fails.
- spans: each expected (entity type, start, end) must be among the results, in any order.
- scores: upstream calls the recognizer alone. The engine also raises a score when a context word
  is near (LemmaContextAwareEnhancer: plus 0.35, at least 0.4, at most 1). A result raised that way
  may exceed the upstream maximum by that much, but never fall below the minimum. When the result at
  an expected span comes from the other kind of recognizer (spaCy's NER for a pattern test, because
  both found the span and the merge kept the higher score, or a pattern for an NER test), only the
  span is checked. Rows of upstream tests that assert ``max_score`` without restating it in the
  row get that check too.
- textual explanations where upstream asserts them (the region of a phone number).
- negative rows (``*invalid*`` functions, expected count 0) must give no result of the entity.
- rows of upstream tests that only call ``recognizer.validate_result(text) == expected`` are checked
  the same way, on the recognizer piiscan loaded for the entity. A row that names an upstream module
  constant (``{"expr": name}``) gets the constant's value from UPSTREAM_CONSTANTS.
- results pass through ``suppress()`` as in ``Detector``. The report threshold is not applied,
  because upstream asserts low-score results too. The summary says how many passing rows it would hide.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from presidio_analyzer import RecognizerResult

from piiscan.scanner.detect.engine import IGNORED_ENTITIES, build_analyzer
from piiscan.scanner.detect.filters import suppress
from piiscan.scanner.model import Finding
from piiscan.settings import Settings

pytestmark = pytest.mark.corpus

CASES = Path("presidio") / "analyzer_recognizer_cases.json"
EXCLUSIONS = Path(__file__).with_name("presidio_case_exclusions.yaml")
_PEER = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "peer"

NER_RECOGNIZER = "SpacyRecognizer"
NER_SCORES = {
    # conftest.py upstream: ner_strength 0.85 .. max_score for spaCy and Stanza, min_score .. max_score
    # for transformers. piiscan's spaCy NER stands in for all three.
    "test_spacy_recognizer.py": (0.85, 1.0),
    "test_stanza_recognizer.py": (0.85, 1.0),
    "test_transformers_recognizer.py": (0.0, 1.0),
}
MAX_SCORE_TESTS = frozenset(
    {
        # The upstream tests that check results with assert_result(..., max_score): the rows do not
        # restate the score.
        "test_analyze_valid_and_invalid_za_ids",
        "test_when_all_credit_cards_then_succeed",
        "test_when_all_cryptos_then_succeed",
        "test_when_all_de_health_insurance_numbers_then_succeed",
        "test_when_all_de_lanr_numbers_then_succeed",
        "test_when_all_de_passports_then_succeed",
        "test_when_all_de_social_security_numbers_then_succeed",
        "test_when_all_de_tax_ids_then_succeed",
        "test_when_all_email_addresses_then_succeed",
        "test_when_all_es_nie_then_succeed",
        "test_when_all_es_nifes_then_succeed",
        "test_when_all_finnish_personal_identity_code_then_succeed",
        "test_when_all_ibans_then_succeed",
        "test_when_all_medical_licence_number_then_succeed",
        "test_when_all_pl_pesels_then_succeed",
        "test_when_all_sg_uens_then_succeed",
        "test_when_all_swedish_organisationsnummer_then_succeed",
        "test_when_all_swedish_personnummer_then_succeed",
        "test_when_nhs_in_text_then_all_uk_nhses_found",
        "test_when_valid_de_vat_id_then_max_score_and_correct_span",
    }
)
VALIDATE_RESULT_TESTS = frozenset(
    {
        # The upstream tests that assert recognizer.validate_result(text) == expected: no analysis, so
        # the row is checked against validate_result of the recognizer piiscan loaded for the entity.
        "test_validate_result",
        "test_validate_result_checksum",
        "test_when_de_bsnr_validated_then_result_is_correct",
        "test_when_de_health_insurance_validated_then_checksum_result_is_correct",
        "test_when_de_id_card_validated_then_checksum_result_is_correct",
        "test_when_de_lanr_validated_then_checksum_result_is_correct",
        "test_when_de_passport_validated_then_checksum_result_is_correct",
        "test_when_de_social_security_validated_then_checksum_result_is_correct",
        "test_when_de_tax_id_validated_then_checksum_result_is_correct",
        "test_when_de_vat_id_validated_in_default_mode_then_tri_state",
    }
)
UPSTREAM_CONSTANTS = {
    # Module constants the rows name as {"expr": ...}, with their values in the upstream test file.
    ("test_de_id_card_recognizer.py", "_NPA_VALIDATED_SCORE"): 1.0,
    ("test_de_id_card_recognizer.py", "_LEGACY_PATTERN_SCORE"): 0.5,
    ("test_de_bsnr_recognizer.py", "_PATTERN_SCORE"): 0.2,
}
ERROR = 0.00001  # upstream tests/assertions.py


def case_id(case: dict[str, Any]) -> str:
    return f"{Path(case['source_file']).name}:{case['line']}"


@cache
def _read_cases(path: Path) -> tuple[dict[str, Any], ...]:
    return tuple(json.loads(path.read_text(encoding="utf-8"))["cases"])


@dataclass
class Exclusions:
    types: dict[str, str] = field(default_factory=dict)
    """Entity type -> reason."""
    recognizers: dict[str, str | None] = field(default_factory=dict)
    """Entity type -> the Presidio recognizer that would find it, None if there is none."""
    cases: dict[str, str] = field(default_factory=dict)
    """Case id (``<test file>:<line>``) -> reason."""
    errors: list[str] = field(default_factory=list)


@cache
def read_exclusions() -> Exclusions:
    data = yaml.safe_load(EXCLUSIONS.read_text(encoding="utf-8"))
    out = Exclusions()
    for group in data.get("excluded_entity_types") or []:
        reason = str(group.get("reason") or "").strip()
        if not reason or not group.get("types"):
            out.errors.append(f"entity type group without reason or types: {group}")
        for entity, recognizer in (group.get("types") or {}).items():
            if entity in out.types:
                out.errors.append(f"entity type {entity} listed twice")
            out.types[entity] = reason
            out.recognizers[entity] = recognizer
    for group in data.get("excluded_cases") or []:
        reason = str(group.get("reason") or "").strip()
        if not reason or not group.get("cases"):
            out.errors.append(f"case group without reason or cases: {group}")
        for cid in group.get("cases") or []:
            if cid in out.cases:
                out.errors.append(f"case {cid} listed twice")
            out.cases[cid] = reason
    return out


def _collected_ids() -> list[str]:
    """Ids of the cases not excluded by entity type; none without the corpus (then nothing runs)."""
    path = _PEER / CASES
    if not path.exists():
        return []
    excluded = read_exclusions().types.keys()
    return [case_id(c) for c in _read_cases(path) if not set(c["entity_types"]) & excluded]


# --- what the upstream test expected ------------------------------------------------------------


def expected_count(case: dict[str, Any]) -> int | None:
    """The exact number of results, or None for "at least one" (a ``*valid*`` test without a count)."""
    if case.get("expected_count") is not None:
        return int(case["expected_count"])
    if "invalid" in case["test_function"]:
        return 0
    if "valid" in case["test_function"]:
        return None
    raise ValueError(f"{case_id(case)}: no expected count and no valid/invalid test function")


def expected_spans(case: dict[str, Any]) -> list[tuple[int, int]]:
    if case.get("expected_spans"):
        return [(s["start"], s["end"]) for s in case["expected_spans"]]
    params = case.get("other_params") or {}
    for key in ("expected_res", "expected_position"):
        value = params.get(key)
        if value:
            pairs = [value] if isinstance(value[0], int) else value
            return [(int(a), int(b)) for a, b in pairs]
    if "expected_start" in params:
        return [(int(params["expected_start"]), int(params["expected_end"]))]
    return []


def upstream_value(case: dict[str, Any], value: Any) -> Any:
    """A row's parameter, with an upstream module constant (``{"expr": name}``) replaced by its value."""
    if isinstance(value, dict) and "expr" in value:
        key = (Path(case["source_file"]).name, value["expr"])
        if key not in UPSTREAM_CONSTANTS:
            raise ValueError(f"{case_id(case)}: unknown upstream expression {value['expr']!r}")
        return UPSTREAM_CONSTANTS[key]
    return value


def score_ranges(case: dict[str, Any], n: int) -> list[tuple[float, float] | None]:
    """Per expected span, the score range the upstream test asserted (None: no score assertion)."""
    params = {k: upstream_value(case, v) for k, v in (case.get("other_params") or {}).items()}
    if params.get("expected_score_ranges") is not None:
        return [(float(lo), 1.0 if hi == "max" else float(hi)) for lo, hi in params["expected_score_ranges"]]
    if params.get("expected_scores") is not None:
        scores: list[tuple[float, float] | None] = [(float(s), float(s)) for s in params["expected_scores"]]
        return [*scores, *[None] * (n - len(scores))]
    for key in ("expected_score", "score"):
        if key in params:
            score = params[key]
            return [None if score is None else (float(score), float(score))] * n
    if case["test_function"] in MAX_SCORE_TESTS:
        return [(1.0, 1.0)] * n
    file = Path(case["source_file"]).name
    if file in NER_SCORES:
        return [NER_SCORES[file]] * n
    return [None] * n


# --- running one case ---------------------------------------------------------------------------


@dataclass
class Outcome:
    problems: list[str]
    results: list[RecognizerResult]
    below_threshold: bool = False
    """An expected span was found, but below Settings.score_threshold: Detector would not report it."""

    def report(self, case: dict[str, Any]) -> str:
        text = case["text"]
        got = [
            f"{r.entity_type} [{r.start}:{r.end}] {text[r.start : r.end]!r} score={r.score:.2f} "
            f"by {_recognizer(r)}" + (f" (context {_context_word(r)!r})" if _context_word(r) else "")
            for r in self.results
        ]
        return "\n".join(
            [
                f"{case_id(case)} {case['test_function']}: {'; '.join(self.problems)}",
                f"  text: {text!r}",
                f"  expected: count={case.get('expected_count')} spans={expected_spans(case)} "
                f"params={case.get('other_params') or {}}",
                f"  got: {got or 'nothing'}",
            ]
        )


def _recognizer(result: RecognizerResult) -> str:
    return str((result.recognition_metadata or {}).get(RecognizerResult.RECOGNIZER_NAME_KEY))


def _context_word(result: RecognizerResult) -> str:
    explanation = result.analysis_explanation
    return str(explanation.supportive_context_word or "") if explanation is not None else ""


class Runner:
    """The shared analyzer, and the outcome of every case run so far."""

    def __init__(self) -> None:
        settings = Settings()
        self.analyzer = build_analyzer(settings)
        # Detector looks for the national identifiers (engine.LANGUAGE_ENTITIES) only in text of their
        # language; the cases name their entity types, as Detector does once the language is known.
        self.supported = frozenset(self.analyzer.get_supported_entities("en")) - IGNORED_ENTITIES
        self.threshold = settings.score_threshold
        enhancer = self.analyzer.context_aware_enhancer
        self.context_factor = float(enhancer.context_similarity_factor)
        self.context_min = float(enhancer.min_score_with_context_similarity)
        self._outcomes: dict[str, Outcome] = {}

    def outcome(self, case: dict[str, Any]) -> Outcome:
        cid = case_id(case)
        if cid not in self._outcomes:
            self._outcomes[cid] = self._run(case)
        return self._outcomes[cid]

    def results(self, text: str, entities: list[str]) -> list[RecognizerResult]:
        """The engine's results for these entities, after Detector's suppress()."""
        results = self.analyzer.analyze(text=text, language="en", entities=entities, return_decision_process=True)
        findings = [
            Finding(
                r.entity_type,
                r.score,
                1,
                "text_layer",
                text[r.start : r.end],
                "",
                r.start,
                r.end,
                recognizer=_recognizer(r),
            )
            for r in results
        ]
        kept = {(f.entity_type, f.start, f.end) for f in suppress(findings, text)}
        return sorted(
            (r for r in results if (r.entity_type, r.start, r.end) in kept and r.entity_type in entities),
            key=lambda r: (r.start, r.end, r.entity_type),
        )

    def _run(self, case: dict[str, Any]) -> Outcome:
        entities = sorted(set(case["entity_types"]))
        unsupported = [e for e in entities if e not in self.supported]
        if unsupported:
            return Outcome([f"{unsupported} neither supported nor in {EXCLUSIONS.name}"], [])
        if case["test_function"] in VALIDATE_RESULT_TESTS:
            return self._check_validation(case, entities)
        try:
            return self._check(case, self.results(case["text"], entities))
        except ValueError as error:  # a row this test cannot interpret
            return Outcome([str(error)], [])

    def _check_validation(self, case: dict[str, Any], entities: list[str]) -> Outcome:
        expected = (case.get("other_params") or {}).get("expected")
        recognizers = [
            r
            for r in self.analyzer.registry.get_recognizers(language="en", entities=entities)
            if hasattr(r, "validate_result")
        ]
        if len(recognizers) != 1:
            return Outcome([f"{len(recognizers)} recognizers with validate_result for {entities}, expected one"], [])
        got = recognizers[0].validate_result(case["text"])
        if got == expected:
            return Outcome([], [])
        return Outcome([f"{recognizers[0].name}.validate_result({case['text']!r}) is {got!r}, not {expected!r}"], [])

    def _check(self, case: dict[str, Any], results: list[RecognizerResult]) -> Outcome:
        params = case.get("other_params") or {}
        types = case["entity_types"]
        ner_test = Path(case["source_file"]).name in NER_SCORES
        outcome = Outcome([], results)
        count = expected_count(case)
        if count is None and not results:
            outcome.problems.append("no result, expected at least one")
        elif count is not None and len(results) != count:
            outcome.problems.append(f"{len(results)} results, expected {count}")
        spans = expected_spans(case)
        ranges = score_ranges(case, len(spans))
        explanations = params.get("expected_textual_explanations") or []
        for i, (start, end) in enumerate(spans):
            entity = types[params["entity_num"]] if "entity_num" in params else types[min(i, len(types) - 1)]
            hit = next((r for r in results if (r.entity_type, r.start, r.end) == (entity, start, end)), None)
            if hit is None:
                outcome.problems.append(f"{entity} [{start}:{end}] {case['text'][start:end]!r} not found")
                continue
            if hit.score < self.threshold:
                outcome.below_threshold = True
            if (_recognizer(hit) == NER_RECOGNIZER) != ner_test:
                continue  # found by the other kind of recognizer: its score says nothing about the tested one
            span_range = ranges[i] if i < len(ranges) else None
            if span_range is not None:
                low, high = span_range
                if _context_word(hit) or (hit.recognition_metadata or {}).get(
                    RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY
                ):
                    high = min(1.0, max(high + self.context_factor, self.context_min))
                if not low - ERROR <= hit.score <= high + ERROR:
                    outcome.problems.append(f"[{start}:{end}] score {hit.score:.3f} outside {low}..{high}")
            if i < len(explanations):
                explanation = hit.analysis_explanation.textual_explanation if hit.analysis_explanation else None
                if explanation != explanations[i]:
                    outcome.problems.append(f"[{start}:{end}] explained as {explanation!r}, not {explanations[i]!r}")
        return outcome


# --- tests --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cases(corpus: Path) -> dict[str, dict[str, Any]]:
    return {case_id(c): c for c in _read_cases(corpus / CASES)}


@pytest.fixture(scope="module")
def runner() -> Runner:
    return Runner()


@pytest.mark.parametrize("cid", _collected_ids())
def test_presidio_case(cid: str, cases: dict[str, dict[str, Any]], runner: Runner) -> None:
    case = cases[cid]
    outcome = runner.outcome(case)
    reason = read_exclusions().cases.get(cid)
    if reason is not None:
        assert outcome.problems, f"{cid} passes now: remove it from excluded_cases in {EXCLUSIONS.name}"
        pytest.xfail(f"excluded: {reason}")
    assert not outcome.problems, outcome.report(case)


def test_exclusions_are_well_formed_and_current(cases: dict[str, dict[str, Any]], runner: Runner) -> None:
    exclusions = read_exclusions()
    problems = list(exclusions.errors)
    corpus_types = {e for c in cases.values() for e in c["entity_types"]}
    loaded = {r.name for r in runner.analyzer.registry.recognizers}
    for entity, recognizer in exclusions.recognizers.items():
        if entity not in corpus_types:
            problems.append(f"excluded entity type {entity} has no case in the corpus")
        if entity in runner.supported:
            problems.append(f"entity type {entity} is supported now: remove it from excluded_entity_types")
        elif entity not in IGNORED_ENTITIES and recognizer in loaded:
            problems.append(f"{recognizer} is loaded: the exclusion of {entity} gives the wrong reason")
    for entity in sorted(corpus_types - runner.supported - exclusions.types.keys()):
        problems.append(f"entity type {entity} is neither supported nor in excluded_entity_types")
    for cid in exclusions.cases:
        case = cases.get(cid)
        if case is None:
            problems.append(f"excluded case {cid} is not in the corpus")
        elif set(case["entity_types"]) & exclusions.types.keys():
            problems.append(f"excluded case {cid} is already excluded by its entity type")
    assert not problems, "\n".join(problems)


def test_summary(cases: dict[str, dict[str, Any]], runner: Runner, capsys: pytest.CaptureFixture[str]) -> None:
    """Every case is accounted for: run and passed, excluded individually, or excluded by type."""
    exclusions = read_exclusions()
    by_type = [cid for cid, c in cases.items() if set(c["entity_types"]) & exclusions.types.keys()]
    run = [cid for cid in cases if cid not in set(by_type)]
    outcomes = {cid: runner.outcome(cases[cid]) for cid in run}
    passed = [cid for cid in run if not outcomes[cid].problems]
    excluded = [cid for cid in run if cid in exclusions.cases]
    failing = [cid for cid in run if outcomes[cid].problems and cid not in exclusions.cases]
    stale = [cid for cid in excluded if not outcomes[cid].problems]
    hidden = [cid for cid in passed if outcomes[cid].below_threshold]
    with capsys.disabled():
        print(
            f"\nPresidio recognizer cases: {len(cases)} in the corpus; {len(run)} run, {len(passed)} passed, "
            f"{len(by_type)} excluded by type ({len(exclusions.types)} entity types), "
            f"{len(excluded)} excluded individually. {len(hidden)} passing cases have an expected span scored "
            f"below the report threshold {runner.threshold}."
        )
    assert not failing, f"{len(failing)} cases fail and are not excluded: {failing}"
    assert not stale, f"excluded cases that pass now, remove them from {EXCLUSIONS.name}: {stale}"
    assert len(run) == len(passed) + len(excluded)
    assert len(cases) == len(run) + len(by_type)
