"""Reviewer-page sessions (finding 4), keys per purpose, and CSRF on the pages (finding 7a).

The API here runs the single-secret configuration of the shared fixtures (no master key): the attacks
use the webhook secret, which every webhook receiver holds, the way the attack report did."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from piiscan.privacy.keys import EvidenceKeys
from piiscan.scanner.pipeline import Scanner
from piiscan.settings import Grant, Settings, hkdf_sha256
from piiscan.storage import LocalStore
from piiscan.store import repo, retention, review, sessions, subjects
from piiscan.store.db import Database
from piiscan.store.models import AuditEntry, Decision, FindingRow, Principal, ReviewItem, ReviewSession, utcnow
from piiscan.workers import jobs
from piiscan.workers.services import Services

from .pages_helpers import bearer_token, csrf_token

H = dict[str, dict[str, str]]
COOKIE = "piiscan_session"
SAME_SITE = {"Origin": "http://testserver"}
"""What a browser sends with a form of the pages (the TestClient's host is ``testserver``)."""


def _login(api: TestClient, token: str) -> TestClient:
    client = TestClient(api.app)
    answer = client.post("/review/login", data={"token": token}, headers=SAME_SITE, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return client


def _with_cookie(api: TestClient, value: str) -> TestClient:
    client = TestClient(api.app)
    client.cookies.set(COOKIE, value, path="/review")
    return client


def _principal_id(db: Database, settings: Settings, token: str) -> str:
    with db.session() as session:
        principal = review.principal_by_token(session, settings.key_for("token"), token)
        assert principal is not None
        return principal.id


def _item_state(db: Database, item_id: str) -> tuple[str, int, int]:
    """(status, decisions, audit entries) of an item: what a refused POST must leave as it was."""
    with db.session() as session:
        item = session.get(ReviewItem, item_id)
        assert item is not None
        decisions = session.scalar(select(func.count()).select_from(Decision).where(Decision.item_id == item_id))
        audits = session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.target_id == item_id))
        return item.status, int(decisions or 0), int(audits or 0)


def _session_rows(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(ReviewSession)) or 0)


@pytest.fixture
def item_id(flagged_scan: Callable[..., str], item_of: Callable[[str], str | None]) -> str:
    found = item_of(flagged_scan(entities=("PERSON",)))
    assert found is not None
    return found


# -- forged, logged-out and revoked sessions --------------------------------------------------------


