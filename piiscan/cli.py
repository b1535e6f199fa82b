"""The ``piiscan`` command line."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from piiscan.scanner.model import ScanResult


def _expand(inputs: Sequence[str]) -> Iterator[str]:
    """Folders are walked in name order so runs are repeatable; s3:// addresses pass through."""
    for item in inputs:
        path = Path(item)
        if not item.startswith("s3://") and path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not child.name.startswith("."):
                    yield str(child)
        else:
            yield item


def cmd_scan(args: argparse.Namespace) -> int:
    from rich.progress import Progress

    from piiscan.scanner.pipeline import Scanner
    from piiscan.scanner.report import exit_status, write_json, write_jsonl, write_table

    sources = list(_expand(args.paths))
    scanner = Scanner()
    results: list[ScanResult] = []
    show_progress = len(sources) >= 3 and sys.stderr.isatty() and args.format != "jsonl"
    with Progress(transient=True, disable=not show_progress) as progress:
        task = progress.add_task("scanning", total=len(sources))
        for source in sources:
            result = scanner.scan_source(source).result
            results.append(result)
            if args.format == "jsonl":
                write_jsonl(result, sys.stdout, args.reveal)
            progress.advance(task)
    if args.format == "json":
        write_json(results, sys.stdout, args.reveal)
    elif args.format == "table":
        write_table(results, sys.stdout, args.reveal)
    return exit_status(results)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="piiscan", description="Scan uploads for personal data and abusive or illegal content."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    scan = sub.add_parser("scan", help="scan files, folders or s3://bucket/key objects")
    scan.add_argument("paths", nargs="+", help="files, folders or s3://bucket/key")
    scan.add_argument("--format", choices=("table", "json", "jsonl"), default="table")
    scan.add_argument("--reveal", action="store_true", help="show raw values (masked otherwise)")
    scan.set_defaults(func=cmd_scan)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
