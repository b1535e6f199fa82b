"""The phrase-rule gate must never change what matches: only skip text that cannot match."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from piiscan.rules.abuse import AbuseDetector, _normalise_lines, sentences_of
from piiscan.rules.loader import load_ruleset
from piiscan.rules.prefilter import LiteralGate, line_local, necessary_literals
from piiscan.rules.schema import PhraseRule

CASES = Path(__file__).with_name("abuse_cases.yaml")


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\bkill yourself\b", {"kill yourself"}),
        (r"\b(?:kill|hang) yourself\b", {" yourself"}),
        (r"\b(?:nudes|sex tape)\b", {"nudes", "sex tape"}),
        (r"(?:a|b)?c", {"c"}),
        (r"\w+ \d+", {" "}),
        (r"\w+\d+", None),
        (r"(?:foo|\w+)bar", {"bar"}),
        (r"(?:foo|\w+)", None),
        (r"(?i)you", None),
        (r"x(?:ab){2,3}y", {"ab"}),
    ],
)
def test_necessary_literals(pattern: str, expected: set[str] | None) -> None:
    literals = necessary_literals(re.compile(pattern, re.MULTILINE))
    assert (None if literals is None else set(literals)) == expected


@pytest.mark.parametrize(
    ("pattern", "local"),
    [
        (r"\byou (?:\w+ ){0,2}are\b", True),
        (r"[^.!?\n]{0,40}you", True),
        (r"[^.!?]{0,40}you", False),  # a negated class without \n crosses lines
        (r"you\s+are", False),
        (r"you.are", True),
        (r"(?s)you.are", False),
        (r"you\Z", False),
        (r"^you$", True),
    ],
)
def test_line_local(pattern: str, local: bool) -> None:
    assert line_local(re.compile(pattern, re.MULTILINE)) is local


def _texts() -> list[str]:
    cases = yaml.safe_load(CASES.read_text())["cases"]
    texts = [c["text"] for c in cases]
    # the whole labelled set as one document too: lines that do and do not hold a rule's words
    return [*texts, "\n".join(texts), "\n\n".join(reversed(texts))]


def test_gate_finds_exactly_what_the_patterns_find() -> None:
    ruleset = load_ruleset(None)
    gate = LiteralGate()
    for text in _texts():
        sentences = sentences_of([(1, text)])
        document = "\n".join(s.norm for s in sentences)
        starts, offset = [], 0
        for s in sentences:
            starts.append(offset)
            offset += len(s.norm) + 1
        detector = AbuseDetector(ruleset, classifier=_NoClassifier())
        for rule in ruleset.of_type(PhraseRule):
            for pattern in ruleset.patterns[rule.id]:
                expected = [m.span() for m in pattern.finditer(document)]
                if not gate.may_match(pattern, document):
                    assert expected == []
                    continue
                got = [m.span() for m in detector._matches(pattern, document, starts, sentences)]
                assert got == expected, (rule.id, pattern.pattern)
                lines = gate.lines(pattern, document, starts)
                if lines is not None:  # the line-by-line path, whatever share of lines it keeps
                    ends = [start + len(s.norm) for start, s in zip(starts, sentences, strict=True)]
                    by_line = [m.span() for i in lines for m in pattern.finditer(document, starts[i], ends[i])]
                    assert by_line == expected, (rule.id, pattern.pattern)


def test_normalisation_gate_is_exact() -> None:
    from piiscan.rules import abuse

    for text in _texts():
        plain = text.lower().translate(abuse._QUOTES)
        for pattern, replacement in abuse._CONTRACTIONS:
            plain = pattern.sub(replacement, plain)
        plain = abuse._LINE_SPACES.sub(" ", abuse._CHAT_RE.sub(lambda m: abuse._CHAT[m.group(1)], plain))
        assert _normalise_lines(text) == plain


class _NoClassifier:
    def predict(self, texts: object) -> list[float]:
        return [0.0 for _ in texts]  # type: ignore[attr-defined]