def test_a_cookie_forged_with_the_webhook_secret_in_the_old_format_is_refused(
    api: TestClient, db: Database, service_settings: Settings, role_headers: H, item_id: str
) -> None:
    """The attack of finding 4: principal id, expiry 99999999999, HMAC under the webhook secret."""
    secret = service_settings.webhook_secret.get_secret_value()
    principal_id = _principal_id(db, service_settings, bearer_token(role_headers["reviewer"]))
    value = f"{principal_id}.99999999999"
    forged = _with_cookie(api, f"{value}.{review.keyed_hash(secret, 'session', value)}")
    assert forged.get("/review", follow_redirects=False).headers["location"] == "/review/login"
    assert forged.get(f"/review/items/{item_id}", follow_redirects=False).status_code == 303
    before = _item_state(db, item_id)
    answer = forged.post(
        f"/review/items/{item_id}/decide",
        data={"decision": "approve", "reason": "forged"},
        headers=SAME_SITE,
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/review/login"
    assert _item_state(db, item_id) == before


def test_a_cookie_of_any_other_format_made_with_the_webhook_secret_is_refused(
    api: TestClient, db: Database, service_settings: Settings, role_headers: H
) -> None:
    """Whatever the holder of the webhook secret computes, a cookie counts only if its row exists."""
    secret = service_settings.webhook_secret.get_secret_value()
    principal_id = _principal_id(db, service_settings, bearer_token(role_headers["admin"]))
    session_key_guess = hkdf_sha256(secret.encode(), b"piiscan-key-derivation", b"piiscan/session/v1").hex()
    candidates = [
        secrets.token_urlsafe(32),  # the shape of a real cookie
        review.keyed_hash(secret, "session", principal_id),
        review.keyed_hash(session_key_guess, "session", principal_id),  # even with the session key itself
        principal_id,
        "a" * 5000,
        "",
    ]
    for value in candidates:
        client = _with_cookie(api, value)
        assert client.get("/review", follow_redirects=False).status_code == 303, value[:20]
        assert client.get("/v1/admin/sessions").status_code == 401  # a cookie is no API credential either


def test_a_logged_out_cookie_is_refused_everywhere_at_once(
    api: TestClient, db: Database, service_settings: Settings, role_headers: H, item_id: str
) -> None:
    browser = _login(api, bearer_token(role_headers["reviewer"]))
    cookie = browser.cookies.get(COOKIE)
    assert cookie and len(cookie) >= 43  # 256 random bits, base64url
    queue = browser.get("/review")
    assert queue.status_code == 200
    stolen = _with_cookie(api, cookie)  # a copy of the cookie, taken while the session was open
    assert stolen.get("/review").status_code == 200
    out = browser.post("/review/logout", data={"csrf_token": csrf_token(queue.text)}, headers=SAME_SITE)
    assert out.status_code == 200 and out.url.path == "/review/login"
    assert stolen.get("/review", follow_redirects=False).status_code == 303
    assert stolen.get(f"/review/items/{item_id}", follow_redirects=False).status_code == 303
    with db.session() as session:  # the row is gone, not merely marked
        assert (
            session.scalars(
                select(ReviewSession).where(
                    ReviewSession.token_hash
                    == review.keyed_hash(service_settings.key_for("session"), "session", cookie)
                )
            ).first()
            is None
        )


def test_an_admin_revokes_a_session_and_it_stops_working(
    api: TestClient, db: Database, role_headers: H, item_id: str
) -> None:
    browser = _login(api, bearer_token(role_headers["reviewer2"]))
    page = browser.get(f"/review/items/{item_id}")
    assert page.status_code == 200
    listed = api.get("/v1/admin/sessions", headers=role_headers["admin"]).json()["sessions"]
    mine = [s for s in listed if s["principal"] == "bo"]
    assert mine and all(set(s) == {"id", "principal", "role", "created_at", "expires_at"} for s in listed)
    # a reviewer may not revoke, an admin of one tenant may not touch a global admin's session
    assert api.post(f"/v1/admin/sessions/{mine[0]['id']}/revoke", headers=role_headers["reviewer"]).status_code == 403
    admin_browser = _login(api, bearer_token(role_headers["admin"]))
    admin_sessions = [
        s
        for s in api.get("/v1/admin/sessions", headers=role_headers["admin"]).json()["sessions"]
        if s["principal"] == "dee"
    ]
    refused = api.post(f"/v1/admin/sessions/{admin_sessions[0]['id']}/revoke", headers=role_headers["acme_admin"])
    assert refused.status_code == 404
    assert admin_browser.get("/review").status_code == 200

    for row in mine:
        revoked = api.post(f"/v1/admin/sessions/{row['id']}/revoke", headers=role_headers["acme_admin"])
        assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    assert browser.get("/review", follow_redirects=False).status_code == 303
    before = _item_state(db, item_id)
    answer = browser.post(
        f"/review/items/{item_id}/claim",
        data={"csrf_token": csrf_token(page.text)},
        headers=SAME_SITE,
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/review/login"
    assert _item_state(db, item_id) == before
    audit = api.get("/v1/admin/audit", headers=role_headers["admin"], params={"target_id": mine[0]["id"]}).json()
    assert [(e["action"], e["actor"]) for e in audit["entries"]] == [("session_revoke", "eve")]
    listed = api.get("/v1/admin/sessions", headers=role_headers["admin"]).json()["sessions"]
    assert not [s for s in listed if s["principal"] == "bo"]


def test_a_token_removed_from_the_settings_ends_its_sessions(
    api: TestClient, db: Database, service_settings: Settings
) -> None:
    """sync_principals (run at every start) deactivates the principal and revokes its sessions."""
    extra = "reviewer-temp-" + uuid.uuid4().hex
    key = service_settings.key_for("token")
    reviewers = dict(service_settings.reviewer_tokens)
    with db.session() as session:
        review.sync_principals(
            session, key, {**reviewers, extra: Grant(name="tmp", tenants=["acme"])}, service_settings.admin_tokens
        )
    browser = _login(api, extra)
    assert browser.get("/review").status_code == 200
    with db.session() as session:  # the next start, with the token gone from PIISCAN_REVIEWER_TOKENS
        review.sync_principals(session, key, reviewers, service_settings.admin_tokens)
    assert browser.get("/review", follow_redirects=False).status_code == 303
    with db.session() as session:
        principal = review.principal_by_token(session, key, extra)
        assert principal is None
        rows = session.scalars(
            select(ReviewSession)
            .join(Principal, Principal.id == ReviewSession.principal_id)
            .where(Principal.name == "tmp")
        ).all()
        assert rows and all(r.revoked_at is not None for r in rows)


# -- CSRF and origin --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "http://testserver.evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/page"},  # no Origin: the Referer decides
    ],
)
def test_a_cross_site_post_is_403_and_changes_nothing(
    api: TestClient, db: Database, role_headers: H, item_id: str, headers: dict[str, str]
) -> None:
    browser = _login(api, bearer_token(role_headers["reviewer"]))
    page = browser.get(f"/review/items/{item_id}")
    csrf = csrf_token(page.text)  # even with the right token: the form came from elsewhere
    before = _item_state(db, item_id)
    for path, data in (
        (f"/review/items/{item_id}/claim", {"csrf_token": csrf}),
        (f"/review/items/{item_id}/decide", {"decision": "approve", "reason": "cross-site", "csrf_token": csrf}),
        (f"/review/items/{item_id}/reveal", {"reason": "cross-site", "page": "1", "csrf_token": csrf}),
        ("/review/logout", {"csrf_token": csrf}),
    ):
        answer = browser.post(path, data=data, headers=headers, follow_redirects=False)
        assert answer.status_code == 403, path
        assert "another site" in answer.text and 'id="refused"' in answer.text
    assert _item_state(db, item_id) == before
    assert browser.get("/review").status_code == 200  # the refused logout did not end the session
    rows = _session_rows(db)
    login = TestClient(api.app).post(
        "/review/login", data={"token": bearer_token(role_headers["reviewer"])}, headers=headers, follow_redirects=False
    )
    assert login.status_code == 403 and COOKIE not in login.headers.get("set-cookie", "")
    assert _session_rows(db) == rows


