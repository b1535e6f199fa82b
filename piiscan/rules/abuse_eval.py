"""Precision and recall of the ``abusive`` verdict on a labelled set of short texts.

    python -m piiscan.rules.abuse_eval tests/rules/abuse_cases.yaml [--split test] [--errors]

The set is YAML: ``cases: [{text, label: abusive|benign, split: dev|test, kind}]``. Each
text is evaluated by the real :class:`~piiscan.rules.engine.RuleEngine` (phrase rules,
suppressors and the classifier) as a one-page text upload; a text counts as flagged when
any rule with verdict ``abusive`` fires.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from piiscan.rules.engine import RuleEngine
from piiscan.scanner.model import Extraction, TextSegment


@dataclass(frozen=True, slots=True)
class Case:
    text: str
    label: str
    split: str
    kind: str


@dataclass
class Outcome:
    true_pos: int = 0
    false_pos: int = 0
    false_neg: int = 0
    true_neg: int = 0
    errors: list[tuple[str, Case, list[str]]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        flagged = self.true_pos + self.false_pos
        return self.true_pos / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        positives = self.true_pos + self.false_neg
        return self.true_pos / positives if positives else 1.0

    def summary(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 3),
            "recall": round(self.recall, 3),
            "tp": self.true_pos,
            "fp": self.false_pos,
            "fn": self.false_neg,
            "tn": self.true_neg,
        }


def load_cases(path: str | Path) -> list[Case]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return [Case(c["text"], c["label"], c.get("split", "test"), c.get("kind", "")) for c in data["cases"]]


def abusive_rules(engine: RuleEngine, text: str) -> list[str]:
    extraction = Extraction(segments=[TextSegment(text=text, page=1, source="text_layer")])
    decision = engine.evaluate([], extraction)
    return [hit.id for hit in decision.rules if hit.verdict == "abusive"]


def evaluate(cases: Sequence[Case], engine: RuleEngine | None = None) -> Outcome:
    engine = engine or RuleEngine()
    outcome = Outcome()
    for case in cases:
        fired = abusive_rules(engine, case.text)
        flagged, abusive = bool(fired), case.label == "abusive"
        if flagged and abusive:
            outcome.true_pos += 1
        elif flagged:
            outcome.false_pos += 1
            outcome.errors.append(("false positive", case, fired))
        elif abusive:
            outcome.false_neg += 1
            outcome.errors.append(("missed", case, fired))
        else:
            outcome.true_neg += 1
    return outcome


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m piiscan.rules.abuse_eval", description=__doc__.split("\n")[0])
    parser.add_argument("cases", help="labelled YAML set")
    parser.add_argument("--split", choices=("dev", "test", "all"), default="all")
    parser.add_argument("--errors", action="store_true", help="list the texts it gets wrong")
    args = parser.parse_args(argv)
    cases = load_cases(args.cases)
    engine = RuleEngine()
    splits = ("dev", "test", "all") if args.split == "all" else (args.split,)
    report: dict[str, object] = {"rule_pack_version": engine.version}
    for split in splits:
        chosen = [c for c in cases if split == "all" or c.split == split]
        outcome = evaluate(chosen, engine)
        report[split] = {"n": len(chosen), **outcome.summary()}
        if args.errors and split != "all":
            for what, case, fired in outcome.errors:
                rules = f" [{', '.join(fired)}]" if fired else ""
                print(f"{split} {what} ({case.kind}): {case.text}{rules}")
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
