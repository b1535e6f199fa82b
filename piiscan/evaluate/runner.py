"""Run piiscan and the baseline over labelled corpora, once per file and system.

Only what the metrics need survives a file: its findings as (type, text, page) and, per label,
whether the extracted text held the value at all. Page images and texts are dropped at once so
memory stays flat however large the corpus.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from piiscan.evaluate.baseline import Baseline, PageText
from piiscan.evaluate.datasets import Corpus, Entity, EvalItem, load_peer, load_synthetic
from piiscan.evaluate.metrics import fold_type, value_in_text
from piiscan.scanner.pipeline import Scanner
from piiscan.settings import Settings

REPO = Path(__file__).resolve().parents[2]
DEFAULT_PEER_DIR = REPO.parent / "shared" / "corpus" / "peer"


@dataclass(slots=True)
class SystemRun:
    """One system's outcome on one file. ``found`` holds raw values: never printed or written."""

    found: list[Entity]
    verdict: str
    seconds: float
    read: list[bool]
    """Per label of the item: was the value in the text this system extracted?"""
    error: str | None = None


@dataclass(slots=True)
class ItemRun:
    item: EvalItem
    piiscan: SystemRun
    baseline: SystemRun | None = None


@dataclass(slots=True)
class CorpusRun:
    corpus: Corpus
    items: list[ItemRun]
    supported: frozenset[str]
    warm_up_s: dict[str, float] = field(default_factory=dict)


def _read_flags(item: EvalItem, pages: dict[int, str]) -> list[bool]:
    return [value_in_text(e.entity_type, e.text, pages.get(e.page, "")) for e in item.entities]


def _run_piiscan(scanner: Scanner, item: EvalItem, data: bytes) -> SystemRun:
    started = time.perf_counter()
    output = scanner.scan(data, str(item.path))
    seconds = time.perf_counter() - started
    result = output.result
    pages: dict[int, str] = {}
    if output.extraction is not None:
        for segment in output.extraction.segments:
            pages[segment.page] = pages.get(segment.page, "") + "\n" + segment.text
    found = [Entity(fold_type(f.entity_type), f.text, f.page) for f in result.findings]
    error = result.error["code"] if result.error else None
    return SystemRun(found, result.verdict, seconds, _read_flags(item, pages), error)


def _run_baseline(baseline: Baseline, item: EvalItem, data: bytes) -> SystemRun:
    output = baseline.scan(data)
    pages = _page_texts(output.pages)
    found = [Entity(fold_type(f.entity_type), f.text, f.page) for f in output.findings]
    return SystemRun(found, output.verdict, output.seconds, _read_flags(item, pages), output.error)


def _page_texts(pages: list[PageText]) -> dict[int, str]:
    out: dict[int, str] = {}
    for page in pages:
        out[page.page] = out.get(page.page, "") + "\n" + page.text
    return out


Progress = Callable[[int, int, ItemRun], None]


def run_corpus(
    corpus: Corpus, scanner: Scanner, baseline: Baseline | None, progress: Progress | None = None
) -> CorpusRun:
    """Scan every item once with each system; the bytes are read once and shared."""
    runs = []
    for index, item in enumerate(corpus.items, 1):
        data = item.path.read_bytes()
        run = ItemRun(item, _run_piiscan(scanner, item, data))
        if baseline is not None:
            run.baseline = _run_baseline(baseline, item, data)
        del data
        runs.append(run)
        if progress is not None:
            progress(index, len(corpus.items), run)
    return CorpusRun(corpus, runs, frozenset(scanner.detector.entities))


def stderr_progress(corpus_name: str) -> Progress:
    """One line per file on stderr, so stdout carries the report alone."""

    def report(index: int, total: int, run: ItemRun) -> None:
        base = f" baseline {run.baseline.seconds:5.2f}s" if run.baseline else ""
        print(
            f"[{corpus_name} {index}/{total}] {run.item.name}: piiscan {run.piiscan.seconds:5.2f}s{base}",
            file=sys.stderr,
            flush=True,
        )

    return report