@pytest.mark.parametrize("token", [None, "", "0" * 64, "other-session"])
def test_a_post_without_or_with_a_wrong_csrf_token_is_403_and_changes_nothing(
    api: TestClient, db: Database, role_headers: H, item_id: str, token: str | None
) -> None:
    browser = _login(api, bearer_token(role_headers["reviewer"]))
    browser.get(f"/review/items/{item_id}")
    if token == "other-session":  # a valid token, of another session of the same reviewer
        token = csrf_token(_login(api, bearer_token(role_headers["reviewer"])).get(f"/review/items/{item_id}").text)
    extra = {} if token is None else {"csrf_token": token}
    before = _item_state(db, item_id)
    for path, data in (
        (f"/review/items/{item_id}/claim", {}),
        (f"/review/items/{item_id}/decide", {"decision": "reject", "reason": "no token"}),
        (f"/review/items/{item_id}/reveal", {"reason": "no token", "page": "1"}),
        ("/review/logout", {}),
    ):
        answer = browser.post(path, data={**data, **extra}, headers=SAME_SITE, follow_redirects=False)
        assert answer.status_code == 403, path
        assert "security token" in answer.text
    assert _item_state(db, item_id) == before
    assert browser.get("/review").status_code == 200


def test_the_happy_path_login_claim_decide_through_the_pages(
    api: TestClient, db: Database, role_headers: H, item_id: str
) -> None:
    browser = _login(api, bearer_token(role_headers["reviewer"]))
    cookie = browser.cookies.get(COOKIE)
    page = browser.get(f"/review/items/{item_id}")
    forms = page.text.count('method="post"')
    assert forms >= 3 and page.text.count('name="csrf_token"') == forms  # every form carries the token
    csrf = csrf_token(page.text)
    claimed = browser.post(f"/review/items/{item_id}/claim", data={"csrf_token": csrf}, headers=SAME_SITE)
    assert claimed.status_code == 200 and _item_state(db, item_id)[0] == "in_review"
    decided = browser.post(  # a same-site Referer without Origin is accepted too
        f"/review/items/{item_id}/decide",
        data={"decision": "approve", "reason": "no personal data after all", "csrf_token": csrf_token(claimed.text)},
        headers={"Referer": f"http://testserver/review/items/{item_id}"},
    )
    assert decided.status_code == 200 and "approved by ada" in decided.text
    assert _item_state(db, item_id)[:2] == ("approved", 1)
    again = _login(api, bearer_token(role_headers["reviewer"]))  # a second login is a new session, new token
    assert again.cookies.get(COOKIE) != cookie and csrf_token(again.get("/review").text) != csrf


