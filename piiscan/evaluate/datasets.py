"""Labelled corpora for ``piiscan eval``: the seeded synthetic corpus and the third-party peer corpus.

Both loaders give the same shape (:class:`EvalItem`) so the runner and the metrics never care
where labels came from. The peer corpus is read in place: its files are third-party, and its
``expected.json`` files hold the only labels (see ``SOURCES.md`` beside them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SYNTHETIC = "synthetic"
PEER = "peer"

PARTIAL_TYPES = frozenset({"DATE_TIME"})
"""Types neither corpus labels exhaustively (the synthetic one labels dates of birth only, the peer one
leaves issue and employment dates out): every other date found would count as a false positive."""

PEER_SOURCES = ("presidio", "textractor", "azure-docintel-samples", "octopii")

_PEER_LANGUAGES = {
    "read-german.png": "de",
    "bussiness-cards-japanese.png": "ja",
    "id-in-aadhaar-card.png": "mr",
    "dummy-aadhaar.png": "mr",
    "dummy-passport-ukraine.jpg": "uk",
    "dummy-hong-kong-resident-id.png": "zh",
}
"""Files whose text is largely not English, as SOURCES.md describes them; everything else is ``en``."""


@dataclass(frozen=True, slots=True)
class Entity:
    """A labelled or found value: what the metrics compare (raw text: never printed)."""

    entity_type: str
    text: str
    page: int = 1


@dataclass(slots=True)
class EvalItem:
    """One labelled file."""

    path: Path
    name: str
    """Path relative to the corpus root, which is what reports show."""
    entities: list[Entity]
    expected_verdict: str | None
    """None where the corpus states no verdict (the peer corpus, except its negatives)."""
    clean_scan: bool | None
    """True for a crisp rendering, False for a degraded scan or photo, None when unknown."""
    language: str = "en"
    kind: str = ""


@dataclass(frozen=True, slots=True)
class Skipped:
    name: str
    reason: str


@dataclass(slots=True)
class Corpus:
    name: str
    root: Path
    items: list[EvalItem]
    skipped: list[Skipped] = field(default_factory=list)
    distinct_labels: bool = False
    """Each distinct value is labelled once per page, so repeated findings of it are merged too."""
    partial_types: frozenset[str] = PARTIAL_TYPES
    description: str = ""
    notes: list[str] = field(default_factory=list)
    """Caveats printed with the figures."""

    def subset(self, names: list[str]) -> Corpus:
        """The same corpus restricted to ``names`` (in that order): quick runs and tests."""
        by_name = {item.name: item for item in self.items}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise KeyError(f"not in the {self.name} corpus: {', '.join(missing)}")
        return Corpus(
            self.name,
            self.root,
            [by_name[n] for n in names],
            [],
            self.distinct_labels,
            self.partial_types,
            self.description,
            self.notes,
        )


def _entities(records: Any) -> list[Entity]:
    """Labels as evaluated: identity-number types folded into ID_NUMBER (see metrics.fold_type)."""
    from piiscan.evaluate.metrics import fold_type

    return [Entity(fold_type(str(r["entity_type"])), str(r["text"]), int(r.get("page") or 1)) for r in records or []]


def _not_personal(record: dict[str, Any]) -> bool:
    """A label kept only for fidelity to an upstream output that calls it a false positive."""
    return "false positive" in str(record.get("note", "")).lower()


def load_synthetic(labels_path: Path) -> Corpus:
    """Read ``labels.json`` written by :func:`piiscan.synth.corpus.generate`."""
    labels_path = Path(labels_path)
    payload = json.loads(labels_path.read_text(encoding="utf-8"))
    root = labels_path.parent
    items = []
    for name, label in sorted(payload["files"].items()):
        items.append(
            EvalItem(
                path=root / name,
                name=name,
                entities=_entities(label.get("entities")),
                expected_verdict=label.get("expected_verdict"),
                clean_scan=label.get("clean_scan"),
                language=label.get("language") or "en",
                kind=label.get("kind") or name.split("/", 1)[0],
            )
        )
    return Corpus(
        SYNTHETIC,
        root,
        items,
        distinct_labels=True,
        description=f"seed {payload.get('seed')}, labels v{payload.get('version')}",
    )


def _bookkeeping(rel: str) -> bool:
    """The labels and licence files: part of the corpus, not candidates for scanning."""
    base = rel.rsplit("/", 1)[-1]
    return base == "expected.json" or base.upper().startswith(("LICENSE", "NOTICE"))


def _not_an_upload(rel: str) -> str | None:
    """Why a file in a peer source folder is not something to scan, or None when it is."""
    base = rel.rsplit("/", 1)[-1]
    if base.endswith("_redacted.png"):
        return "upstream redacted-output reference image (an expected output, not an input)"
    if base == "analyzer_recognizer_cases.json":
        return "recognizer test rows (text snippets per test case), not a file upload"
    if base == "context_sentences_tests.txt":
        return "upstream data file (entity type + sentence per line for context boosting), not an upload"
    if base == "demo_anonymized.txt":
        return "upstream expected anonymizer output of demo.txt"
    if base.endswith(".json"):
        return "upstream reference OCR/API response or ground truth, not an upload"
    return None


def load_peer(root: Path) -> Corpus:
    """Read the four ``expected.json`` files; everything else in the folders is listed as skipped."""
    root = Path(root)
    items: list[EvalItem] = []
    skipped: list[Skipped] = []
    for source in PEER_SOURCES:
        folder = root / source
        labels_path = folder / "expected.json"
        if not labels_path.exists():
            skipped.append(Skipped(f"{source}/", "no expected.json in this snapshot"))
            continue
        labels: dict[str, Any] = json.loads(labels_path.read_text(encoding="utf-8"))
        for rel, record in sorted(labels.items()):
            name = f"{source}/{rel}"
            reason = _not_an_upload(rel)
            if reason is None and not (folder / rel).is_file():
                reason = "listed in expected.json but absent from the snapshot"
            if reason is None and not isinstance(record, dict):
                reason = "no entity list in expected.json"
            if reason is not None:
                skipped.append(Skipped(name, reason))
                continue
            records = record.get("entities") or []
            for dropped in [r for r in records if _not_personal(r)]:
                reason = "label kept for fidelity but noted as an upstream false positive, not personal data"
                skipped.append(Skipped(f"{name} ({dropped['entity_type']} label)", reason))
            entities = _entities([r for r in records if not _not_personal(r)])
            items.append(
                EvalItem(
                    path=folder / rel,
                    name=name,
                    entities=entities,
                    # The peer labels state no verdict; a file with nothing personal must come out clean.
                    expected_verdict=None if entities else "clean",
                    clean_scan=None,
                    language=_PEER_LANGUAGES.get(rel.rsplit("/", 1)[-1], "en"),
                    kind=source,
                )
            )
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            rel = path.relative_to(folder).as_posix()
            if rel in labels or _bookkeeping(rel):
                continue
            skipped.append(Skipped(f"{source}/{rel}", _not_an_upload(rel) or "no labels in expected.json"))
    notes = [
        "Institutional contact data (agency phones, hotlines) is unlabelled here, as don't-care upstream, "
        "but counts as FP: precision is a lower bound.",
        "Labels have no page (all page 1) and a value visible N times has N labels.",
    ]
    return Corpus(PEER, root, items, skipped, distinct_labels=False, description="read in place", notes=notes)
