"""Reuse of identical bytes on the store's server-verified SHA-256, without a download.

Real moto S3 server on loopback, real PostgreSQL schema of the run, the real scanner; the
job runs in-process so the downloads can be counted (rows are made directly, not through
the hook, so no Celery worker of the run can pick them up first).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from piiscan.perf.rescan import RecordingDispatcher
from piiscan.scanner.pipeline import Scanner
from piiscan.settings import Settings
from piiscan.storage import Downloaded, S3Store, VersionMismatchError
from piiscan.storage.s3 import full_object_sha256
from piiscan.store import repo
from piiscan.store.db import Database
from piiscan.store.models import ReviewItem, Scan
from piiscan.workers import jobs
from piiscan.workers.services import Services

DATA = b"Contact Clara Jensen at clara.jensen@example.com or (217) 555-0147.\n"


class CountingStore(S3Store):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.downloads = 0

    @contextlib.contextmanager
    def download(
        self, bucket: str, key: str, *, version_id: str | None, etag: str | None, max_bytes: int
    ) -> Iterator[Downloaded]:
        self.downloads += 1
        with super().download(bucket, key, version_id=version_id, etag=etag, max_bytes=max_bytes) as d:
            yield d


@pytest.fixture()
def services(service_settings: Settings, db: Database, s3_endpoint: str, s3: Any, scanner: Scanner) -> Services:
    store = CountingStore(
        service_settings.buckets, endpoint_url=s3_endpoint, download_dir=service_settings.download_dir
    )
    out = Services(settings=service_settings, db=db, store=store, dispatcher=RecordingDispatcher())
    out.use_scanner(scanner)
    return out


def new_scan(services: Services, s3: Any, key: str, data: bytes, checksum: bool) -> str:
    extra = {"ChecksumAlgorithm": "SHA256"} if checksum else {}
    put = s3.put_object(Bucket="plain", Key=key, Body=data, **extra)
    scan, created = repo.request_scan(
        services.db,
        repo.NewUpload(
            tenant="acme",
            bucket="plain",
            key=key,
            version=f"e:{put['ETag'].strip(chr(34))}",
            version_id=None,
            etag=put["ETag"].strip('"'),
            size=len(data),
            origin="api",
        ),
    )
    assert created
    return scan.id


def row(db: Database, scan_id: str) -> tuple[str, str | None, str | None]:
    with db.session() as session:
        scan = session.get(Scan, scan_id)
        assert scan is not None
        return scan.status, scan.reused_from, scan.sha256


def evidence(db: Database, scan_id: str) -> tuple[list[tuple[str, str | None, str | None]], list[str], str | None]:
    """The scan's finding rows (type, masked form, keyed hash), its verdict history and its review item's types."""
    with db.session() as session:
        scan = session.get(Scan, scan_id)
        assert scan is not None
        item = session.scalars(select(ReviewItem).where(ReviewItem.scan_id == scan_id)).first()
        return (
            [(f.entity_type, f.masked, f.value_hash) for f in scan.findings],
            [v.verdict for v in scan.verdicts],
            item.entity_types if item else None,
        )


def test_the_store_checksum_is_read_only_when_it_covers_the_whole_object(
    s3_endpoint: str, s3: Any, service_settings: Settings, unique_key: Callable[[str], str]
) -> None:
    store = S3Store(service_settings.buckets, endpoint_url=s3_endpoint)
    key = unique_key("checksum.txt")
    s3.put_object(Bucket="plain", Key=key, Body=DATA, ChecksumAlgorithm="SHA256")
    assert store.stat("plain", key).sha256 == hashlib.sha256(DATA).hexdigest()
    plain_key = unique_key("crc.txt")
    s3.put_object(Bucket="plain", Key=plain_key, Body=DATA)  # the SDK's default: a CRC32, not a SHA-256
    assert store.stat("plain", plain_key).sha256 is None
    value = base64.b64encode(hashlib.sha256(DATA).digest()).decode()
    assert full_object_sha256({"ChecksumSHA256": value}) == hashlib.sha256(DATA).hexdigest()
    assert full_object_sha256({"ChecksumSHA256": value, "ChecksumType": "COMPOSITE"}) is None
    assert full_object_sha256({"ChecksumSHA256": value + "-3"}) is None
    assert full_object_sha256({"ChecksumSHA256": "not base64!"}) is None


def test_same_bytes_with_a_store_checksum_reuse_without_download(
    services: Services, s3: Any, unique_key: Callable[[str], str]
) -> None:
    store = services.store
    assert isinstance(store, CountingStore)
    data = DATA + unique_key("salt").encode()  # bytes of this test only
    first = new_scan(services, s3, unique_key("first.txt"), data, checksum=True)
    assert jobs.run_scan(services, first) == "done"
    assert store.downloads == 1
    status, _, sha = row(services.db, first)
    assert status == "done" and sha == hashlib.sha256(data).hexdigest()

    second = new_scan(services, s3, unique_key("second.txt"), data, checksum=True)
    assert jobs.run_scan(services, second) == "reused"
    assert store.downloads == 1  # no byte read: the store vouched for the hash
    assert row(services.db, second) == ("done", first, sha)
    findings, verdicts, item_types = evidence(services.db, second)
    # the rows are copied, not only the report
    assert findings and (findings, verdicts, item_types) == evidence(services.db, first)
    assert len(verdicts) == 1 and item_types is not None  # the copy is flagged and queued like the original

    # without a SHA-256 from the store the worker still downloads, hashes and reuses
    third = new_scan(services, s3, unique_key("third.txt"), data, checksum=False)
    assert jobs.run_scan(services, third) == "reused"
    assert store.downloads == 2
    assert row(services.db, third) == ("done", first, sha)

    # different bytes under a checksum are scanned, not matched to anything
    other = new_scan(services, s3, unique_key("other.txt"), data + b"!", checksum=True)
    assert jobs.run_scan(services, other) == "done"
    assert row(services.db, other)[1] is None and store.downloads == 3


def test_an_object_replaced_after_the_announcement_is_not_reused_on_its_checksum(
    services: Services, s3: Any, unique_key: Callable[[str], str]
) -> None:
    store = services.store
    assert isinstance(store, CountingStore)
    data = DATA + unique_key("salt").encode()
    first = new_scan(services, s3, unique_key("first.txt"), data, checksum=True)
    assert jobs.run_scan(services, first) == "done"
    key = unique_key("replaced.txt")
    second = new_scan(services, s3, key, b"other bytes", checksum=True)
    s3.put_object(Bucket="plain", Key=key, Body=data, ChecksumAlgorithm="SHA256")  # now equal to the first
    with pytest.raises(VersionMismatchError):  # the task turns it into failed: version_mismatch
        jobs.run_scan(services, second)
    assert row(services.db, second)[1] is None  # the checksum of the new bytes was not trusted