def test_sessions_expire_and_the_retention_purge_deletes_ended_rows(
    api: TestClient, db: Database, service_settings: Settings, role_headers: H
) -> None:
    key = service_settings.key_for("session")
    principal_id = _principal_id(db, service_settings, bearer_token(role_headers["reviewer"]))
    now = utcnow()
    with db.session() as session:
        expired = sessions.open_session(session, key, principal_id, 60, now - timedelta(hours=2))
        live = sessions.open_session(session, key, principal_id, 3600, now)
        revoked = sessions.open_session(session, key, principal_id, 3600, now)
    with db.session() as session:
        assert sessions.current(session, key, expired) is None
        found = sessions.current(session, key, revoked)
        assert found is not None and sessions.revoke(session, found.id)
    assert _with_cookie(api, expired).get("/review", follow_redirects=False).status_code == 303
    assert _with_cookie(api, revoked).get("/review", follow_redirects=False).status_code == 303
    assert _with_cookie(api, live).get("/review").status_code == 200
    with db.session() as session:
        planned = retention.plan(session, service_settings.retention, now)["sessions"]
        assert planned >= 2
        assert retention.apply(session, service_settings.retention, now)["sessions"] == planned
    with db.session() as session:
        assert retention.plan(session, service_settings.retention, now)["sessions"] == 0
        hashes = {review.keyed_hash(key, "session", c) for c in (expired, live, revoked)}
        kept = set(session.scalars(select(ReviewSession.token_hash).where(ReviewSession.token_hash.in_(hashes))))
        assert kept == {review.keyed_hash(key, "session", live)}
    assert _with_cookie(api, live).get("/review").status_code == 200


def test_the_cookie_is_random_and_not_the_principal(api: TestClient, role_headers: H) -> None:
    values = {_login(api, bearer_token(role_headers["reviewer"])).cookies.get(COOKIE) for _ in range(3)}
    assert len(values) == 3
    for value in values:
        assert value is not None and "." not in value and re.fullmatch(r"[A-Za-z0-9_-]{43}", value)


# -- keys per purpose and the upgrade from the single-secret configuration ---------------------------


