"""Rule packs: validated at load time (a bad pack is refused with its line and the reason),
versioned, layered; operators add packs and override thresholds without code."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from piiscan.rules.context import ScanContext
from piiscan.rules.engine import RuleEngine
from piiscan.rules.loader import BUILTIN_DIR, RulePackError, load_pack, load_ruleset
from piiscan.rules.schema import ExposureRule, PhraseRule
from piiscan.settings import Settings

from .conftest import MakeDoc

GOOD_HEAD = "pack: ops\nversion: 3\n"


def write(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    return path


def test_builtin_pack_loads_and_is_versioned() -> None:
    ruleset = load_ruleset()
    assert ruleset.version == "default@1.2.0"
    assert ruleset.thresholds.pdq_max_distance == 31
    kinds = {type(r).__name__ for r in ruleset.rules}
    assert kinds == {"HashRule", "PhraseRule", "ClassifierRule", "SensitiveRule", "LayoutRule", "ExposureRule"}
    assert len({r.id for r in ruleset.rules}) == len(ruleset.rules)
    assert all(load_pack(p).pack.pack == "default" for p in BUILTIN_DIR.glob("*.yaml"))


# (file body, line at fault, words the reason must contain)
MALFORMED = {
    "yaml-syntax": (
        """
        pack: ops
        version: 3
        rules: [
          {id: a
        """,
        5,
        "not valid YAML",
    ),
    "bad-regex": (
        """
        pack: ops
        version: 3
        rules:
          - id: abuse.custom
            type: phrase
            category: threat
            severity: high
            reason: A custom threat phrase matched.
            patterns:
              - '\\bfine\\b'
              - '\\b(unclosed group\\b'
        """,
        11,
        "rules[0].patterns[1]: not a valid regular expression",
    ),
    "misspelt-key": (
        """
        pack: ops
        version: 3
        rules:
          - id: third-party.extra
            type: exposure
            owner: third_party
            severty: high
            reason: Exposes a third person's data.
        """,
        4,  # the rule itself: its severity is missing, and the misspelt key is extra
        "severity: Field required (and 1 more error)",
    ),
    "bad-severity": (
        """
        pack: ops
        version: 3
        rules:
          - id: third-party.extra
            type: exposure
            owner: third_party
            severity: {public: urgent, unlisted: high, private: low}
            reason: Exposes a third person's data.
        """,
        7,
        "rules[0].severity.public: Input should be 'none', 'low', 'medium', 'high' or 'critical'",
    ),
    "unknown-placeholder": (
        """
        pack: ops
        version: 3
        rules:
          - id: third-party.extra
            type: exposure
            owner: third_party
            severity: high
            reason: Exposes {name}'s data.
        """,
        8,
        "unknown placeholder {name}",
    ),
    "duplicate-id": (
        """
        pack: ops
        version: 3
        rules:
          - {id: own.x, type: exposure, owner: own, severity: low, reason: The uploader's own data.}
          - {id: own.x, type: exposure, owner: own, severity: low, reason: The uploader's own data.}
        """,
        5,
        "defined twice",
    ),
    "unknown-type": (
        """
        pack: ops
        version: 3
        rules:
          - {id: x.y, type: regex, severity: low, reason: Some reason here.}
        """,
        4,
        "does not match any of the expected tags",
    ),
    "unknown-override": (
        """
        pack: ops
        version: 3
        overrides:
          no.such-rule: {severity: low}
        """,
        4,
        "no earlier pack defines a rule 'no.such-rule'",
    ),
    "bad-override-value": (
        """
        pack: ops
        version: 3
        overrides:
          third-party.doxxing:
            requires: PERSON
        """,
        5,
        "overrides.third-party.doxxing.requires: Input should be a valid list",
    ),
    "unknown-macro": (
        """
        pack: ops
        version: 3
        rules:
          - id: abuse.custom
            type: phrase
            category: hate
            severity: high
            reason: A custom hate phrase matched.
            patterns: ['\\b{GRUOP} are bad\\b']
        """,
        9,
        "unknown macro {GRUOP}",
    ),
    "upper-case-phrase": (
        """
        pack: ops
        version: 3
        rules:
          - id: abuse.custom
            type: phrase
            category: threat
            severity: high
            reason: A custom threat phrase matched.
            patterns: ['\\bI will\\b']
        """,
        9,
        "write abuse patterns in lower case",
    ),
    "missing-version": ("pack: ops\n", 1, "version: Field required"),
    "duplicate-key": ("pack: ops\nversion: 3\nthresholds: {}\nthresholds: {}\n", 4, "duplicate key 'thresholds'"),
    "pack-name-clash": ("pack: default\nversion: 9\n", 1, "pack: pack name 'default' is already used"),
    "threshold-range": (
        GOOD_HEAD + "thresholds:\n  pdq_max_distance: 300\n",
        4,
        "thresholds.pdq_max_distance: Input should be less than or equal to 128",
    ),
    "not-a-mapping": ("- just\n- a list\n", 1, "must be a YAML mapping"),
    "unknown-disable": (GOOD_HEAD + "disable: [own.data, own.typo]\n", 3, "disable[1]: no earlier pack"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_pack_is_refused_with_line_and_reason(tmp_path: Path, case: str) -> None:
    body, line, reason = MALFORMED[case]
    path = write(tmp_path, "ops.yaml", body)
    with pytest.raises(RulePackError) as caught:
        load_ruleset(tmp_path)
    error = caught.value
    assert error.path == str(path)
    assert error.line == line, str(error)
    assert reason in error.reason, str(error)
    assert str(error).startswith(f"{path}:{line}: ")


def test_engine_refuses_a_bad_pack_dir(tmp_path: Path) -> None:
    write(tmp_path, "ops.yaml", MALFORMED["bad-regex"][0])
    with pytest.raises(RulePackError):
        RuleEngine(Settings(rule_pack_dir=str(tmp_path)))
    with pytest.raises(RulePackError, match="does not exist"):
        RuleEngine(Settings(rule_pack_dir=str(tmp_path / "missing")))


OPS_PACK = """
pack: ops
version: 3
description: Stricter thresholds for a children's platform.
thresholds:
  abuse_min_probability: 0.99
  pdq_max_distance: 20
entities:
  labels: {STREET_ADDRESS: postal address}
macros:
  SLANG_THREAT: ['catch you outside', 'pull up on you']
overrides:
  third-party.doxxing:
    severity: critical
  abuse.offensive-language:
    severity: high
disable: [own.data]
rules:
  - id: abuse.threat.slang
    type: phrase
    category: threat
    severity: high
    reason: A local threat idiom ({count} sentence(s) {where}).
    patterns: ['\\b{SLANG_THREAT}\\b']
"""


def test_operator_pack_overrides_thresholds_and_rules(tmp_path: Path, doc: MakeDoc) -> None:
    write(tmp_path, "10-ops.yaml", OPS_PACK)
    write(tmp_path, "20-later.yaml", "pack: later\nversion: 2026.11\nthresholds: {pdq_max_distance: 16}\n")
    engine = RuleEngine(Settings(rule_pack_dir=str(tmp_path)))
    assert engine.version == "default@1.2.0+ops@3+later@2026.11"
    limits = engine.ruleset.thresholds
    assert (limits.abuse_min_probability, limits.pdq_max_distance) == (0.99, 16)  # later packs win
    assert limits.pdq_min_quality == 50  # untouched thresholds keep the default
    assert "own.data" not in {r.id for r in engine.ruleset.rules}
    doxxing = next(r for r in engine.ruleset.of_type(ExposureRule) if r.id == "third-party.doxxing")
    assert doxxing.severity.private == "critical" and doxxing.requires  # other fields kept
    assert any(r.id == "abuse.threat.slang" for r in engine.ruleset.of_type(PhraseRule))

    text = "I will catch you outside. Mark Olsen lives at 12 Elm Street, phone 212-555-0147."
    findings, extraction = doc(
        text,
        [
            ("PERSON", "Mark Olsen"),
            ("STREET_ADDRESS", "12 Elm Street"),
            ("PHONE_NUMBER", "212-555-0147"),
        ],
    )
    from piiscan.rules.context import Uploader

    decision = engine.evaluate(findings, extraction, ScanContext(Uploader(name="Clara Jensen"), "private"))
    assert decision.rule_pack_version == "default@1.2.0+ops@3+later@2026.11"
    by_id = {h.id: h for h in decision.rules}
    assert by_id["third-party.doxxing"].severity == "critical"
    assert "postal address" in by_id["third-party.doxxing"].reason
    assert by_id["abuse.threat.slang"].verdict == "abusive"


def test_operator_can_raise_the_classifier_threshold(tmp_path: Path, doc: MakeDoc) -> None:
    findings, extraction = doc("You're so ugly your own mother can't stand looking at you.", [])
    assert RuleEngine(Settings()).evaluate(findings, extraction).verdict == "abusive"
    write(
        tmp_path,
        "ops.yaml",
        GOOD_HEAD + "thresholds: {abuse_min_probability: 0.99}\ndisable: [abuse.harassment.insult]\n",
    )
    strict = RuleEngine(Settings(rule_pack_dir=str(tmp_path)))
    assert strict.evaluate(findings, extraction).verdict == "clean"
