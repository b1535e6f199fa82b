"""Bad requests get a 4xx with a clear message and start no scan (real API, S3 server and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from piiscan.store.db import Database
from piiscan.store.models import Upload


def uploads_for(db: Database, key: str) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Upload).where(Upload.object_key == key)) or 0


@pytest.fixture()
def key(s3: Any, unique_key: Callable[[str], str]) -> str:
    k = unique_key("note.txt")
    s3.put_object(Bucket="plain", Key=k, Body=b"nothing personal here")
    return k


def test_no_token_and_bad_token_are_refused(api: TestClient, key: str) -> None:
    body = {"bucket": "plain", "key": key}
    missing = api.post("/v1/hook/scans", json=body)
    assert missing.status_code == 401 and missing.json()["code"] == "missing_token"
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    bad = api.post("/v1/hook/scans", json=body, headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401 and bad.json()["code"] == "bad_token"
    assert "not valid" in bad.json()["detail"]
    events = api.post("/v1/hook/s3-events", json={"Records": []}, headers={"Authorization": "Bearer nope"})
    assert events.status_code == 401


def test_unknown_bucket(api: TestClient, auth: dict[str, str], s3: Any) -> None:
    s3.put_object(Bucket="not-allowed", Key="x.txt", Body=b"x")
    response = api.post("/v1/hook/scans", json={"bucket": "not-allowed", "key": "x.txt"}, headers=auth)
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_bucket" and "not-allowed" in response.json()["detail"]


def test_missing_object(api: TestClient, auth: dict[str, str], db: Database, unique_key: Callable[[str], str]) -> None:
    k = unique_key("never-uploaded.png")
    response = api.post("/v1/hook/scans", json={"bucket": "uploads", "key": k}, headers=auth)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found" and k in response.json()["detail"]
    assert uploads_for(db, k) == 0


def test_oversized_object(
    api: TestClient, auth: dict[str, str], s3: Any, db: Database, unique_key: Callable[[str], str], make_event: Any
) -> None:
    k = unique_key("huge.bin")
    s3.put_object(Bucket="plain", Key=k, Body=b"\0" * 2_000_001)
    response = api.post("/v1/hook/scans", json={"bucket": "plain", "key": k}, headers=auth)
    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large" and "2000001 bytes" in response.json()["detail"]
    assert api.post("/v1/hook/s3-events", json=make_event("plain", k), headers=auth).status_code == 413
    assert uploads_for(db, k) == 0


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "Records list"),
        (b'{"Records": []}', "Records is missing or empty"),
        (b'{"Records": [{"eventName": "s3:ObjectCreated:Put"}]}', "Records[0].s3 is missing"),
        (
            b'{"Records": [{"eventName": "s3:ObjectCreated:Put", "s3": {"bucket": {"name": "plain"}, "object": {}}}]}',
            "Records[0].s3.object.key is missing",
        ),
        (
            b'{"Records": [{"eventName": "s3:ObjectCreated:Put", "s3": {"bucket": {"name": "plain"},'
            b' "object": {"key": "a", "size": -1}}}]}',
            "size must be a non-negative integer",
        ),
    ],
)
def test_malformed_event(api: TestClient, auth: dict[str, str], body: bytes, fragment: str) -> None:
    response = api.post("/v1/hook/s3-events", content=body, headers={**auth, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_event" and fragment in response.json()["detail"]


def test_other_events_are_ignored_not_refused(api: TestClient, auth: dict[str, str]) -> None:
    removed = {"Records": [{"eventName": "s3:ObjectRemoved:Delete", "s3": {}}]}
    assert api.post("/v1/hook/s3-events", json=removed, headers=auth).json() == {"scans": [], "ignored": 1}
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "plain"}
    assert api.post("/v1/hook/s3-events", json=test_event, headers=auth).json() == {"scans": [], "ignored": 1}


def test_request_validation(api: TestClient, auth: dict[str, str], key: str) -> None:
    assert api.post("/v1/hook/scans", json={"bucket": "plain"}, headers=auth).status_code == 422
    bad_visibility = api.post("/v1/hook/scans", json={"bucket": "plain", "key": key, "visibility": "x"}, headers=auth)
    assert bad_visibility.status_code == 422
    other_tenant = api.post("/v1/hook/scans", json={"bucket": "plain", "key": key, "tenant": "other"}, headers=auth)
    assert other_tenant.status_code == 403 and other_tenant.json()["code"] == "tenant_mismatch"


def test_changed_object_is_a_conflict(api: TestClient, auth: dict[str, str], key: str, make_event: Any) -> None:
    stale = "0123456789abcdef0123456789abcdef"
    response = api.post("/v1/hook/scans", json={"bucket": "plain", "key": key, "etag": stale}, headers=auth)
    assert response.status_code == 409 and response.json()["code"] == "version_mismatch"
    # a late notification of overwritten content is not an error: the newer content has its own
    late = api.post("/v1/hook/s3-events", json=make_event("plain", key, etag=stale), headers=auth)
    assert late.status_code == 202 and late.json() == {"scans": [], "ignored": 1}


def test_scans_are_visible_to_their_tenant_only(
    api: TestClient, auth: dict[str, str], other_auth: dict[str, str], key: str
) -> None:
    accepted = api.post("/v1/hook/scans", json={"bucket": "plain", "key": key}, headers=auth)
    assert accepted.status_code == 202
    scan_id = accepted.json()["scan_id"]
    assert api.get(f"/v1/scans/{scan_id}", headers=auth).status_code == 200
    hidden = api.get(f"/v1/scans/{scan_id}", headers=other_auth)
    assert hidden.status_code == 404 and hidden.json()["code"] == "scan_not_found"
    assert api.get(f"/v1/scans/{scan_id}").status_code == 401


def test_openapi_is_published(api: TestClient) -> None:
    doc = api.get("/openapi.json").json()
    assert {"/v1/hook/scans", "/v1/hook/s3-events", "/v1/scans/{scan_id}"} <= set(doc["paths"])
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert api.get("/healthz").json() == {"status": "ok"}