def test_with_a_master_key_no_internal_key_follows_from_the_webhook_secret() -> None:
    master = SecretStr("m" * 40)
    one = Settings(webhook_secret=SecretStr("w" * 32), master_key=master)
    other = Settings(webhook_secret=SecretStr("v" * 32), master_key=master)
    legacy = Settings(webhook_secret=SecretStr("w" * 32))
    purposes = ("session", "token", "report", "context", "evidence")
    assert one.key_for("webhook") == "w" * 32
    for purpose in purposes:
        assert one.key_for(purpose) == other.key_for(purpose)  # the webhook secret changes nothing
        assert one.key_for(purpose) != legacy.key_for(purpose)
        assert one.key_for(purpose) not in ("w" * 32, "m" * 40)
    assert len({one.key_for(p) for p in purposes}) == len(purposes)  # one key per purpose
    assert one.evidence_key_map()[1] == "m" and "w" in one.evidence_key_map()[0]  # old evidence still found
    strict = one.model_copy(update={"legacy_webhook_keys": False})
    assert strict.evidence_key_map() == ({"m": one.key_for("evidence")}, "m")
    assert strict.verify_keys("report") == [one.key_for("report")]
    assert one.verify_keys("report") == [one.key_for("report"), "w" * 32]
    assert legacy.key_warnings() and not one.key_warnings()


