"""``piiscan eval`` end to end on a few synthetic files, and the peer corpus loader."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from piiscan.cli import build_parser
from piiscan.evaluate.datasets import load_peer, load_synthetic
from piiscan.evaluate.runner import DEFAULT_PEER_DIR, evaluate, write_report
from piiscan.scanner.pipeline import Scanner
from piiscan.synth.corpus import generate

PICK = [
    "form/form_00.png",  # OCR, many types, sensitive
    "docx/docx_00.docx",  # text layer of an office file
    "id_document/id_card_00.png",  # MRZ
    "negative/negative_blank_00.png",  # expected clean
]


def _figures(node: Any) -> list[float]:
    """Every precision/recall/F1/share value anywhere in a summary."""
    out: list[float] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("precision", "recall", "f1", "baseline_recall") and value is not None:
                out.append(value)
            else:
                out.extend(_figures(value))
    elif isinstance(node, list):
        for value in node:
            out.extend(_figures(value))
    return out


def test_eval_on_a_few_synthetic_files(tmp_path: Path, scanner: Scanner) -> None:
    labels = generate(tmp_path / "corpus", n_per_kind=1, seed=7)
    corpus = load_synthetic(labels).subset(PICK)
    runs = evaluate([corpus], with_baseline=True, quiet=True, scanner=scanner)
    out = io.StringIO()
    json_path = tmp_path / "eval.json"
    line = write_report(runs, out, json_path, misses=True)
    printed = out.getvalue()

    # Structure: the table, its overall row, verdicts, timing and misses; the JSON line last.
    for heading in (
        "synthetic corpus: 4 files",
        "entity type",
        "OVERALL (micro)",
        "Recall on clean scans",
        "Verdict confusion (piiscan",
        "Verdict confusion (baseline",
        "clean files flagged",
        "Timing: piiscan",
        "Worst piiscan misses",
        "Per-file misses and false alarms (synthetic",
    ):
        assert heading in printed, heading
    assert "DATE_TIME *partial labels" in printed
    last = json.loads(printed.strip().splitlines()[-1])
    assert last == line
    synthetic = last["eval"]["synthetic"]
    assert synthetic["files"] == 4
    for system in ("piiscan", "baseline"):
        for key in ("precision", "recall", "f1", "verdict_accuracy", "clean_flagged"):
            value = synthetic[system][key]
            assert value is None or 0.0 <= value <= 1.0, (system, key, value)
        assert synthetic[system]["s_per_file"] > 0

    report = json.loads(json_path.read_text())
    summary = report["corpora"][0]
    figures = _figures(summary)
    assert figures and all(0.0 <= v <= 1.0 for v in figures)
    assert {t["type"] for t in summary["types"]} >= {"PERSON", "MRZ", "US_SSN", "EMAIL_ADDRESS"}
    assert "DATE_TIME" not in summary["overall"]["types"]
    assert summary["verdicts"]["piiscan"]["clean_flagged"][1] == 1
    assert sum(summary["verdicts"]["piiscan"]["confusion"]["clean"].values()) == 1
    assert len(summary["items"]) == 4
    # the per-file lists account for every miss and every false positive in the table
    assert sum(len(row["misses"]) for row in summary["items"]) == summary["misses_total"]
    false_total = sum(t["piiscan"]["fp"] for t in summary["types"])
    assert sum(len(row["false_alarms"]) for row in summary["items"]) == false_total

    # No labelled value, however it is spaced, may reach the printed report or the JSON file.
    written = json_path.read_text()
    for item in corpus.items:
        for entity in item.entities:
            for part in [entity.text, *entity.text.split("\n")]:
                if len(part) >= 5:
                    assert part not in printed and part not in written, entity.entity_type
            digits = re.sub(r"\D", "", entity.text)
            if len(digits) >= 6:  # nor its normalised form
                assert digits not in printed and digits not in written, entity.entity_type


def test_eval_subcommand_defaults() -> None:
    args = build_parser().parse_args(["eval"])
    assert (args.corpus, args.n, args.seed, args.no_baseline, args.json) == ("all", 4, 7, False, None)
    assert args.misses is False
    assert args.func.__name__ == "cmd_eval"
    assert DEFAULT_PEER_DIR.name == "peer" and DEFAULT_PEER_DIR.parent.name == "corpus"


@pytest.mark.corpus
def test_peer_corpus_loads(corpus: Path) -> None:
    peer = load_peer(corpus)
    names = {item.name for item in peer.items}
    skipped = {s.name: s.reason for s in peer.skipped}
    assert len(peer.items) >= 40
    assert all(item.path.is_file() for item in peer.items)
    assert "presidio/e2e-tests/resources/demo.txt" in names
    assert not any(n.endswith("_redacted.png") for n in names)
    assert "presidio/analyzer_recognizer_cases.json" in skipped
    assert "presidio/presidio-analyzer/tests/data/context_sentences_tests.txt" in skipped
    assert sum(n.endswith("_redacted.png") for n in skipped) == 2
    negatives = {item.name for item in peer.items if item.expected_verdict == "clean"}
    assert "presidio/presidio-image-redactor/tests/integration/resources/no_ocr.jpg" in negatives
    assert all(not item.entities for item in peer.items if item.expected_verdict == "clean")
    types = {e.entity_type for item in peer.items for e in item.entities}
    assert {"ID_NUMBER", "MRZ", "PERSON", "LOCATION"} <= types
    assert all(e.page == 1 for item in peer.items for e in item.entities)
