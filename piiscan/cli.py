"""The ``piiscan`` command line."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from piiscan.rules.context import DEFAULT_VISIBILITY, VISIBILITIES, ScanContext, Uploader
from piiscan.scanner.model import ScanResult

if TYPE_CHECKING:
    from piiscan.settings import Settings
    from piiscan.store.db import Database


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


def _scan_context(args: argparse.Namespace) -> ScanContext:
    uploader = Uploader(
        user_id=args.uploader_id,
        name=args.uploader_name,
        emails=tuple(args.uploader_email or ()),
        phones=tuple(args.uploader_phone or ()),
    )
    return ScanContext(uploader=uploader, visibility=args.visibility, tenant=args.tenant)


def cmd_scan(args: argparse.Namespace) -> int:
    from rich.progress import Progress

    from piiscan.rules import HashListError, RulePackError
    from piiscan.scanner.pipeline import Scanner
    from piiscan.scanner.report import exit_status, write_json, write_jsonl, write_table
    from piiscan.scanner.reuse import ResultCache
    from piiscan.settings import get_settings

    sources = list(_expand(args.paths))
    context = _scan_context(args)
    overrides = {
        "rule_pack_dir": args.rule_pack_dir,
        "hash_list_dir": args.hash_list_dir,
        "stop_at_first_critical": True if args.stop_at_critical else None,
    }
    settings = get_settings().model_copy(update={k: v for k, v in overrides.items() if v is not None})
    try:
        scanner = Scanner(settings, results=ResultCache())  # copies of one file are scanned once
    except (RulePackError, HashListError) as exc:
        print(f"piiscan: {exc}", file=sys.stderr)
        return 2
    results: list[ScanResult] = []
    show_progress = len(sources) >= 3 and sys.stderr.isatty() and args.format != "jsonl"
    if args.jobs > 1 and len(sources) > 1:
        from piiscan.scanner.parallel import scan_in_pool

        scanned = scan_in_pool(settings, sources, context, args.jobs)
    else:
        scanned = (scanner.scan_source(source, context).result for source in sources)
    with Progress(transient=True, disable=not show_progress) as progress:
        task = progress.add_task("scanning", total=len(sources))
        for result in scanned:
            results.append(result)
            if args.format == "jsonl":
                write_jsonl(result, sys.stdout, args.reveal)
            progress.advance(task)
    if args.format == "json":
        write_json(results, sys.stdout, args.reveal)
    elif args.format == "table":
        write_table(results, sys.stdout, args.reveal)
    return exit_status(results)


def cmd_eval(args: argparse.Namespace) -> int:
    from piiscan.evaluate.runner import DEFAULT_PEER_DIR, EvalOptions, run_eval

    options = EvalOptions(
        corpus=args.corpus,
        synthetic_dir=args.synthetic_dir,
        n=args.n,
        seed=args.seed,
        baseline=not args.no_baseline,
        json_out=args.json,
        peer_dir=args.peer_dir or DEFAULT_PEER_DIR,
        misses=args.misses,
    )
    return run_eval(options, sys.stdout)


def cmd_serve(args: argparse.Namespace) -> int:
    from piiscan.api.serve import serve

    demo = Path(args.demo) if args.demo is not None else None
    return serve(args.host, args.port, embedded=args.embedded, demo=demo)


def cmd_worker(args: argparse.Namespace) -> int:
    from piiscan.api.serve import worker

    return worker(args.concurrency, args.loglevel, args.hostname)


def cmd_beat(args: argparse.Namespace) -> int:
    from piiscan.api.serve import beat

    return beat(args.loglevel, args.schedule)


def _cli_services() -> tuple[Settings, Database]:
    from piiscan.settings import get_settings
    from piiscan.store.db import Database

    settings = get_settings()
    db = Database.from_settings(settings)
    if settings.auto_migrate:
        db.upgrade()
    return settings, db


def cmd_retention(args: argparse.Namespace) -> int:
    """Print what the retention purge would remove now (or remove it with --apply) as JSON."""
    import json
    from datetime import datetime

    from piiscan.store import retention
    from piiscan.store.models import utcnow

    settings, db = _cli_services()
    now = datetime.fromisoformat(args.now) if args.now else utcnow()
    with db.session() as session:
        if args.apply:
            counts = retention.apply(session, settings.retention, now)
        else:
            counts = retention.plan(session, settings.retention, now)
    if args.apply:
        db.reclaim(retention.PURGED_TABLES)
    print(json.dumps({"dry_run": not args.apply, "at": now.isoformat(), "counts": counts}, indent=2))
    return 0


def cmd_subject(args: argparse.Namespace) -> int:
    """Subject access from the command line; the value is read from stdin (never from argv, which
    other users of the machine can see in the process list)."""
    import getpass
    import json

    from piiscan.privacy.keys import EvidenceKeys
    from piiscan.store import review, subjects

    value = sys.stdin.readline().strip()
    if not value:
        print("piiscan: give the value on stdin, e.g. `printf %s VALUE | piiscan subject email`", file=sys.stderr)
        return 2
    settings, db = _cli_services()
    keys = EvidenceKeys.from_settings(settings)
    subject = subjects.Subject(args.kind, value)
    actor = f"cli:{getpass.getuser()}"
    with db.session() as session:
        if args.erase:
            counts = subjects.erase(session, keys, subject, ["*"])
            review.audit(
                session, actor, "admin", "subject_erase", "subject", subject.audit_key(keys), kind=args.kind, **counts
            )
            print(json.dumps({"erased": counts}, indent=2))
        else:
            uploads = subjects.find(session, keys, subject, ["*"])
            review.audit(
                session, actor, "admin", "subject_search", "subject", subject.audit_key(keys),
                kind=args.kind, uploads=len(uploads),
            )  # fmt: skip
            print(
                json.dumps(
                    {"kind": "piiscan.subject-access/1", "subject_kind": args.kind, "uploads": uploads}, indent=2
                )
            )
    if args.erase:
        db.reclaim(subjects.ERASED_TABLES)
    return 0


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
    who = scan.add_argument_group("upload context", "who uploaded the files and who can see them (feeds the rules)")
    who.add_argument("--uploader-name", help="the uploader's name (matched fuzzily)")
    who.add_argument("--uploader-email", action="append", metavar="EMAIL", help="an uploader e-mail (repeatable)")
    who.add_argument("--uploader-phone", action="append", metavar="PHONE", help="an uploader phone (repeatable)")
    who.add_argument("--uploader-id", help="the uploader's user id on the platform")
    who.add_argument(
        "--visibility",
        choices=VISIBILITIES,
        default=DEFAULT_VISIBILITY,
        help=f"who can see the upload (default {DEFAULT_VISIBILITY}: the platform's default and the safe side)",
    )
    who.add_argument("--tenant", help="the platform tenant the upload belongs to")
    scan.add_argument("--rule-pack-dir", help="operator rule packs (*.yaml) layered over the built-in ones")
    scan.add_argument("--hash-list-dir", help="hash lists of known illegal files (sha256:/pdq: lines)")
    scan.add_argument(
        "--stop-at-critical",
        action="store_true",
        help="end each scan at the first page that makes the verdict critical (PIISCAN_STOP_AT_FIRST_CRITICAL)",
    )
    scan.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="scan files in N processes (each loads its own engines: worth it for many files)",
    )
    scan.set_defaults(func=cmd_scan)

    ev = sub.add_parser("eval", help="measure detection against labelled corpora, beside the Presidio baseline")
    ev.add_argument("--corpus", choices=("synthetic", "peer", "all"), default="all")
    ev.add_argument("--synthetic-dir", type=Path, help="reuse its labels.json, or generate the corpus there")
    ev.add_argument("--n", type=int, default=4, help="synthetic files per kind (default 4)")
    ev.add_argument("--seed", type=int, default=7, help="synthetic corpus seed (default 7)")
    ev.add_argument("--peer-dir", type=Path, help="peer corpus (default <repo>/../shared/corpus/peer)")
    ev.add_argument("--no-baseline", action="store_true", help="skip plain Presidio on plain Tesseract")
    ev.add_argument("--json", type=Path, metavar="OUT", help="also write every figure as JSON (no raw values)")
    ev.add_argument("--misses", action="store_true", help="also list every miss and false alarm per file (masked)")
    ev.set_defaults(func=cmd_eval)

    srv = sub.add_parser("serve", help="run the scan service's HTTP API (upload hook, scans)")
    srv.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    srv.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    srv.add_argument(
        "--embedded", action="store_true", help="no services: SQLite, var/buckets/ as the bucket, in-process worker"
    )
    srv.add_argument(
        "--demo", nargs="?", const="samples", metavar="DIR", help="drop DIR's files (default samples/) into the bucket"
    )
    srv.set_defaults(func=cmd_serve)

    wrk = sub.add_parser("worker", help="run a Celery worker that scans queued uploads")
    wrk.add_argument("--concurrency", type=int, default=2, help="worker processes (default 2)")
    wrk.add_argument("--loglevel", default="INFO")
    wrk.add_argument("--hostname", help="Celery node name (default celery@<host>)")
    wrk.set_defaults(func=cmd_worker)

    bt = sub.add_parser(
        "beat", help="run the scheduler: re-sends lost scans and webhooks every minute, retention purge hourly"
    )
    bt.add_argument("--loglevel", default="INFO")
    bt.add_argument("--schedule", default="/tmp/piiscan-beat-schedule", help="beat's schedule file")
    bt.set_defaults(func=cmd_beat)

    ret = sub.add_parser("retention", help="what the retention purge would remove now (--apply: remove it)")
    ret.add_argument("--apply", action="store_true", help="purge and de-identify (default: a dry run)")
    ret.add_argument("--now", help="ISO time to evaluate the periods at (default: now)")
    ret.set_defaults(func=cmd_retention)

    subj = sub.add_parser("subject", help="subject access: uploads whose scans found a value read from stdin")
    subj.add_argument("kind", choices=("email", "phone", "name", "document"))
    subj.add_argument("--erase", action="store_true", help="erase that evidence (audited)")
    subj.set_defaults(func=cmd_subject)
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