def test_an_empty_master_key_is_unset_and_the_single_secret_config_warns_at_start(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Compose passes ``PIISCAN_MASTER_KEY=`` when it is not given: that is the legacy configuration."""
    from piiscan.api import create_app

    assert Settings(master_key=SecretStr("")).master_key is None
    settings = Settings(
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none",
        buckets=["uploads"],
        hook_tokens={"acme": SecretStr("x" * 24)},
        webhook_secret=SecretStr("y" * 24),
    )
    with caplog.at_level("WARNING", logger="piiscan.api"):
        create_app(settings)
    assert any("PIISCAN_MASTER_KEY is not set" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level("WARNING", logger="piiscan.api"):
        create_app(settings.model_copy(update={"master_key": SecretStr("k" * 40)}))
    assert not any("PIISCAN_MASTER_KEY" in r.getMessage() for r in caplog.records)


def test_hkdf_sha256_matches_rfc_5869() -> None:
    """RFC 5869, appendix A.1 (test case 1)."""
    okm = hkdf_sha256(
        bytes.fromhex("0b" * 22), bytes.fromhex("000102030405060708090a0b0c"), bytes.fromhex("f0f1f2f3f4f5f6f7f8f9"), 42
    )
    assert okm.hex() == ("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")


def test_a_master_key_that_is_short_a_default_or_the_webhook_secret_is_refused() -> None:
    base = Settings(webhook_secret=SecretStr("w" * 32))
    for bad, words in ((SecretStr("short"), "32 characters"), (SecretStr("w" * 32), "equals")):
        problems = base.model_copy(update={"master_key": bad}).service_problems()
        assert any("PIISCAN_MASTER_KEY" in p and words in p for p in problems), problems


class _NoDispatch:
    def scan(self, scan_id: str) -> None: ...

    def deliver(self, delivery_id: str, countdown: float = 0) -> None: ...

    def rescan(self, scan_id: str) -> None: ...


@pytest.fixture
def legacy_db(tmp_path: Path) -> Iterator[tuple[Settings, Database, LocalStore]]:
    settings = Settings(
        embedded=True,
        database_url=f"sqlite:///{tmp_path / 'piiscan.db'}",
        storage_backend="local",
        local_storage_dir=str(tmp_path / "buckets"),
        buckets=["b"],
        webhook_secret=SecretStr("single-secret-of-the-old-config-" + uuid.uuid4().hex),
    )
    db = Database.from_settings(settings)
    db.upgrade()
    try:
        yield settings, db, LocalStore(settings.local_storage_dir, settings.buckets)
    finally:
        db.dispose()


def test_a_database_written_under_the_single_secret_config_still_works_after_the_upgrade(
    legacy_db: tuple[Settings, Database, LocalStore], scanner: Scanner
) -> None:
    """Written with only PIISCAN_WEBHOOK_SECRET (as before this change), then read with a master key:
    the report's status secret verifies, the old evidence is found by subject, the principal's token
    works after the start's re-sync; new data uses the master-derived keys only."""
    old, db, store = legacy_db
    new = old.model_copy(update={"master_key": SecretStr("master-key-" + uuid.uuid4().hex)})
    tokens = {"reviewer-token-" + uuid.uuid4().hex: Grant(name="ada", tenants=["*"])}

    def scan_with(settings: Settings, name: str, body: bytes) -> str:
        info = store.put("b", name, body)
        upload = repo.NewUpload("t", "b", name, info.version, info.version_id, info.etag, info.size, "api")
        scan, _ = repo.request_scan(db, upload)
        services = Services(settings=settings, db=db, store=store, dispatcher=_NoDispatch())
        services.use_scanner(scanner)
        assert jobs.run_scan(services, scan.id) == "done"
        return scan.id

    # -- before the upgrade: the keys are exactly those of the single-secret configuration
    assert old.key_for("report") == old.key_for("token") == old.webhook_secret.get_secret_value()
    before = scan_with(old, "old.txt", b"Please write to tomas.quill@example.com about the invoice.")
    with db.session() as session:
        review.sync_principals(session, old.key_for("token"), tokens, {})
        upload = review.find_upload(session, "b", "old.txt", "t")
        assert upload is not None
        outcome = review.file_report(session, old.key_for("report"), upload, "198.51.100.7", "abusive", "spam", None)
        report_id, status_secret = outcome.report.id, outcome.secret
    assert status_secret is not None

    # -- after: a master key is set, nothing else changes
    after = scan_with(new, "new.txt", b"Contact: Tomas.Quill@Example.com (evenings).")
    with db.session() as session:
        status = review.report_status(session, new.verify_keys("report"), report_id, status_secret)
        assert status is not None and status["report_id"] == report_id
        assert review.report_status(session, new.verify_keys("report"), report_id, "wrong-secret") is None
        kids = dict(session.execute(select(FindingRow.scan_id, FindingRow.key_id)).all())
        assert kids == {before: "w", after: "m"}
        subject = subjects.Subject("email", "TOMAS.QUILL@example.com")
        found = subjects.find(session, EvidenceKeys.from_settings(new), subject, ["*"])
        assert {u["scan_id"] for u in found} == {before, after}
        review.sync_principals(session, new.key_for("token"), tokens, {})  # what every start does
        principal = review.principal_by_token(session, new.key_for("token"), next(iter(tokens)))
        assert principal is not None and principal.name == "ada"
        assert review.principal_by_token(session, old.key_for("token"), next(iter(tokens))) is None

        # once the old data is gone, PIISCAN_LEGACY_WEBHOOK_KEYS=false drops the webhook-derived keys
        strict = new.model_copy(update={"legacy_webhook_keys": False})
        assert review.report_status(session, strict.verify_keys("report"), report_id, status_secret) is None
        found = subjects.find(session, EvidenceKeys.from_settings(strict), subject, ["*"])
        assert [u["scan_id"] for u in found] == [after]


def test_the_api_starts_under_a_master_key_and_the_pages_work(
    service_settings: Settings, db: Database, role_headers: H, flagged_scan: Callable[..., str], item_of: Any
) -> None:
    """The same database, a new API process with a master key: principals re-synced, login, decide."""
    from piiscan.api import create_app

    upgraded = service_settings.model_copy(update={"master_key": SecretStr("master-" + uuid.uuid4().hex)})
    with TestClient(create_app(upgraded)) as api:
        item = item_of(flagged_scan(entities=("PERSON",)))
        browser = _login(api, bearer_token(role_headers["reviewer"]))
        page = browser.get(f"/review/items/{item}")
        assert page.status_code == 200
        claimed = browser.post(
            f"/review/items/{item}/claim", data={"csrf_token": csrf_token(page.text)}, headers=SAME_SITE
        )
        assert claimed.status_code == 200
        assert api.get("/v1/review/items", headers=role_headers["reviewer"]).status_code == 200
    with TestClient(create_app(service_settings)) as api:  # and back: the shared fixtures' keys again
        assert api.get("/v1/review/items", headers=role_headers["reviewer"]).status_code == 200
