"""Turn corpus runs into figures and plain-text tables, with no personal data in either.

Reports travel (tickets, chat, CI logs), so they carry no raw values even for synthetic
data: misses show the type, file, page and a masked form (first letter and ``***``).
"""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

from piiscan.evaluate.datasets import Entity
from piiscan.evaluate.metrics import (
    ALIAS_REASONS,
    ALIASES,
    ID_DOCUMENT_TYPES,
    ID_NUMBER,
    Counts,
    ItemMatch,
    accuracy,
    add_counts,
    clean_flagged,
    confusion,
    dedupe,
    evaluated_types,
    flagged,
    item_counts,
    match,
    micro,
    share,
    verdict_labels,
)
from piiscan.evaluate.runner import CorpusRun, SystemRun
from piiscan.rules.engine import RuleEngine
from piiscan.scanner.masking import mask
from piiscan.scanner.model import Finding

CLEAN_SCAN_TYPES = ("CREDIT_CARD", "IBAN_CODE", "US_SSN", "EMAIL_ADDRESS", "PHONE_NUMBER", "MRZ")
SYSTEMS = ("piiscan", "baseline")
_MISS_WEIGHT = {"CREDIT_CARD": 3, "US_SSN": 3, "MRZ": 3, "IBAN_CODE": 3}
_MISS_WEIGHT.update(dict.fromkeys(("EMAIL_ADDRESS", "PHONE_NUMBER", "PERSON", "STREET_ADDRESS", "GPS_COORDINATES"), 2))
WORST_MISSES = 10


def masked(text: str) -> str:
    """First letter and ``***`` (``#`` for a leading digit or symbol): enough to tell misses apart."""
    value = " ".join(text.split())
    first = value[:1] if value[:1].isalpha() else "#"
    return f"{first}***"


def _masked_entity(entity: Entity) -> dict[str, Any]:
    return {"type": entity.entity_type, "page": entity.page, "masked": masked(entity.text)}


def render_misses(summary: dict[str, Any]) -> str:
    """Every piiscan miss and false alarm, file by file, values masked: where to look next."""
    lines = [f"Per-file misses and false alarms ({summary['corpus']}; values masked):"]
    for row in summary["items"]:
        misses, alarms = row.get("misses", []), row.get("false_alarms", [])
        if not misses and not alarms:
            continue
        lines.append(f"  {row['file']}: {len(misses)} missed, {len(alarms)} false alarms")
        for kind, entries in (("miss", misses), ("false", alarms)):
            for e in entries:
                lines.append(f"    {kind:<6}{e['type']:<20}{e['masked']:<8}page {e['page']}")
    return "\n".join(lines) + "\n"


def _figures(counts: Counts) -> dict[str, Any]:
    return {
        "tp": counts.tp,
        "fp": counts.fp,
        "fn": counts.fn,
        "precision": counts.precision,
        "recall": counts.recall,
        "f1": counts.f1,
    }


def _delta(a: float | None, b: float | None) -> float | None:
    return a - b if a is not None and b is not None else None


def _found(run: CorpusRun, system: SystemRun) -> list[Entity]:
    return dedupe(system.found) if run.corpus.distinct_labels else system.found


def _label_verdict(rules: RuleEngine, labels: list[Entity]) -> str:
    """The verdict the rules would give with perfect detection: what the labels alone imply."""
    findings = [
        Finding(
            entity_type=e.entity_type,
            score=1.0,
            page=e.page,
            source="ocr",
            text=e.text,
            masked=mask(e.entity_type, e.text),
            start=0,
            end=len(e.text),
        )
        for e in labels
    ]
    return rules.evaluate(findings).verdict


