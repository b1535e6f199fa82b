"""A rescan of identical bytes through the worker's real path: the earlier result is reused.

The worker streams the object (hashing it on the way), finds a finished scan of the same
sha256, rule-pack version and context key, and copies its result instead of scanning
(:func:`piiscan.workers.jobs.run_scan`). Measured in-process on the real services (S3 on
loopback, PostgreSQL) with the scanner already loaded, split into the object download and
the reuse itself (look-up, copy of the result, webhook queued).
"""

from __future__ import annotations

import statistics
import time
import uuid
from dataclasses import dataclass
from typing import Any

from piiscan.perf.load import BUCKET, Environment
from piiscan.workers import jobs
from piiscan.workers.services import build_services


class _Recorder:
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

    @property
    def reuse_ms(self) -> float:
        return self.total_ms - self.download_ms


def measure(env: Environment, data: bytes, scanner: Any, repeat: int = 5) -> Rescan:
    """Scan ``data`` once for real, then ``repeat`` times under new keys; medians of the rescans."""
    services = build_services(env.settings, dispatcher=_Recorder())
    services.use_scanner(scanner)
    headers = {"Authorization": f"Bearer {env.token}"}
    totals: list[float] = []
    downloads: list[float] = []
    outcomes: list[str] = []
    for attempt in range(repeat + 1):
        key = f"rescan/{uuid.uuid4().hex[:8]}/same.png"
        env.s3.put_object(Bucket=BUCKET, Key=key, Body=data)
        response = env.client.post("/v1/hook/scans", json={"bucket": BUCKET, "key": key}, headers=headers)
        scan_id = response.json()["scan_id"]
        started = time.perf_counter()
        outcome = jobs.run_scan(services, scan_id)
        total = time.perf_counter() - started
        if attempt == 0:
            continue  # the first one scans for real
        outcomes.append(outcome)
        started = time.perf_counter()
        with services.store.download(
            BUCKET, key, version_id=None, etag=None, max_bytes=env.settings.max_file_bytes
        ) as downloaded:
            downloaded.sha256  # noqa: B018 - the download hashes as it streams
        downloads.append(time.perf_counter() - started)
        totals.append(total)
    services.db.dispose()
    return Rescan(statistics.median(totals) * 1000, statistics.median(downloads) * 1000, outcomes)
