"""Reuse of identical bytes on the store's server-verified SHA-256, without a download.

Real moto S3 server on loopback, real PostgreSQL schema of the run, the real scanner; the
job runs in-process so the downloads can be counted (rows are made directly, not through
the hook, so no Celery worker of the run can pick them up first).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event, select

from piiscan.api.routers import hook
from piiscan.perf.rescan import RecordingDispatcher
from piiscan.scanner.pipeline import Scanner
from piiscan.settings import Settings
from piiscan.storage import Downloaded, ObjectInfo, S3Store, VersionMismatchError
from piiscan.storage.s3 import full_object_sha256
from piiscan.store import repo, review
from piiscan.store.db import Database
from piiscan.store.models import ReviewItem, Scan
from piiscan.workers import jobs
from piiscan.workers.services import Services

DATA = b"Contact Clara Jensen at clara.jensen@example.com or (217) 555-0147.\n"


class CountingStore(S3Store):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.downloads = 0
        self.heads = 0

    def stat(self, bucket: str, key: str, version_id: str | None = None) -> ObjectInfo:
        self.heads += 1
        return super().stat(bucket, key, version_id)

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


def new_scan(services: Services, s3: Any, key: str, data: bytes, checksum: bool, **fields: Any) -> str:
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
            **fields,
        ),
    )
    assert created
    return scan.id


def hooked_scan(services: Services, s3: Any, key: str, data: bytes, checksum: bool) -> str:
    """A scan whose upload row is the hook's: made from the store's HEAD (the SHA-256 included)."""
    extra = {"ChecksumAlgorithm": "SHA256"} if checksum else {}
    s3.put_object(Bucket="plain", Key=key, Body=data, **extra)
    info = services.store.stat("plain", key)
    new = hook._new_upload("acme", "plain", key, info, origin="api", callback_url="http://127.0.0.1:9/hooks")
    scan, created = repo.request_scan(services.db, new)
    assert created
    return scan.id


@contextlib.contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL statements this thread sends while the block runs, as ``VERB table`` (a statement of
    data-modifying CTEs as ``WITH`` and the list of its writes)."""
    sent: list[str] = []
    thread = threading.get_ident()

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if threading.get_ident() != thread:
            return
        words = statement.split()
        verb = words[0].upper()
        if verb == "WITH":
            writes = re.findall(r"\((UPDATE|INSERT INTO) (\w+)", statement)
            sent.append("WITH " + ", ".join(f"{v.split()[0]} {table}" for v, table in writes))
        elif verb == "SELECT":
            sent.append(f"SELECT {words[len(words) - words[::-1].index('FROM')]}")  # the outer FROM
        elif verb == "INSERT":
            sent.append(f"INSERT {words[2]}")
        else:
            sent.append(f"{verb} {words[1]}")

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


REUSE = [
    "SELECT scans",  # the scan and its upload, locked
    "SELECT scans",  # the earlier result
    # one statement writes the reuse (and turns the commit wait off): the attempt and the result in one
    # UPDATE, the finding rows copied inside the database, the verdict, the review item (flagged:
    # created, or refilled if an abuse report made it) and the webhook
    "WITH UPDATE scans, INSERT findings, INSERT verdicts, INSERT review_items, INSERT webhook_deliveries",
]


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


def test_a_rescan_of_a_hooked_upload_asks_the_store_nothing_and_sends_three_statements(
    services: Services, s3: Any, unique_key: Callable[[str], str]
) -> None:
    """The hook's HEAD read the store's SHA-256 with the ETag: the worker's reuse makes no request to
    the store, and its one transaction is a fixed list of statements (no ORM flush, no lazy load)."""
    store = services.store
    assert isinstance(store, CountingStore)
    data = DATA + unique_key("salt").encode()
    first = hooked_scan(services, s3, unique_key("first.txt"), data, checksum=True)
    assert jobs.run_scan(services, first) == "done"
    second = hooked_scan(services, s3, unique_key("second.txt"), data, checksum=True)
    with services.db.session() as session:
        upload = session.get(Scan, second).upload  # type: ignore[union-attr]
        assert upload.sha256 == hashlib.sha256(data).hexdigest()  # the store's, from the hook's HEAD
    heads, downloads, sent_before = store.heads, store.downloads, len(services.dispatcher.sent)  # type: ignore[attr-defined]
    with statements(services.db) as sent:
        assert jobs.run_scan(services, second) == "reused"
    assert (store.heads, store.downloads) == (heads, downloads)  # no request to the store at all
    assert sent == REUSE
    assert len(services.dispatcher.sent) == sent_before + 1  # type: ignore[attr-defined]  # one webhook
    assert row(services.db, second) == ("done", first, hashlib.sha256(data).hexdigest())
    findings, verdicts, item_types = evidence(services.db, second)
    assert findings and (findings, verdicts, item_types) == evidence(services.db, first)
    with services.db.session() as session:
        scan = session.get(Scan, second)
        assert scan is not None and scan.attempts == 1 and scan.worker_losses == 0 and len(scan.deliveries) == 1
        assert scan.report is not None and scan.report["reused_from"] == first

    # a row without the hook's SHA-256 (from before the column) asks the store once: one HEAD more
    third = new_scan(services, s3, unique_key("third.txt"), data, checksum=True)
    with statements(services.db) as sent:
        assert jobs.run_scan(services, third) == "reused"
    assert (store.heads, store.downloads) == (heads + 1, downloads)
    assert sent == [*REUSE[:2], REUSE[2].removesuffix(", INSERT webhook_deliveries")]  # no callback URL


