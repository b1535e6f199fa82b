"""The public abuse-report API: locate, dedupe, rate limit, raise or create the item, status by secret."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from piiscan.api.ratelimit import TokenBucket
from piiscan.store.db import Database
from piiscan.store.models import ReviewItem, Scan

H = dict[str, dict[str, str]]


@pytest.fixture(autouse=True)
def _fresh_limiter(api: TestClient) -> Iterator[None]:
    api.app.state.report_limiter.reset()  # type: ignore[attr-defined]
    yield
    api.app.state.report_limiter.reset()  # type: ignore[attr-defined]


def _report(client: TestClient, **body: Any) -> Any:
    body.setdefault("category", "third_party_privacy")
    body.setdefault("description", "This shows my address.")
    return client.post("/v1/reports", json=body)


def _key_of(db: Database, scan_id: str) -> str:
    with db.session() as session:
        scan = session.get(Scan, scan_id)
        assert scan is not None
        return scan.upload.object_key


def test_report_raises_the_item_and_status_is_readable_with_the_secret(
    api: TestClient,
    db: Database,
    flagged_scan: Callable[..., str],
    item_of: Callable[[str], str | None],
    role_headers: H,
    no_raw: Callable[..., None],
) -> None:
    scan_id = flagged_scan()
    key = _key_of(db, scan_id)
    made = _report(api, url=f"s3://uploads/{key}", contact="reporter@example.org")
    assert made.status_code == 201, made.text
    doc = made.json()
    assert doc["duplicate"] is False and doc["secret"] and doc["status_url"].endswith(doc["report_id"])
    with db.session() as session:
        item = session.get(ReviewItem, item_of(scan_id))
        assert item is not None and item.priority == 1
    # the same client again: the same report, no secret, the item is not raised twice
    again = _report(api, bucket="uploads", key=key, category="abusive")
    assert again.status_code == 200 and again.json()["report_id"] == doc["report_id"]
    assert again.json()["duplicate"] is True and "secret" not in again.json()
    # another client: a report of its own
    other = TestClient(api.app, client=("203.0.113.9", 40000))
    third = _report(other, url=f"https://cdn.example.com/uploads/{key}", category="illegal")
    assert third.status_code == 201 and third.json()["report_id"] != doc["report_id"]
    with db.session() as session:
        item = session.get(ReviewItem, item_of(scan_id))
        assert item is not None and item.priority == 2
    status_url = f"/v1/reports/{doc['report_id']}"
    assert api.get(status_url).status_code == 404
    assert api.get(status_url, headers={"X-Report-Secret": "guess"}).status_code == 404
    status = api.get(status_url, headers={"X-Report-Secret": doc["secret"]})
    assert status.status_code == 200
    assert status.json()["status"] == "received" and status.json()["outcome"] is None
    no_raw(made.text, again.text, third.text, status.text)
    detail = api.get(f"/v1/review/items/{item_of(scan_id)}", headers=role_headers["reviewer"]).json()
    assert [(r["category"], r["description"]) for r in detail["abuse_reports"]] == [
        ("third_party_privacy", "This shows my address."),
        ("illegal", "This shows my address."),
    ]
    assert "reporter@example.org" not in str(detail)  # the reporter's contact is not shown to reviewers
    # a reviewer reports the upload: the reporter sees it resolved with action taken, nothing more
    ada = role_headers["reviewer"]
    item_id = item_of(scan_id)
    api.post(f"/v1/review/items/{item_id}/claim", headers=ada)
    api.post(f"/v1/review/items/{item_id}/decision", headers=ada, json={"decision": "report", "reason": "doxxing"})
    status = api.get(status_url, headers={"X-Report-Secret": doc["secret"]}).json()
    assert (status["status"], status["outcome"]) == ("resolved", "action_taken")
    assert set(status) == {"report_id", "category", "status", "outcome", "received_at"}


def test_report_creates_an_item_for_a_clean_upload_and_reopens_an_approved_one(
    api: TestClient,
    db: Database,
    flagged_scan: Callable[..., str],
    item_of: Callable[[str], str | None],
    role_headers: H,
) -> None:
    clean = flagged_scan(verdict="clean", severity="none", entities=())
    assert item_of(clean) is None
    assert _report(api, bucket="uploads", key=_key_of(db, clean)).status_code == 201
    created = item_of(clean)
    assert created is not None
    with db.session() as session:
        item = session.get(ReviewItem, created)
        assert item is not None and (item.status, item.priority, item.verdict) == ("pending", 1, "clean")

    approved = flagged_scan()
    item_id = item_of(approved)
    ada = role_headers["reviewer"]
    api.post(f"/v1/review/items/{item_id}/claim", headers=ada)
    api.post(f"/v1/review/items/{item_id}/decision", headers=ada, json={"decision": "approve", "reason": "fine"})
    assert _report(api, bucket="uploads", key=_key_of(db, approved), category="abusive").status_code == 201
    with db.session() as session:
        item = session.get(ReviewItem, item_id)
        assert item is not None and (item.status, item.priority) == ("pending", 1)
    audit = api.get("/v1/admin/audit", headers=role_headers["admin"], params={"target_id": item_id}).json()
    assert audit["entries"][0]["action"] == "reopen" and audit["entries"][0]["actor"] == "abuse-report"


def test_report_errors_and_rate_limit(api: TestClient, db: Database, flagged_scan: Callable[..., str]) -> None:
    assert _report(api, bucket="uploads", key=f"u/{uuid.uuid4().hex}/nothing.png").status_code == 404
    assert _report(api, url="ftp://uploads/x").status_code == 400
    assert _report(api, description="no location").status_code == 422
    assert _report(api, bucket="uploads", key="k", category="spam").status_code == 422
    limiter = api.app.state.report_limiter  # type: ignore[attr-defined]
    api.app.state.report_limiter = TokenBucket(2, 1 / 3600)  # type: ignore[attr-defined]
    try:
        key = _key_of(db, flagged_scan())
        assert _report(api, bucket="uploads", key=key).status_code == 201
        assert _report(api, bucket="uploads", key=key).status_code == 200
        limited = _report(api, bucket="uploads", key=key)
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
        other = TestClient(api.app, client=("198.51.100.77", 40000))
        assert _report(other, bucket="uploads", key=key).status_code == 201  # per client address
    finally:
        api.app.state.report_limiter = limiter  # type: ignore[attr-defined]


def test_token_bucket_refills() -> None:
    now = [0.0]
    bucket = TokenBucket(2, 0.5, clock=lambda: now[0])
    assert [bucket.take("a"), bucket.take("a")] == [0.0, 0.0]
    assert bucket.take("a") == pytest.approx(2.0)
    now[0] = 2.0
    assert bucket.take("a") == 0.0 and bucket.take("b") == 0.0


def test_report_on_a_failed_scan_queues_it_again(
    api: TestClient, db: Database, flagged_scan: Callable[..., str], item_of: Callable[[str], str | None]
) -> None:
    from piiscan.store import repo

    class Recording:
        def __init__(self) -> None:
            self.scans: list[str] = []

        def scan(self, scan_id: str) -> None:
            self.scans.append(scan_id)

        def deliver(self, delivery_id: str, countdown: float = 0) -> None:
            pass

    scan_id = flagged_scan()
    with db.session() as session:
        scan = session.get(Scan, scan_id)
        assert scan is not None
        scan.status = "running"
        session.flush()
        repo.fail_scan(session, scan_id, "storage_unavailable", "the store was away")
    services = api.app.state.services  # type: ignore[attr-defined]
    saved, services.dispatcher = services.dispatcher, Recording()
    try:
        assert _report(api, bucket="uploads", key=_key_of(db, scan_id), category="illegal").status_code == 201
        assert services.dispatcher.scans == [scan_id]
    finally:
        services.dispatcher = saved
    with db.session() as session:
        scan = session.get(Scan, scan_id)
        assert scan is not None and (scan.status, scan.failure_code) == ("queued", None)
