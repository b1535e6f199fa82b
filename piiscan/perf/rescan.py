"""A rescan of identical bytes through the worker's real path: the earlier result is reused.

Two paths of :func:`piiscan.workers.jobs.run_scan`, measured in-process on the real services
(S3 on loopback, PostgreSQL) with the scanner already loaded:

- ``checksum``: the object was uploaded with a SHA-256 checksum (``ChecksumAlgorithm=SHA256``,
  or ``x-amz-checksum-sha256`` on a presigned PUT); a HEAD gives the hash, the attempt, the
  reuse and the webhook are one transaction, nothing is downloaded;
- ``download``: no SHA-256 from the store (the SDK default is a CRC32): the worker streams the
  object, hashing it, then reuses; split into the object download and the rest.
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


def measure(env: Environment, data: bytes, scanner: Any, repeat: int = 5, checksum: bool = False) -> Rescan:
    """Scan ``data`` once for real, then ``repeat`` times under new keys; medians of the rescans.
    ``checksum``: upload with a SHA-256 checksum the store verifies (the path without download)."""
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