def summarise(run: CorpusRun) -> dict[str, Any]:
    """Every figure of one corpus as JSON-ready data (no raw values)."""
    corpus = run.corpus
    labelled = Counter(e.entity_type for item in corpus.items for e in item.entities)
    evaluated = evaluated_types(labelled, run.supported)
    systems = [s for s in SYSTEMS if s == "piiscan" or any(r.baseline is not None for r in run.items)]
    totals: dict[str, dict[str, Counts]] = {s: {} for s in systems}
    clean_totals: dict[str, dict[str, Counts]] = {s: {} for s in systems}
    ignored: dict[str, Counter[str]] = {s: Counter() for s in systems}
    verdict_pairs: dict[str, list[tuple[str, str]]] = {s: [] for s in systems}
    implied_pairs: dict[str, list[tuple[str, str]]] = {s: [] for s in systems}
    unsupported = {t: Counts() for t in labelled if t not in evaluated}
    misses: list[dict[str, Any]] = []
    causes: dict[str, Counter[str]] = {}
    timing: dict[str, list[float]] = {s: [] for s in systems}
    errors: dict[str, Counter[str]] = {s: Counter() for s in systems}
    rules = RuleEngine()
    items_out = []

    for item_run in run.items:
        item = item_run.item
        implied = _label_verdict(rules, item.entities)
        matches: dict[str, ItemMatch] = {}
        row: dict[str, Any] = {
            "file": item.name,
            "expected_verdict": item.expected_verdict,
            "labels": len(item.entities),
        }
        for name in systems:
            system = item_run.piiscan if name == "piiscan" else item_run.baseline
            if system is None:
                continue
            found = _found(run, system)
            result = match(item.entities, found, evaluated)
            matches[name] = result
            counts = item_counts(item.entities, found, result)
            add_counts(totals[name], counts)
            if item.clean_scan:
                add_counts(clean_totals[name], counts)
            ignored[name].update(f.entity_type for f in found if f.entity_type not in evaluated)
            if item.expected_verdict is not None:
                verdict_pairs[name].append((item.expected_verdict, system.verdict))
            implied_pairs[name].append((implied, system.verdict))
            timing[name].append(system.seconds)
            if system.error:
                errors[name][system.error] += 1
            if name == "baseline" and unsupported:
                # What plain Presidio finds of the types piiscan cannot: shows where it knows more.
                for i, _ in match(item.entities, found, unsupported).pairs:
                    if item.entities[i].entity_type in unsupported:
                        unsupported[item.entities[i].entity_type].tp += 1
            row[name] = {"verdict": system.verdict, "seconds": round(system.seconds, 3), **_row_counts(counts)}
        row["misses"] = [_masked_entity(item.entities[i]) for i in matches["piiscan"].missed]
        piiscan_found = _found(run, item_run.piiscan)
        row["false_alarms"] = [_masked_entity(piiscan_found[j]) for j in matches["piiscan"].false]
        items_out.append(row)

        baseline_hits = {i for i, _ in matches["baseline"].pairs} if "baseline" in matches else None
        for i in matches["piiscan"].missed:
            label = item.entities[i]
            read = item_run.piiscan.read[i]
            causes.setdefault(label.entity_type, Counter())["read" if read else "not_read"] += 1
            misses.append(
                {
                    "type": label.entity_type,
                    "file": item.name,
                    "page": label.page,
                    "masked": masked(label.text),
                    "clean_scan": item.clean_scan,
                    "text_read": read,
                    "baseline_found": None if baseline_hits is None else i in baseline_hits,
                }
            )

    def weight(miss: dict[str, Any]) -> tuple[int, str, int]:
        score = _MISS_WEIGHT.get(miss["type"], 1) + 2 * (miss["clean_scan"] is True) + (miss["baseline_found"] is True)
        return -score, miss["file"], miss["page"]

    misses.sort(key=weight)
    figures_types = [t for t in evaluated if t not in corpus.partial_types]
    types_out = []
    for entity_type in evaluated:
        entry: dict[str, Any] = {
            "type": entity_type,
            "support": labelled[entity_type],
            "partial_labels": entity_type in corpus.partial_types,
        }
        for name in systems:
            entry[name] = _figures(totals[name].get(entity_type, Counts(fn=labelled[entity_type])))
        entry["delta_f1"] = _delta(entry["piiscan"]["f1"], entry.get("baseline", {}).get("f1"))
        types_out.append(entry)
    overall: dict[str, Any] = {"support": sum(labelled[t] for t in figures_types), "types": figures_types}
    for name in systems:
        overall[name] = _figures(micro(totals[name], figures_types))
    overall["delta_f1"] = _delta(overall["piiscan"]["f1"], overall.get("baseline", {}).get("f1"))

    clean_items = sum(1 for r in run.items if r.item.clean_scan)
    clean_labelled = Counter(e.entity_type for r in run.items if r.item.clean_scan for e in r.item.entities)
    clean_rows = []
    for entity_type in CLEAN_SCAN_TYPES:
        entry = {"type": entity_type, "support": clean_labelled[entity_type]}
        for name in systems:
            entry[name] = clean_totals[name].get(entity_type, Counts()).recall
        clean_rows.append(entry)

    verdicts: dict[str, Any] = {}
    for name in systems:
        pairs = verdict_pairs[name]
        labelled_flag = [(e, a) for e, a in implied_pairs[name] if flagged(e)]
        verdicts[name] = {
            "confusion": confusion(pairs),
            "accuracy": list(accuracy(pairs)),
            "clean_flagged": list(clean_flagged(pairs)),
            "pii_files_flagged": [sum(flagged(a) for _, a in labelled_flag), len(labelled_flag)],
            "errors": dict(errors[name]),
        }
    return {
        "corpus": corpus.name,
        "description": corpus.description,
        "files": len(run.items),
        "skipped": [{"file": s.name, "reason": s.reason} for s in corpus.skipped],
        "evaluated_types": evaluated,
        "partial_types": sorted(set(evaluated) & corpus.partial_types),
        "distinct_labels": corpus.distinct_labels,
        "notes": corpus.notes,
        "ignored_found_types": {name: dict(sorted(ignored[name].items())) for name in systems},
        "types": types_out,
        "overall": overall,
        "unsupported": [
            {
                "type": t,
                "support": labelled[t],
                "baseline_recall": (unsupported[t].tp / labelled[t]) if "baseline" in systems else None,
            }
            for t in sorted(unsupported)
        ],
        "clean_scan_recall": {"files": clean_items, "types": clean_rows},
        "miss_causes": [
            {"type": t, "missed": sum(c.values()), "text_read": c["read"], "not_read": c["not_read"]}
            for t, c in sorted(causes.items())
        ],
        "verdicts": verdicts,
        "timing": {
            **{
                name: {
                    "files": len(timing[name]),
                    "total_s": round(sum(timing[name]), 2),
                    "mean_s": round(statistics.fmean(timing[name]), 3) if timing[name] else None,
                    "median_s": round(statistics.median(timing[name]), 3) if timing[name] else None,
                }
                for name in systems
            },
            "warm_up_s": {k: round(v, 2) for k, v in run.warm_up_s.items()},
        },
        "worst_misses": misses[:WORST_MISSES],
        "misses_total": len(misses),
        "items": items_out,
    }