UPLOADER = {
    "uploader_id": "u-7",
    "uploader_name": "Bob Stone",
    "uploader_emails": ("bob.stone@example.org",),
    "uploader_phones": ("+1 217 555 0199",),
    "uploader_ip": "192.0.2.9",
    "uploader_user_agent": "test/1",
}


def kept(db: Database, scan_id: str) -> tuple[Any, ...]:
    """What a finished scan keeps of its uploader and shows in its review item."""
    with db.session() as session:
        scan = session.get(Scan, scan_id)
        assert scan is not None
        u = scan.upload
        item = session.scalars(select(ReviewItem).where(ReviewItem.scan_id == scan_id)).first()
        shown = (item.status, item.verdict, item.severity, item.severity_rank, item.entity_types) if item else None
        identity = (u.uploader_name, u.uploader_emails, u.uploader_phones, u.uploader_keys)
        return identity, (u.uploader_ip, u.uploader_user_agent), shown


@pytest.mark.parametrize("flagged", [True, False])
def test_a_reuse_keeps_and_erases_what_the_scan_it_copies_did(
    services: Services, s3: Any, unique_key: Callable[[str], str], flagged: bool
) -> None:
    """The keyed identity copied, the raw identity erased, the address kept only for a review item."""
    data = (DATA if flagged else b"Nothing personal in here.\n") + unique_key("salt").encode()
    first = new_scan(services, s3, unique_key("first.txt"), data, checksum=True, **UPLOADER)
    assert jobs.run_scan(services, first) == "done"
    second = new_scan(services, s3, unique_key("second.txt"), data, checksum=True, **UPLOADER)
    assert jobs.run_scan(services, second) == "reused"
    assert row(services.db, second)[1] == first
    identity, address, shown = kept(services.db, second)
    assert (identity, address, shown) == kept(services.db, first)
    assert identity[:3] == (None, None, None) and identity[3] and identity[3]["hashes"]
    assert (address == (None, None)) is (shown is None) is (not flagged)


def test_a_reuse_fills_the_item_an_abuse_report_made_while_it_waited(
    services: Services, s3: Any, unique_key: Callable[[str], str]
) -> None:
    data = b"Nothing personal in here.\n" + unique_key("salt").encode()
    first = new_scan(services, s3, unique_key("first.txt"), data, checksum=True, **UPLOADER)
    assert jobs.run_scan(services, first) == "done"
    second = new_scan(services, s3, unique_key("second.txt"), data, checksum=True, **UPLOADER)
    with services.db.session() as session:
        scan = session.get(Scan, second)
        assert scan is not None
        review.file_report(session, "report-secret", scan.upload, "198.51.100.1", "abusive", "why", None)
    assert jobs.run_scan(services, second) == "reused"
    _, address, shown = kept(services.db, second)
    assert shown is not None and shown[:2] == ("pending", "clean")
    assert address == ("192.0.2.9", "test/1")  # an item can lead to a disclosure: kept, as after a scan


def test_the_hook_records_only_the_stores_full_object_sha256(
    services: Services, s3: Any, unique_key: Callable[[str], str]
) -> None:
    plain = hooked_scan(services, s3, unique_key("crc.txt"), DATA, checksum=False)  # the SDK's CRC32
    with services.db.session() as session:
        scan = session.get(Scan, plain)
        assert scan is not None and scan.upload.sha256 is None


def test_a_hooked_upload_replaced_after_the_announcement_gets_the_verdict_of_the_announced_version(
    services: Services, s3: Any, unique_key: Callable[[str], str]
) -> None:
    """The hook read the SHA-256 of the announced version (ETag) from the store: a reuse needs none
    of its bytes, so the verdict is that version's even when the key was overwritten since (the
    newer content is announced, and scanned, on its own). Without a reuse the download, pinned to
    the announced ETag, fails ``version_mismatch`` as before."""
    data = DATA + unique_key("salt").encode()
    first = new_scan(services, s3, unique_key("first.txt"), data, checksum=True)
    assert jobs.run_scan(services, first) == "done"
    key = unique_key("replaced.txt")
    second = hooked_scan(services, s3, key, data, checksum=True)
    s3.put_object(Bucket="plain", Key=key, Body=b"other bytes", ChecksumAlgorithm="SHA256")
    assert jobs.run_scan(services, second) == "reused"
    status, reused_from, sha = row(services.db, second)
    assert (status, reused_from, sha) == ("done", first, hashlib.sha256(data).hexdigest())
    unseen_key = unique_key("unseen.txt")
    unseen = hooked_scan(services, s3, unseen_key, data + b"?", checksum=True)
    s3.put_object(Bucket="plain", Key=unseen_key, Body=b"other bytes")
    with pytest.raises(VersionMismatchError):
        jobs.run_scan(services, unseen)


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
