"""Hook hardening: callback destinations, request body limits, webhook replay protection."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from piiscan.settings import Settings
from piiscan.store import repo
from piiscan.store.db import Database
from piiscan.store.models import Upload, WebhookDelivery
from piiscan.workers import jobs, webhooks
from piiscan.workers.services import Services
from piiscan.workers.webhooks import DestinationNotAllowedError, ReplayGuard, check_destination, sign

SECRET = "a-long-random-webhook-secret"


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://[fd00:ec2::254]/",
        "http://10.0.0.5/hook",
        "http://192.168.1.1/hook",
        "http://172.16.0.1/hook",
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",  # resolves to loopback
        "http://[::1]/hook",
        "http://[::ffff:10.0.0.1]/hook",  # IPv4-mapped
        "http://0.0.0.0/hook",
        "http://100.64.0.1/hook",  # carrier-grade NAT
        "http://224.0.0.1/hook",
        "ftp://example.com/hook",
        "http://user:pw@example.com/hook",
    ],
)
def test_default_policy_refuses_non_public_destinations(url: str) -> None:
    with pytest.raises(DestinationNotAllowedError):
        check_destination(url)


def test_allowed_networks_and_hosts_open_exactly_what_they_name() -> None:
    check_destination("http://10.1.2.3/hook", ["10.1.0.0/16"])
    with pytest.raises(DestinationNotAllowedError):
        check_destination("http://10.2.0.1/hook", ["10.1.0.0/16"])
    # metadata stays refused even inside an allowed network
    with pytest.raises(DestinationNotAllowedError, match="metadata"):
        check_destination("http://169.254.169.254/", ["169.254.0.0/16"])
    check_destination("http://receiver.internal/hook", [], ["receiver.internal"])
    check_destination("http://93.184.215.14/hook")  # a public address


def test_names_are_judged_by_what_they_resolve_to(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {"public.example": "93.184.215.14", "rebound.example": "169.254.169.254"}

    def fake_getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        if host not in answers:
            raise socket.gaierror("no such name")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]

    monkeypatch.setattr(webhooks.socket, "getaddrinfo", fake_getaddrinfo)
    check_destination("https://public.example/hook")
    with pytest.raises(DestinationNotAllowedError, match="metadata"):
        check_destination("https://rebound.example/hook")
    with pytest.raises(DestinationNotAllowedError, match="does not resolve"):
        check_destination("https://nowhere.example/hook")


def test_settings_refuse_a_malformed_network() -> None:
    with pytest.raises(ValueError, match="not-a-network"):
        Settings(callback_allowed_networks=["not-a-network"])


def test_hook_refuses_a_callback_to_a_disallowed_network(
    api: TestClient, auth: dict[str, str], s3: Any, db: Database, unique_key: Callable[[str], str]
) -> None:
    key = unique_key("cb.txt")
    s3.put_object(Bucket="plain", Key=key, Body=b"hello")
    for url in ("http://169.254.169.254/latest/meta-data/", "http://10.0.0.5/hook"):
        response = api.post("/v1/hook/scans", json={"bucket": "plain", "key": key, "callback_url": url}, headers=auth)
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "callback_not_allowed"
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Upload).where(Upload.object_key == key)) == 0


def test_hook_cannot_reach_a_bucket_outside_the_allow_list(api: TestClient, auth: dict[str, str], s3: Any) -> None:
    s3.put_object(Bucket="not-allowed", Key="secret.txt", Body=b"x")
    for body in ({"bucket": "not-allowed", "key": "secret.txt"}, {"bucket": "uploads/../not-allowed", "key": "x"}):
        response = api.post("/v1/hook/scans", json=body, headers=auth)
        assert response.status_code == 404 and response.json()["code"] == "unknown_bucket"


def test_delivery_checks_the_destination_again(
    api: TestClient, db: Database, service_settings: Settings, flagged_scan: Callable[..., str]
) -> None:
    """A callback accepted earlier (or configured) that now points at a forbidden address is not called."""
    scan_id = flagged_scan()
    with db.session() as session:
        from piiscan.store.models import Scan

        scan = session.get(Scan, scan_id)
        assert scan is not None
        delivery_id = repo.add_delivery(session, scan, "scan.completed", "http://169.254.169.254/hook", "{}").id
    services: Services = api.app.state.services  # type: ignore[attr-defined]
    assert jobs.deliver(services, delivery_id) == ("failed", 1)
    with db.session() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        assert delivery is not None and delivery.status == "failed"
        assert "not sent" in (delivery.last_error or "") and delivery.last_status_code is None


def test_request_body_over_the_limit_is_413(api: TestClient, auth: dict[str, str], service_settings: Settings) -> None:
    limit = service_settings.max_request_bytes
    big = b'{"Records": [' + b" " * limit + b"]}"
    declared = api.post("/v1/hook/s3-events", content=big, headers={**auth, "Content-Type": "application/json"})
    assert declared.status_code == 413 and declared.json()["code"] == "request_too_large"

    def chunks() -> Any:  # no Content-Length: counted while it streams
        yield b'{"Records": ['
        for _ in range(limit // 65536 + 2):
            yield b" " * 65536
        yield b"]}"

    streamed = api.post("/v1/hook/s3-events", content=chunks(), headers={**auth, "Content-Type": "application/json"})
    assert streamed.status_code == 413 and streamed.json()["code"] == "request_too_large"
    anonymous = api.post("/v1/reports", content=big, headers={"Content-Type": "application/json"})
    assert anonymous.status_code == 413
    small = api.post("/v1/hook/s3-events", json={"Records": []}, headers=auth)
    assert small.status_code == 400  # under the limit: read and judged as usual


def test_replay_guard_accepts_a_signed_request_once() -> None:
    body = b'{"event":"scan.completed","scan_id":"abc"}'
    guard = ReplayGuard(SECRET, tolerance_s=300)
    header = sign(SECRET, body, timestamp=1_700_000_000)
    assert guard.accept(header, body, now=1_700_000_010)
    assert not guard.accept(header, body, now=1_700_000_020)  # the same request again: a replay
    assert not guard.accept(header, body + b" ", now=1_700_000_020)  # tampered
    assert not guard.accept(sign(SECRET, body, timestamp=1_699_999_000), body, now=1_700_000_020)  # stale
    assert not guard.accept(sign(SECRET, body, timestamp=1_700_001_000), body, now=1_700_000_020)  # from the future
    assert guard.accept(sign(SECRET, body, timestamp=1_700_000_015), body, now=1_700_000_020)  # a new delivery
    # memory is bounded: signatures older than the window are forgotten (they would fail verify anyway)
    guard.accept(sign(SECRET, body, timestamp=1_700_000_900), body, now=1_700_000_900)
    assert len(guard._seen) == 1


def test_verify_compares_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[str, str]] = []
    real = webhooks.hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(webhooks.hmac, "compare_digest", spy)
    header = sign(SECRET, b"{}", timestamp=1_700_000_000)
    assert webhooks.verify(SECRET, header, b"{}", now=1_700_000_000)
    assert compared and compared[0][0] == header.split("v1=")[1]


def test_a_callback_name_that_does_not_resolve_now_is_retried_not_refused(
    api: TestClient, db: Database, flagged_scan: Callable[..., str]
) -> None:
    scan_id = flagged_scan()
    with db.session() as session:
        from piiscan.store.models import Scan

        scan = session.get(Scan, scan_id)
        assert scan is not None
        delivery_id = repo.add_delivery(session, scan, "scan.completed", "https://callback.invalid/hook", "{}").id
    services: Services = api.app.state.services  # type: ignore[attr-defined]
    assert jobs.deliver(services, delivery_id) == ("retry", 1)  # a DNS failure may pass: tried again later
    with db.session() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        assert delivery is not None and delivery.status == "pending"
