"""Render scan results: JSON and JSON lines per the report contract, or a table for people."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import TextIO

from rich.console import Console
from rich.table import Table

from piiscan.scanner.model import ScanResult

_VERDICT_STYLE = {
    "clean": "green",
    "error": "magenta",
    "personal_data": "yellow",
    "own_data": "cyan",
}


def exit_status(results: Sequence[ScanResult]) -> int:
    """Like grep and clamscan: 2 if an input could not be scanned, else 1 if anything was flagged."""
    if any(r.verdict == "error" for r in results):
        return 2
    return 1 if any(r.flagged for r in results) else 0


def write_json(results: Sequence[ScanResult], out: TextIO, reveal: bool = False) -> None:
    json.dump([r.to_dict(reveal) for r in results], out, indent=2, ensure_ascii=False)
    out.write("\n")


def write_jsonl(result: ScanResult, out: TextIO, reveal: bool = False) -> None:
    out.write(json.dumps(result.to_dict(reveal), ensure_ascii=False) + "\n")
    out.flush()


def write_table(results: Sequence[ScanResult], out: TextIO, reveal: bool = False) -> None:
    console = Console(file=out, soft_wrap=False, width=max(Console(file=out).width, 120))
    summary = Table(title="piiscan", show_lines=False)
    for column in ("source", "type", "pages", "verdict", "severity", "findings"):
        summary.add_column(column)
    for r in results:
        style = _VERDICT_STYLE.get(r.verdict, "red")
        counts = Counter(f.entity_type for f in r.findings)
        detail = ", ".join(f"{t} x{n}" for t, n in sorted(counts.items()))
        if r.error:
            detail = f"{r.error['code']}: {r.error['message']}"
        summary.add_row(
            r.source,
            r.media_type or "?",
            str(r.pages),
            f"[{style}]{r.verdict}[/]",
            r.severity,
            detail,
        )
    console.print(summary)
    for r in results:
        if not r.findings and not r.rules:
            continue
        table = Table(title=r.source, title_justify="left")
        for column in ("entity", "page", "where", "value", "score"):
            table.add_column(column)
        for f in r.findings:
            where = f.source + (f" {f.origin}" if f.origin else "")
            if f.bbox is not None:
                where += f" @{f.bbox.left},{f.bbox.top} {f.bbox.width}x{f.bbox.height}"
            table.add_row(f.entity_type, str(f.page), where, f.text if reveal else f.masked, f"{f.score:.2f}")
        console.print(table)
        for hit in r.rules:
            console.print(f"  rule [bold]{hit.id}[/] → {hit.verdict} ({hit.severity}): {hit.reason}")