@dataclass(slots=True)
class EvalOptions:
    corpus: str = "all"
    synthetic_dir: Path | None = None
    n: int = 4
    seed: int = 7
    baseline: bool = True
    json_out: Path | None = None
    peer_dir: Path = DEFAULT_PEER_DIR
    quiet: bool = False
    misses: bool = False
    """Also print every miss and false alarm per file (masked)."""


def prepare_synthetic(directory: Path, n: int, seed: int, out: TextIO) -> Corpus:
    """Reuse ``directory/labels.json`` when present, else generate the corpus there."""
    from piiscan.synth.corpus import generate

    labels = directory / "labels.json"
    if labels.exists():
        print(f"note: using the existing synthetic corpus {labels} (--n and --seed do not apply)", file=out)
    else:
        started = time.perf_counter()
        labels = generate(directory, n, seed)
        print(f"note: generated the synthetic corpus (n={n}, seed {seed}) in {directory} "
              f"in {time.perf_counter() - started:.1f}s", file=out)  # fmt: skip
    return load_synthetic(labels)


def load_corpora(options: EvalOptions, out: TextIO, scratch: Path) -> list[Corpus]:
    """The corpora ``options`` ask for; the synthetic one goes to ``scratch`` unless a folder was given."""
    corpora: list[Corpus] = []
    if options.corpus in ("synthetic", "all"):
        corpora.append(prepare_synthetic(options.synthetic_dir or scratch, options.n, options.seed, out))
    if options.corpus in ("peer", "all"):
        if (options.peer_dir / "SOURCES.md").exists():
            corpora.append(load_peer(options.peer_dir))
        elif options.corpus == "peer":
            raise FileNotFoundError(f"no peer corpus at {options.peer_dir}")
        else:
            print(f"note: no peer corpus at {options.peer_dir}; running the synthetic corpus only", file=out)
    return corpora


def evaluate(
    corpora: list[Corpus],
    with_baseline: bool = True,
    settings: Settings | None = None,
    quiet: bool = False,
    scanner: Scanner | None = None,
) -> list[CorpusRun]:
    """Load both systems once (timed apart from the files), then run every corpus."""
    settings = scanner.settings if scanner is not None else settings or Settings()
    started = time.perf_counter()
    scanner = scanner or Scanner(settings)
    scanner.warm_up()
    warm = {"piiscan": time.perf_counter() - started}
    baseline = None
    if with_baseline:
        started = time.perf_counter()
        baseline = Baseline(settings.spacy_model, rules=scanner.rules)
        warm["baseline"] = time.perf_counter() - started
    runs = []
    for corpus in corpora:
        run = run_corpus(corpus, scanner, baseline, None if quiet else stderr_progress(corpus.name))
        run.warm_up_s = warm
        runs.append(run)
    return runs


def run_eval(options: EvalOptions, out: TextIO) -> int:
    """``piiscan eval``: print the tables and the headline JSON line; write the JSON report if asked."""
    if options.n < 1:
        print("error: --n must be at least 1", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="piiscan-eval-") as scratch:  # removed with its files afterwards
        try:
            corpora = load_corpora(options, out, Path(scratch))
        except FileNotFoundError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        runs = evaluate(corpora, options.baseline, quiet=options.quiet)
    write_report(runs, out, options.json_out, options.misses)
    return 0


def write_report(
    runs: list[CorpusRun], out: TextIO, json_out: Path | None = None, misses: bool = False
) -> dict[str, Any]:
    """Print every corpus's tables, then the headline as the last line (one JSON object)."""
    from piiscan.evaluate.report import headline, render, render_misses, summarise

    summaries = [summarise(run) for run in runs]
    for summary in summaries:
        out.write(render(summary))
        if misses:
            out.write(render_misses(summary))
    line = headline(summaries)
    if json_out is not None:
        json_out.write_text(json.dumps({"corpora": summaries, "headline": line}, indent=2) + "\n")
        print(f"note: wrote {json_out}", file=out)
    out.write(json.dumps(line, separators=(",", ":")) + "\n")
    return line
