"""A rescan of identical bytes through the worker's real path: the earlier result is reused.

Two paths of :func:`piiscan.workers.jobs.run_scan`, measured in-process on the real services
(S3 on loopback, PostgreSQL) with the scanner already loaded:

- ``checksum``: the object was uploaded with a SHA-256 checksum (``ChecksumAlgorithm=SHA256``,
  or ``x-amz-checksum-sha256`` on a presigned PUT); the hook's HEAD read the store's hash with the
  version, so the worker asks the store nothing: the attempt, the reuse and the webhook are one
  transaction, nothing is downloaded. ``hook_hash=False`` measures a row without the hook's hash
  (one from before it was kept): then the worker's own HEAD gives it;
- ``download``: no SHA-256 from the store (the SDK default is a CRC32): the worker streams the
  object, hashing it, then reuses; split into the object download and the rest.
"""

from __future__ import annotations

import statistics
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from piiscan.perf.load import BUCKET, Environment
from piiscan.store.models import Scan, Upload
from piiscan.workers import jobs
from piiscan.workers.services import build_services


class RecordingDispatcher:
    """A dispatcher that only records: the measured call must not wait on a broker."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def scan(self, scan_id: str) -> None:
        self.sent.append(scan_id)

    def deliver(self, delivery_id: str, countdown: float = 0) -> None:
        self.sent.append(delivery_id)

    def rescan(self, scan_id: str) -> None:
        self.sent.append(scan_id)


@dataclass(slots=True)
class Rescan:
    total_ms: float
    download_ms: float
    outcomes: list[str]
    checksum: bool = False
    head_ms: float = 0.0
    """The store's HEAD of the object alone (the checksum path's one request to the store)."""

    @property
    def reuse_ms(self) -> float:
        return self.total_ms - self.download_ms


def measure(
    env: Environment, data: bytes, scanner: Any, repeat: int = 5, checksum: bool = False, hook_hash: bool = True
) -> Rescan:
    """Scan ``data`` once for real, then ``repeat`` times under new keys; medians of the rescans.
    ``checksum``: upload with a SHA-256 checksum the store verifies (the path without download);
    ``hook_hash=False``: forget the hash the hook's HEAD kept (untimed), so the worker HEADs."""
    services = build_services(env.settings, dispatcher=RecordingDispatcher())
    services.use_scanner(scanner)
    headers = {"Authorization": f"Bearer {env.token}"}
    totals: list[float] = []
    downloads: list[float] = []
    outcomes: list[str] = []
    for attempt in range(repeat + 1):
        key = f"rescan/{uuid.uuid4().hex[:8]}/same.png"
        extra = {"ChecksumAlgorithm": "SHA256"} if checksum else {}
        env.s3.put_object(Bucket=BUCKET, Key=key, Body=data, **extra)
        response = env.client.post("/v1/hook/scans", json={"bucket": BUCKET, "key": key}, headers=headers)
        scan_id = response.json()["scan_id"]
        if not hook_hash:
            with services.db.session() as session:
                upload_id = select(Scan.upload_id).where(Scan.id == scan_id).scalar_subquery()
                session.execute(update(Upload).where(Upload.id == upload_id).values(sha256=None))
        started = time.perf_counter()
        outcome = jobs.run_scan(services, scan_id)
        total = time.perf_counter() - started
        if attempt == 0:
            continue  # the first one scans for real
        outcomes.append(outcome)
        totals.append(total)
        if checksum:
            downloads.append(0.0)  # no download on this path
            continue
        started = time.perf_counter()
        with services.store.download(
            BUCKET, key, version_id=None, etag=None, max_bytes=env.settings.max_file_bytes
        ) as downloaded:
            downloaded.sha256  # noqa: B018 - the download hashes as it streams
        downloads.append(time.perf_counter() - started)
    heads = []
    for _ in range(repeat):
        started = time.perf_counter()
        services.store.stat(BUCKET, key, None)
        heads.append(time.perf_counter() - started)
    services.db.dispose()
    return Rescan(
        statistics.median(totals) * 1000,
        statistics.median(downloads) * 1000,
        outcomes,
        checksum,
        statistics.median(heads) * 1000,
    )


def main(argv: list[str] | None = None) -> int:
    """The bench's rescan figures alone, ``--rounds`` times (medians of 15 rescans each), then the
    median of the rounds: ``python -m piiscan.perf.rescan`` (PostgreSQL and moto as for ``make load``)."""
    import argparse
    import json
    import sys
    import tempfile
    from pathlib import Path

    from piiscan.perf.inputs import uploads
    from piiscan.perf.load import environment
    from piiscan.scanner.pipeline import Scanner
    from piiscan.settings import Settings

    parser = argparse.ArgumentParser(prog="python -m piiscan.perf.rescan", description=main.__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=15, help="rescans per round")
    args = parser.parse_args(argv)
    scanner = Scanner(Settings())
    scanner.warm_up()
    data = next(iter(uploads(1, seed=11)))[1]  # the bench's first upload
    rounds: dict[str, list[float]] = {"rescan_ms": [], "rescan_head_path_ms": [], "rescan_head_ms": []}
    with tempfile.TemporaryDirectory() as tmp, environment(Path(tmp)) as env:
        for _ in range(args.rounds):
            hooked = measure(env, data, scanner, repeat=args.repeat, checksum=True)
            headed = measure(env, data, scanner, repeat=args.repeat, checksum=True, hook_hash=False)
            assert set(hooked.outcomes) == set(headed.outcomes) == {"reused"}, (hooked.outcomes, headed.outcomes)
            rounds["rescan_ms"].append(hooked.total_ms)
            rounds["rescan_head_path_ms"].append(headed.total_ms)
            rounds["rescan_head_ms"].append(headed.head_ms)
            print("  ".join(f"{name} {values[-1]:.2f}" for name, values in rounds.items()), flush=True)
    print(f"command: {' '.join([sys.executable, '-m', 'piiscan.perf.rescan', *(argv or sys.argv[1:])])}")
    print(json.dumps({name: round(statistics.median(values), 2) for name, values in rounds.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
