"""Abuse reports cannot be turned into a rescan amplifier (issue 16, items 5 and 7).

- five reports, each after the previous rescan ended, make one rescan (a cool-down per scan, an injected
  clock), and a report past the cool-down makes the next;
- a report on a poison file (a scan that failed on its input) reaches the queue but sends nothing to a worker;
- a rescan is claimed in the database: one worker at a time, the sweeper does not re-send a running one;
- a spoofed ``X-Forwarded-For`` from an untrusted peer (loopback included) is one client: dedupe and limit hold.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from piiscan.api.ratelimit import TokenBucket
from piiscan.api.serve import uvicorn_config
from piiscan.settings import Settings
from piiscan.store import repo, review
from piiscan.store.db import Database
from piiscan.store.models import AbuseReport, ReviewItem, Scan, Upload, utcnow

BODY = b"Please write to jo.example@example.net about the flat.\n"


class Recording:
    """A dispatcher that only records what it was asked to send."""

    def __init__(self) -> None:
        self.scans: list[str] = []
        self.rescans: list[str] = []

    def scan(self, scan_id: str) -> None:
        self.scans.append(scan_id)

    def rescan(self, scan_id: str) -> None:
        self.rescans.append(scan_id)

    def deliver(self, delivery_id: str, countdown: float = 0) -> None:
        pass


@pytest.fixture(autouse=True)
def _fresh_limiter(api: TestClient) -> Iterator[None]:
    api.app.state.report_limiter.reset()  # type: ignore[attr-defined]
    yield
    api.app.state.report_limiter.reset()  # type: ignore[attr-defined]


@pytest.fixture
def clock(api: TestClient) -> Iterator[list[datetime]]:
    """The API's clock for the cool-down, frozen at the test's start; move it by assigning ``[0]``."""
    now = [utcnow()]
    api.app.state.clock = lambda: now[0]  # type: ignore[attr-defined]
    yield now
    del api.app.state.clock  # type: ignore[attr-defined]


@pytest.fixture
def recording(api: TestClient) -> Iterator[Recording]:
    services = api.app.state.services  # type: ignore[attr-defined]
    saved, services.dispatcher = services.dispatcher, Recording()
    yield services.dispatcher
    services.dispatcher = saved


def _report(client: TestClient, key: str, **headers: str) -> Any:
    body = {"bucket": "uploads", "key": key, "category": "third_party_privacy", "description": "Not theirs."}
    return client.post("/v1/reports", json=body, headers=headers)


def _from(api: TestClient, address: str) -> TestClient:
    return TestClient(api.app, client=(address, 40000))


def _scan(db: Database, scan_id: str) -> Scan:
    with db.session() as session:
        scan = session.get(Scan, scan_id)
        assert scan is not None
        session.expunge(scan)
        return scan


def _key_of(db: Database, scan_id: str) -> str:
    with db.session() as session:
        scan = session.get(Scan, scan_id)
        assert scan is not None
        return scan.upload.object_key


def _priority(db: Database, scan_id: str) -> int:
    with db.session() as session:
        item = session.scalars(select(ReviewItem).where(ReviewItem.scan_id == scan_id)).one()
        return item.priority


def test_five_reports_after_each_rescan_make_one_rescan_until_the_cool_down_ends(
    api: TestClient,
    auth: dict[str, str],
    s3: Any,
    db: Database,
    worker: str,
    service_settings: Settings,
    clock: list[datetime],
    wait: Callable[..., Any],
    unique_key: Callable[[str], str],
) -> None:
    key = unique_key("note.txt")
    put = s3.put_object(Bucket="uploads", Key=key, Body=BODY)
    accepted = api.post("/v1/hook/scans", headers=auth, json={"bucket": "uploads", "key": key})
    assert accepted.status_code == 202, accepted.text
    scan_id = accepted.json()["scan_id"]
    wait(lambda: _scan(db, scan_id).status == "done", "the first scan")
    assert put["VersionId"]

    first = _report(_from(api, "203.0.113.1"), key)
    assert first.status_code == 201, first.text
    wait(lambda: _scan(db, scan_id).rescans == 1, "the priority rescan", timeout=180)
    assert _scan(db, scan_id).rescan_requested_at is None  # the rescan ended
    for n in range(2, 6):  # each report arrives after the previous rescan ended: none starts another
        made = _report(_from(api, f"203.0.113.{n}"), key)
        assert made.status_code == 201, made.text
        scan = _scan(db, scan_id)
        assert (scan.rescan_requested_at, scan.rescans) == (None, 1), f"report {n} asked for a rescan"
    assert _priority(db, scan_id) == 5  # every report still raised the item

    clock[0] = utcnow() + timedelta(seconds=service_settings.report_rescan_cooldown_s + 60)
    assert _report(_from(api, "203.0.113.6"), key).status_code == 201
    wait(lambda: _scan(db, scan_id).rescans == 2, "the rescan after the cool-down", timeout=180)
    assert _priority(db, scan_id) == 6


@pytest.mark.parametrize(
    ("status", "code", "losses"),
    [
        ("failed", "corrupt_file", 0),
        ("failed", "timeout", 0),
        ("failed", "worker_lost", 3),
        ("failed", "storage_unavailable", 3),  # a passing fault, but every attempt is used up
        ("done", "archive_limit", 0),  # the scanner's boundary made it ``verdict: error``
    ],
)
def test_a_report_on_a_poison_file_reaches_the_queue_but_no_worker(
    api: TestClient,
    db: Database,
    flagged_scan: Callable[..., str],
    recording: Recording,
    clock: list[datetime],
    status: str,
    code: str,
    losses: int,
) -> None:
    scan_id = flagged_scan()
    with db.session() as session:
        scan = session.get(Scan, scan_id)
        assert scan is not None
        if status == "failed":
            scan.status = "running"
            session.flush()
            repo.fail_scan(session, scan_id, code, "made-up failure")
        else:
            scan.verdict, scan.severity = "error", "none"
            scan.report = {**(scan.report or {}), "verdict": "error", "error": {"code": code, "message": "x"}}
        scan.worker_losses = losses
    made = _report(api, _key_of(db, scan_id))
    assert made.status_code == 201, made.text
    assert (recording.scans, recording.rescans) == ([], [])
    after = _scan(db, scan_id)
    assert after.status == status and after.rescan_requested_at is None
    assert after.failure_code == (code if status == "failed" else None)
    assert _priority(db, scan_id) == 1  # the flagged item, raised


def test_a_failed_scan_is_queued_again_once_per_cool_down(
    api: TestClient,
    db: Database,
    flagged_scan: Callable[..., str],
    recording: Recording,
    clock: list[datetime],
    service_settings: Settings,
) -> None:
    scan_id = flagged_scan()

    def fail() -> None:
        with db.session() as session:
            # six attempts (the task's retries while the store was away): still a passing fault
            session.execute(update(Scan).where(Scan.id == scan_id).values(status="running", attempts=6))
            repo.fail_scan(session, scan_id, "transient_error", "the store was away")

    fail()
    key = _key_of(db, scan_id)
    assert _report(_from(api, "198.51.100.1"), key).status_code == 201
    assert recording.scans == [scan_id]
    fail()  # it failed again on the same passing fault
    assert _report(_from(api, "198.51.100.2"), key).status_code == 201
    assert recording.scans == [scan_id] and _scan(db, scan_id).status == "failed"
    clock[0] += timedelta(seconds=service_settings.report_rescan_cooldown_s + 1)
    assert _report(_from(api, "198.51.100.3"), key).status_code == 201
    assert recording.scans == [scan_id, scan_id] and _scan(db, scan_id).status == "queued"


def test_concurrent_reports_start_one_rescan(
    db: Database, flagged_scan: Callable[..., str], service_settings: Settings
) -> None:
    scan_id = flagged_scan()
    upload_id = _scan(db, scan_id).upload_id
    barrier = threading.Barrier(6)
    outcomes: list[tuple[bool, bool]] = []
    lock = threading.Lock()

    def report(n: int) -> None:
        barrier.wait()
        with db.session() as session:
            upload = session.get(Upload, upload_id)
            assert upload is not None
            policy = review.RescanPolicy(utcnow(), service_settings.report_rescan_cooldown_s)
            out = review.file_report(session, "k", upload, f"192.0.2.{n}", "abusive", "x", None, policy)
        with lock:
            outcomes.append((out.rescan, out.priority_rescan))

    threads = [threading.Thread(target=report, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 6 and sum(priority for _, priority in outcomes) == 1


def test_a_running_rescan_is_claimed_once_and_not_re_sent_by_the_sweeper(
    db: Database, flagged_scan: Callable[..., str]
) -> None:
    scan_id = flagged_scan()
    asked = utcnow() - timedelta(hours=2)
    with db.session() as session:
        session.execute(update(Scan).where(Scan.id == scan_id).values(rescan_requested_at=asked))
    lease = timedelta(minutes=10)
    barrier = threading.Barrier(4)
    claims: list[bool] = []

    def claim() -> None:
        barrier.wait()
        with db.session() as session:
            claims.append(repo.claim_rescan(session, scan_id, lease))

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claims) == [False, False, False, True]
    with db.session() as session:  # asked two hours ago, but running: not lost
        assert scan_id not in repo.stale_rescans(session, timedelta(minutes=15), lease=lease)
        later = utcnow() + lease + timedelta(seconds=1)  # its worker was killed: the claim lapses
        assert scan_id in repo.stale_rescans(session, timedelta(minutes=15), now=later, lease=lease)
        assert repo.claim_rescan(session, scan_id, lease, now=later)


def test_spoofed_forwarded_for_from_an_untrusted_peer_is_one_client(
    api: TestClient, db: Database, flagged_scan: Callable[..., str], tmp_path: Path
) -> None:
    """Through the server's real uvicorn config: ten addresses in X-Forwarded-For from loopback are one client."""
    scan_id = flagged_scan()
    key = _key_of(db, scan_id)
    config = uvicorn_config(api.app, "127.0.0.1", 8000)
    config.load()
    limiter = api.app.state.report_limiter  # type: ignore[attr-defined]
    api.app.state.report_limiter = TokenBucket(3, 1 / 3600)  # type: ignore[attr-defined]
    try:
        local = TestClient(config.loaded_app, client=("127.0.0.1", 40000))
        codes = [_report(local, key, **{"X-Forwarded-For": f"198.51.100.{i}"}).status_code for i in range(10)]
    finally:
        api.app.state.report_limiter = limiter  # type: ignore[attr-defined]
    assert codes[:3] == [201, 200, 200] and set(codes[3:]) == {429}
    with db.session() as session:
        upload_id = session.get(Scan, scan_id).upload_id  # type: ignore[union-attr]
        count = session.scalar(select(func.count()).select_from(AbuseReport).where(AbuseReport.upload_id == upload_id))
    assert count == 1
    assert _priority(db, scan_id) == 1