def _row_counts(counts: dict[str, Counts]) -> dict[str, int]:
    total = Counts()
    for c in counts.values():
        total += c
    return {"tp": total.tp, "fp": total.fp, "fn": total.fn}


# --------------------------------------------------------------------------- text


def _num(value: float | None, width: int = 6) -> str:
    return f"{value:{width}.3f}" if value is not None else f"{'-':>{width}}"


def _signed(value: float | None) -> str:
    return f"{value:+7.3f}" if value is not None else f"{'-':>7}"


def _pct(part: list[int]) -> str:
    hit, total = part
    return f"{hit}/{total} ({hit / total:.0%})" if total else "n/a (no such files)"


def render(summary: dict[str, Any]) -> str:
    """The human-readable report of one corpus."""
    systems = [s for s in SYSTEMS if s in summary["overall"]]
    has_base = "baseline" in systems
    lines: list[str] = []
    add = lines.append
    title = f" {summary['corpus']} corpus: {summary['files']} files ({summary['description']}) "
    add("")
    add(f"{title:=^104}")
    add(f"Evaluated types: {', '.join(summary['evaluated_types'])}")
    add("Match: type + page + normalised value, one-to-one (split labels: one finding may cover several).")
    if summary["distinct_labels"]:
        add("Each distinct value is labelled once per page, so repeated findings of a value count once.")
    for entity_type in summary["evaluated_types"]:
        extra = list(ALIASES.get(entity_type, ()))
        if extra:
            reason = ALIAS_REASONS.get(entity_type)
            because = f" ({reason})." if reason else "."
            add(f"{entity_type} labels may also be matched by {', '.join(extra)} findings{because}")
    if ID_NUMBER in summary["evaluated_types"]:
        add(f"ID_NUMBER: labels and findings of every identity-number type ({', '.join(sorted(ID_DOCUMENT_TYPES))}) "
            "are evaluated as ID_NUMBER.")  # fmt: skip
    for note in summary["notes"]:
        add(note)
    for name in systems:
        ignored = summary["ignored_found_types"][name]
        if ignored:
            text = ", ".join(f"{t} {n}" for t, n in ignored.items())
            add(f"Found but not labelled in this corpus (ignored, not FPs) - {name}: {text}")
    add("")
    head = f"{'entity type':<28}{'support':>8} | {'piiscan P':>9} {'R':>6} {'F1':>6}"
    if has_base:
        head += f" | {'baseline P':>10} {'R':>6} {'F1':>6} | {'dF1':>7}"
    add(head)
    add("-" * len(head))

    def row(label: str, support: int, entry: dict[str, Any]) -> str:
        p = entry["piiscan"]
        text = f"{label:<28}{support:>8} | {_num(p['precision'], 9)} {_num(p['recall'])} {_num(p['f1'])}"
        if has_base:
            b = entry["baseline"]
            text += f" | {_num(b['precision'], 10)} {_num(b['recall'])} {_num(b['f1'])} | {_signed(entry['delta_f1'])}"
        return text

    for entry in summary["types"]:
        label = entry["type"] + (" *partial labels" if entry["partial_labels"] else "")
        add(row(label, entry["support"], entry))
    add("-" * len(head))
    add(row("OVERALL (micro)", summary["overall"]["support"], summary["overall"]))
    if summary["partial_types"]:
        add(f"* {', '.join(summary['partial_types'])}: not every occurrence is labelled (e.g. only dates of birth), "
            "so precision is a lower bound; excluded from OVERALL.")  # fmt: skip
    if summary["unsupported"]:
        add("")
        add("Labelled types piiscan has no recognizer for (not in the figures above):")
        for entry in summary["unsupported"]:
            base = f"   baseline recall {_num(entry['baseline_recall'])}" if has_base else ""
            add(f"  {entry['type']:<24}{entry['support']:>6}{base}")

    add("")
    clean = summary["clean_scan_recall"]
    if clean["files"]:
        add(f"Recall on clean scans ({clean['files']} files with clean_scan=true):")
        for entry in clean["types"]:
            base = f"   baseline {_num(entry.get('baseline'))}" if has_base else ""
            add(f"  {entry['type']:<24}{entry['support']:>6}   piiscan {_num(entry['piiscan'])}{base}")
    else:
        add("Recall on clean scans: n/a (this corpus does not say which files are clean scans)")

    if summary["miss_causes"]:
        add("")
        add("piiscan misses by cause (value in piiscan's extracted text = recognizer gap, else OCR/extraction):")
        add(f"  {'entity type':<24}{'missed':>7}{'text read':>11}{'not read':>10}")
        for entry in summary["miss_causes"]:
            add(f"  {entry['type']:<24}{entry['missed']:>7}{entry['text_read']:>11}{entry['not_read']:>10}")

    for name in systems:
        v = summary["verdicts"][name]
        matrix = v["confusion"]
        add("")
        if not matrix:
            add(f"Verdicts ({name}): no file states an expected verdict")
        else:
            labels = verdict_labels(matrix)
            add(f"Verdict confusion ({name}; rows expected, columns actual):")
            width = max(len(x) for x in labels) + 2
            add(f"  {'':<{width}}" + "".join(f"{x:>{width}}" for x in labels))
            for expected in [x for x in labels if x in matrix]:
                add(f"  {expected:<{width}}" + "".join(f"{matrix[expected].get(a, 0):>{width}}" for a in labels))
        add(f"  verdict accuracy {_pct(v['accuracy'])}; clean files flagged {_pct(v['clean_flagged'])}; "
            f"files whose labels the rules flag, flagged {_pct(v['pii_files_flagged'])}")  # fmt: skip
        if v["errors"]:
            add(f"  errors: {', '.join(f'{k} x{n}' for k, n in v['errors'].items())}")

    add("")
    timing = summary["timing"]
    parts = []
    for name in systems:
        t = timing[name]
        mean, median = _num(t["mean_s"], 0), _num(t["median_s"], 0)
        parts.append(f"{name} {mean} s/file mean, {median} median, {t['total_s']} s total")
    add("Timing: " + "; ".join(parts))
    if has_base and timing["baseline"]["mean_s"]:
        add(f"  piiscan/baseline mean time ratio {timing['piiscan']['mean_s'] / timing['baseline']['mean_s']:.2f}; "
            f"model load (once, not counted): {timing['warm_up_s']}")  # fmt: skip

    add("")
    add(f"Worst piiscan misses ({len(summary['worst_misses'])} of {summary['misses_total']}; "
        "ranked by type weight, clean scan, found by baseline):")  # fmt: skip
    if summary["worst_misses"]:
        add(f"  {'type':<18}{'masked':<8}{'page':>5}  {'text read':<10}{'baseline':<9}file")
        for m in summary["worst_misses"]:
            base = "-" if m["baseline_found"] is None else ("found" if m["baseline_found"] else "missed")
            read = "yes" if m["text_read"] else "no"
            add(f"  {m['type']:<18}{m['masked']:<8}{m['page']:>5}  {read:<10}{base:<9}{m['file']}")
    if summary["skipped"]:
        add("")
        add(f"Skipped ({len(summary['skipped'])}):")
        for s in summary["skipped"]:
            add(f"  {s['file']}: {s['reason']}")
    return "\n".join(lines) + "\n"


def headline(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """The one JSON line CI and the team read: overall figures, verdicts and speed per corpus."""
    out: dict[str, Any] = {"eval": {}}
    for summary in summaries:
        entry: dict[str, Any] = {"files": summary["files"], "support": summary["overall"]["support"]}
        for name in SYSTEMS:
            if name not in summary["overall"]:
                continue
            overall = summary["overall"][name]
            verdicts = summary["verdicts"][name]
            entry[name] = {
                "precision": _round(overall["precision"]),
                "recall": _round(overall["recall"]),
                "f1": _round(overall["f1"]),
                "verdict_accuracy": _round(share(verdicts["accuracy"])),
                "clean_flagged": _round(share(verdicts["clean_flagged"])),
                "s_per_file": summary["timing"][name]["mean_s"],
            }
        entry["delta_f1"] = _round(summary["overall"]["delta_f1"])
        out["eval"][summary["corpus"]] = entry
    return out


def _round(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None
