"""The task code's failure paths, with fakes for the store and the dispatcher (unit tests).

The tasks run through Celery's ``apply`` (the embedded mode's way), retries included; the
database is SQLite in a temp folder; the scanner is the real one shared by the test session.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from piiscan.scanner.pipeline import Scanner
from piiscan.settings import Settings
from piiscan.storage import Downloaded, LocalStore, ObjectInfo, StorageUnavailableError
from piiscan.store import repo
from piiscan.store.db import Database
from piiscan.store.models import Scan, WebhookDelivery, utcnow
from piiscan.workers import jobs, tasks
from piiscan.workers.services import Services, install_services


class RecordingDispatcher:
    def __init__(self) -> None:
        self.scans: list[str] = []
        self.deliveries: list[str] = []

    def scan(self, scan_id: str) -> None:
        self.scans.append(scan_id)

    def deliver(self, delivery_id: str, countdown: float = 0) -> None:
        self.deliveries.append(delivery_id)


class FlakyStore(LocalStore):
    """A local store whose downloads fail ``failures`` times with a transient error first."""

    def __init__(self, *args: Any, failures: int = 0, crash: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.failures = failures
        self.crash = crash
        self.calls = 0

    @contextlib.contextmanager
    def download(
        self, bucket: str, key: str, *, version_id: str | None, etag: str | None, max_bytes: int
    ) -> Iterator[Downloaded]:
        self.calls += 1
        if self.crash:
            raise ZeroDivisionError("a bug")
        if self.calls <= self.failures:
            raise StorageUnavailableError("the object store is unreachable (EndpointConnectionError)")
        with super().download(bucket, key, version_id=version_id, etag=etag, max_bytes=max_bytes) as d:
            yield d


@pytest.fixture()
def env(tmp_path: Path, scanner: Scanner) -> Iterator[tuple[Services, FlakyStore, RecordingDispatcher]]:
    settings = Settings(
        embedded=True,
        database_url=f"sqlite:///{tmp_path / 'piiscan.db'}",
        storage_backend="local",
        local_storage_dir=str(tmp_path / "buckets"),
        buckets=["b"],
        webhook_secret=SecretStr("unit-test-webhook-secret"),
        task_max_retries=2,
        task_retry_backoff_s=0.01,
        webhook_max_attempts=2,
        webhook_timeout_s=1,
    )
    db = Database.from_settings(settings)
    db.upgrade()
    store = FlakyStore(settings.local_storage_dir, settings.buckets)
    dispatcher = RecordingDispatcher()
    services = Services(settings=settings, db=db, store=store, dispatcher=dispatcher)
    services.use_scanner(scanner)
    install_services(services)
    yield services, store, dispatcher
    install_services(None)
    db.dispose()


def new_scan(services: Services, store: LocalStore, data: bytes, key: str = "k.txt", callback: bool = True) -> str:
    info: ObjectInfo = store.put("b", key, data)
    scan, created = repo.request_scan(
        services.db,
        repo.NewUpload(
            tenant="t",
            bucket="b",
            key=key,
            version=info.version,
            version_id=info.version_id,
            etag=info.etag,
            size=info.size,
            origin="api",
            uploader_name="Clara Jensen",
            callback_url="http://127.0.0.1:9/hook" if callback else None,
        ),
    )
    assert created
    return scan.id


def scan_row(services: Services, scan_id: str) -> Scan:
    with services.db.session() as session:
        scan = session.get(Scan, scan_id)
        assert scan is not None
        _ = scan.upload.uploader_name
        return scan


def test_transient_errors_are_retried_then_succeed(env: tuple[Services, FlakyStore, RecordingDispatcher]) -> None:
    services, store, dispatcher = env
    store.failures = 2
    scan_id = new_scan(services, store, b"Write to clara.jensen@example.com")
    tasks.scan.apply(args=(scan_id,))
    scan = scan_row(services, scan_id)
    assert store.calls == 3 and scan.status == "done" and scan.attempts == 3 and scan.worker_losses == 0
    assert scan.verdict == "own_data"  # the uploader context reached the rules
    assert scan.upload.uploader_name is None  # and was erased afterwards
    assert len(dispatcher.deliveries) == 1


def test_transient_errors_that_persist_end_failed_with_reason(
    env: tuple[Services, FlakyStore, RecordingDispatcher],
) -> None:
    services, store, dispatcher = env
    store.failures = 100
    scan_id = new_scan(services, store, b"hello")
    tasks.scan.apply(args=(scan_id,))
    scan = scan_row(services, scan_id)
    assert store.calls == 3  # the first try and task_max_retries=2 retries
    assert scan.status == "failed" and scan.failure_code == "transient_error"
    assert "unreachable" in (scan.failure_reason or "") and "3 attempts" in (scan.failure_reason or "")
    with services.db.session() as session:
        delivery = session.get(WebhookDelivery, dispatcher.deliveries[0])
        assert delivery is not None and delivery.event == "scan.failed"


def test_a_bug_is_not_retried_and_shows_as_failed(env: tuple[Services, FlakyStore, RecordingDispatcher]) -> None:
    services, store, _ = env
    store.crash = True
    scan_id = new_scan(services, store, b"hello")
    tasks.scan.apply(args=(scan_id,))
    scan = scan_row(services, scan_id)
    assert store.calls == 1 and scan.status == "failed" and scan.failure_code == "internal_error"
    assert "ZeroDivisionError" in (scan.failure_reason or "") and "a bug" not in (scan.failure_reason or "")


def test_a_scan_that_keeps_killing_its_worker_ends_failed(
    env: tuple[Services, FlakyStore, RecordingDispatcher],
) -> None:
    services, store, _ = env
    scan_id = new_scan(services, store, b"hello")
    for _ in range(services.settings.scan_max_attempts):  # each redelivery finds it still running: a lost worker
        with services.db.session() as session:
            repo.start_attempt(session, scan_id)
    tasks.scan.apply(args=(scan_id,))
    scan = scan_row(services, scan_id)
    assert scan.status == "failed" and scan.failure_code == "worker_lost" and store.calls == 0


def test_a_finished_scan_is_not_scanned_again(env: tuple[Services, FlakyStore, RecordingDispatcher]) -> None:
    services, store, dispatcher = env
    scan_id = new_scan(services, store, b"hello", callback=False)
    tasks.scan.apply(args=(scan_id,))
    tasks.scan.apply(args=(scan_id,))  # a redelivered message
    assert store.calls == 1 and scan_row(services, scan_id).attempts == 1 and dispatcher.deliveries == []


def test_webhook_retries_are_recorded_then_fail(env: tuple[Services, FlakyStore, RecordingDispatcher]) -> None:
    services, store, dispatcher = env
    scan_id = new_scan(services, store, b"hello")
    tasks.scan.apply(args=(scan_id,))
    tasks.deliver_webhook.apply(args=(dispatcher.deliveries[0],))  # port 9: nobody listens
    with services.db.session() as session:
        delivery = session.get(WebhookDelivery, dispatcher.deliveries[0])
        assert delivery is not None
        assert (
            delivery.status == "failed"
            and delivery.attempts == 2
            and "could not be reached" in (delivery.last_error or "")
        )


def test_sweeper_resends_lost_work(env: tuple[Services, FlakyStore, RecordingDispatcher]) -> None:
    services, store, dispatcher = env
    scan_id = new_scan(services, store, b"hello")
    with services.db.session() as session:
        scan = session.get(Scan, scan_id)
        assert scan is not None
        scan.updated_at = utcnow() - timedelta(seconds=services.settings.stale_scan_s + 5)
    assert jobs.sweep(services) == (1, 0)
    assert dispatcher.scans == [scan_id]
    assert jobs.sweep(services) == (0, 0)  # touched: not re-sent again at once


def test_context_key_is_keyed_and_normalised() -> None:
    from piiscan.rules.context import ScanContext, Uploader

    a = ScanContext(Uploader(name="Clara  Jensen", emails=("Clara@Example.com",)), "private", "t")
    b = ScanContext(Uploader(name="clara jensen", emails=("clara@example.com ",)), "private", "t")
    c = ScanContext(Uploader(name="clara jensen", emails=("clara@example.com",)), "public", "t")
    assert jobs.context_key(a, "k1") == jobs.context_key(b, "k1") != jobs.context_key(c, "k1")
    assert jobs.context_key(a, "k1") != jobs.context_key(a, "k2")
    assert "clara" not in jobs.context_key(a, "k1")


def test_same_bytes_reuse_the_result_until_the_rule_pack_changes(
    env: tuple[Services, FlakyStore, RecordingDispatcher],
) -> None:
    services, store, _ = env
    data = b"Call Maria Weber on +49 30 12345678"
    first = new_scan(services, store, data, key="first.txt", callback=False)
    tasks.scan.apply(args=(first,))
    second = new_scan(services, store, data, key="second.txt", callback=False)
    tasks.scan.apply(args=(second,))
    assert scan_row(services, second).reused_from == first and store.calls == 2
    with services.db.session() as session:  # as if both were made by an older rule pack
        for scan_id in (first, second):
            scan = session.get(Scan, scan_id)
            assert scan is not None
            scan.rule_pack_version = "older-pack"
    third = new_scan(services, store, data, key="third.txt", callback=False)
    tasks.scan.apply(args=(third,))
    row = scan_row(services, third)
    assert row.reused_from is None and row.status == "done" and row.rule_pack_version != "older-pack"


def test_soft_time_limit_ends_the_scan_failed_as_timeout(
    env: tuple[Services, FlakyStore, RecordingDispatcher], monkeypatch: pytest.MonkeyPatch
) -> None:
    from celery.exceptions import SoftTimeLimitExceeded

    from piiscan.scanner import pipeline

    def too_slow(*_: Any, **__: Any) -> Any:
        raise SoftTimeLimitExceeded()

    services, store, _ = env
    monkeypatch.setattr(pipeline.extract_mod, "extract", too_slow)
    scan_id = new_scan(services, store, b"hello", callback=False)
    tasks.scan.apply(args=(scan_id,))
    scan = scan_row(services, scan_id)
    assert scan.status == "failed" and scan.failure_code == "timeout"


def test_the_worker_checks_the_scope_again_and_never_reads_an_object_outside_it(
    env: tuple[Services, FlakyStore, RecordingDispatcher],
) -> None:
    """A scan queued under broader scopes than today's is failed without a download (defence in depth:
    a queued message outlives a change of PIISCAN_TENANT_SCOPES)."""
    services, store, dispatcher = env
    outside = new_scan(services, store, b"Write to someone.else@example.com", key="elsewhere/k.txt")
    inside = new_scan(services, store, b"hello", key="t-own/k.txt")
    services.settings = services.settings.model_copy(update={"tenant_scopes": {"t": ["b/t-own/"]}})
    tasks.scan.apply(args=(outside,))
    failed = scan_row(services, outside)
    assert (failed.status, failed.failure_code) == ("failed", "out_of_scope")
    assert store.calls == 0 and len(dispatcher.deliveries) == 1  # nothing read; the platform is told
    tasks.scan.apply(args=(inside,))
    assert scan_row(services, inside).status == "done" and store.calls == 1
