"""Subject access across tenants, key rotation, retention on a fixed clock, statistics and metrics.

Retention and statistics run in a PostgreSQL schema of their own (the counts must be exact); the
subject-access API runs on the session's API, with values unique to each test.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select, text, update

from piiscan.privacy.keys import EvidenceKeys
from piiscan.scanner.masking import mask
from piiscan.scanner.pipeline import Scanner
from piiscan.settings import Retention, Settings
from piiscan.storage import LocalStore
from piiscan.store import repo, retention, review, stats, subjects
from piiscan.store.db import Database
from piiscan.store.models import (
    AbuseReport,
    AuditEntry,
    Decision,
    DisclosurePackage,
    FindingRow,
    ReviewItem,
    Scan,
    WebhookDelivery,
)
from piiscan.workers import jobs
from piiscan.workers.services import Services
from tests.service.conftest import DATABASE_URL, RUN_ID

K1 = "rotation-key-one-" + "1" * 16
K2 = "rotation-key-two-" + "2" * 16


def make_scan(
    db: Database,
    keys: EvidenceKeys,
    *,
    tenant: str = "acme",
    verdict: str = "personal_data",
    severity: str = "medium",
    values: tuple[tuple[str, str], ...] = (),
) -> str:
    """A finished scan made in the store: its findings carry the keyed hashes of ``values``."""
    key = f"u/{uuid.uuid4().hex[:8]}/doc.png"
    new = repo.NewUpload(
        tenant=tenant,
        bucket="uploads",
        key=key,
        version=f"v:{uuid.uuid4().hex}",
        version_id=uuid.uuid4().hex,
        etag=None,
        size=10,
        origin="api",
        uploader_id="u-7",
        uploader_ip="192.0.2.1",
    )
    scan, _ = repo.request_scan(db, new)
    findings = [
        {"entity_type": e, "score": 0.9, "page": 1, "source": "ocr", "masked": mask(e, v), "start": i, "end": i + 1}
        for i, (e, v) in enumerate(values)
    ]
    report = {
        "source": f"s3://uploads/{key}",
        "sha256": uuid.uuid4().hex * 2,
        "media_type": "image/png",
        "size": 10,
        "pages": 1,
        "verdict": verdict,
        "severity": severity,
        "findings": findings,
        "rules": [],
        "rule_pack_version": "test@1",
        "elapsed_ms": 1.0,
    }
    with db.session() as session:
        row = session.get(Scan, scan.id, with_for_update=True)
        assert row is not None
        row.status = "running"
        repo.complete_scan(session, row, report, "ctx", [keys.hash_finding(e, v) for e, v in values])
        review.enqueue_finished_scan(session, row, "low")
    return scan.id


# -- subject access through the API -----------------------------------------------------------------


def test_subject_access_finds_exports_and_erases_across_the_admins_tenants(
    api: TestClient, db: Database, service_settings: Settings, role_headers: dict[str, dict[str, str]]
) -> None:
    keys = EvidenceKeys.from_settings(service_settings)
    email = f"subject.{uuid.uuid4().hex[:8]}@example.com"
    phone = f"+1 646 555 {uuid.uuid4().int % 10000:04d}"
    acme = make_scan(db, keys, values=(("EMAIL_ADDRESS", email), ("PHONE_NUMBER", phone)))
    other = make_scan(db, keys, tenant="other", values=(("EMAIL_ADDRESS", email.upper()),))
    make_scan(db, keys, values=(("EMAIL_ADDRESS", "someone.else@example.com"),))
    admin, acme_admin = role_headers["admin"], role_headers["acme_admin"]
    query = {"kind": "email", "value": f"  {email.title()} "}

    for role, status in (("anonymous", 401), ("hook", 403), ("reviewer", 403)):
        assert api.post("/v1/admin/subjects/search", headers=role_headers[role], json=query).status_code == status
        assert api.post("/v1/admin/subjects/erase", headers=role_headers[role], json=query).status_code == status

    found = api.post("/v1/admin/subjects/search", headers=admin, json=query)
    assert found.status_code == 200 and "attachment" in found.headers["content-disposition"]
    assert {u["scan_id"] for u in found.json()["uploads"]} == {acme, other}
    assert {
        u["scan_id"] for u in api.post("/v1/admin/subjects/search", headers=acme_admin, json=query).json()["uploads"]
    } == {acme}
    by_phone = api.post("/v1/admin/subjects/search", headers=admin, json={"kind": "phone", "value": phone[3:]})
    assert [u["scan_id"] for u in by_phone.json()["uploads"]] == [acme]
    assert email not in found.text and email.upper() not in found.text  # masked evidence only

    erased = api.post("/v1/admin/subjects/erase", headers=acme_admin, json=query)
    assert erased.json() == {"erased": {"uploads": 1, "findings": 1}}
    left = api.post("/v1/admin/subjects/search", headers=admin, json=query).json()["uploads"]
    assert [u["scan_id"] for u in left] == [other]  # the other tenant's evidence was not the acme admin's to erase
    with db.session() as session:
        scan = session.get(Scan, acme)
        assert scan is not None
        assert [f.entity_type for f in scan.findings] == ["PHONE_NUMBER"]
        assert [f["entity_type"] for f in (scan.report or {})["findings"]] == ["PHONE_NUMBER"]

    subject_hash = subjects.Subject("email", email).audit_key(keys)
    audit = api.get(f"/v1/admin/audit?target_id={subject_hash}", headers=admin).json()["entries"]
    assert {e["action"] for e in audit} == {"subject_search", "subject_erase"}
    assert {e["actor"] for e in audit if e["action"] == "subject_erase"} == {"eve"}
    assert email.casefold() not in json.dumps(audit).casefold()


def test_privacy_admin_endpoints_need_an_admin(api: TestClient, role_headers: dict[str, dict[str, str]]) -> None:
    for path in ("/v1/admin/retention", "/v1/admin/stats"):
        for role, status in (("anonymous", 401), ("hook", 403), ("reviewer", 403), ("admin", 200)):
            assert api.get(path, headers=role_headers[role]).status_code == status, (path, role)
    assert api.post("/v1/admin/retention/run", headers=role_headers["reviewer"]).status_code == 403
    plan = api.get("/v1/admin/retention", headers=role_headers["admin"]).json()
    assert plan["dry_run"] is True and set(plan["would_purge"]) == set(retention.KINDS)


def test_metrics_are_aggregates_only(api: TestClient, db: Database, service_settings: Settings) -> None:
    make_scan(db, EvidenceKeys.from_settings(service_settings), values=(("PERSON", "Nora Quill"),))
    body = api.get("/metrics").text
    assert re.search(r'^piiscan_scan_verdicts\{verdict="personal_data"\} [1-9]\d*$', body, re.M)
    assert re.search(r'^piiscan_findings\{entity_type="PERSON"\} [1-9]\d*$', body, re.M)
    assert not re.search(r"[0-9a-f]{32}", body) and "acme" not in body and "Nora" not in body


def test_metrics_want_the_scraper_token_when_one_is_set(
    api: TestClient, role_headers: dict[str, dict[str, str]]
) -> None:
    settings = api.app.state.services.settings  # type: ignore[attr-defined]
    token = "scraper-" + "k" * 24
    api.app.state.services.settings = settings.model_copy(update={"metrics_token": SecretStr(token)})  # type: ignore[attr-defined]
    try:
        assert api.get("/metrics").status_code == 401
        assert api.get("/metrics", headers=role_headers["admin"]).status_code == 401  # the scraper's token only
        assert api.get("/metrics", headers={"Authorization": "Bearer " + token[:-1] + "x"}).status_code == 401
        answer = api.get("/metrics", headers={"Authorization": "Bearer " + token})
        assert answer.status_code == 200 and "piiscan_scans" in answer.text
    finally:
        api.app.state.services.settings = settings  # type: ignore[attr-defined]


# -- key rotation through the worker's code ----------------------------------------------------------


def test_rotated_key_still_finds_old_evidence_and_new_evidence_uses_the_new_key(
    tmp_path: Path, scanner: Scanner
) -> None:
    base = Settings(
        embedded=True,
        database_url=f"sqlite:///{tmp_path / 'piiscan.db'}",
        storage_backend="local",
        local_storage_dir=str(tmp_path / "buckets"),
        buckets=["b"],
        webhook_secret=SecretStr("unit-test-webhook-secret"),
    )
    db = Database.from_settings(base)
    db.upgrade()
    store = LocalStore(base.local_storage_dir, base.buckets)

    def scan_with(settings: Settings, name: str, body: bytes) -> str:
        info = store.put("b", name, body)
        new = repo.NewUpload("t", "b", name, info.version, info.version_id, info.etag, info.size, "api")
        scan, _ = repo.request_scan(db, new)
        services = Services(settings=settings, db=db, store=store, dispatcher=_NoDispatch())
        services.use_scanner(scanner)
        assert jobs.run_scan(services, scan.id) == "done"
        return scan.id

    old_settings = base.model_copy(update={"evidence_keys": {"k1": SecretStr(K1)}, "evidence_key_id": "k1"})
    new_settings = base.model_copy(
        update={"evidence_keys": {"k1": SecretStr(K1), "k2": SecretStr(K2)}, "evidence_key_id": "k2"}
    )
    old = scan_with(old_settings, "old.txt", b"Please write to lena.marsh@example.com about the invoice.")
    new = scan_with(new_settings, "new.txt", b"Contact: Lena.Marsh@Example.com (evenings).")
    try:
        with db.session() as session:
            kids = dict(session.execute(select(FindingRow.scan_id, FindingRow.key_id)).all())
            assert kids == {old: "k1", new: "k2"}
            subject = subjects.Subject("email", "LENA.MARSH@example.com")
            found = subjects.find(session, EvidenceKeys.from_settings(new_settings), subject, ["*"])
            assert {u["scan_id"] for u in found} == {old, new}
            only_new = base.model_copy(update={"evidence_keys": {"k2": SecretStr(K2)}, "evidence_key_id": "k2"})
            found = subjects.find(session, EvidenceKeys.from_settings(only_new), subject, ["*"])
            assert [u["scan_id"] for u in found] == [new]  # a removed key unlinks its evidence
    finally:
        db.dispose()


class _NoDispatch:
    def scan(self, scan_id: str) -> None: ...

    def deliver(self, delivery_id: str, countdown: float = 0) -> None: ...

    def rescan(self, scan_id: str) -> None: ...


# -- retention and statistics in a schema of their own -----------------------------------------------


@pytest.fixture
def private_db() -> Iterator[Database]:
    schema = f"piiscan_ret_{RUN_ID}_{uuid.uuid4().hex[:6]}"
    database = Database(DATABASE_URL, schema)
    database.upgrade()
    try:
        yield database
    finally:
        database.dispose()
        with Database(DATABASE_URL).engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
KEYS = EvidenceKeys({"k1": K1}, "k1")


def _age(db: Database, scan_id: str, days: float) -> None:
    with db.session() as session:
        at = NOW - timedelta(days=days)
        session.execute(update(Scan).where(Scan.id == scan_id).values(finished_at=at, created_at=at))


def _decide(db: Database, scan_id: str, days: float, decision: str = "approved") -> int:
    with db.session() as session:
        item = session.scalars(select(ReviewItem).where(ReviewItem.scan_id == scan_id)).one()
        row = Decision(decision=decision, reason="seen", decided_by="ada", previous_status="in_review")
        item.decisions.append(row)
        item.status = decision
        session.flush()
        row.created_at = NOW - timedelta(days=days)
        return row.id


def test_retention_on_a_fixed_clock(private_db: Database) -> None:
    db = private_db
    email = (("EMAIL_ADDRESS", "kept.or.not@example.com"),)
    clean_old = make_scan(db, KEYS, verdict="clean", severity="none", values=email)
    clean_new = make_scan(db, KEYS, verdict="clean", severity="none", values=email)
    open_old = make_scan(db, KEYS, values=email)
    decided_old = make_scan(db, KEYS, values=email)
    decided_new = make_scan(db, KEYS, values=email)
    for scan_id, days in ((clean_old, 31), (clean_new, 29), (open_old, 400), (decided_old, 200), (decided_new, 200)):
        _age(db, scan_id, days)
    old_decision = _decide(db, decided_old, 181, "reported")
    new_decision = _decide(db, decided_new, 179)
    with db.session() as session:
        item_old = session.scalars(select(ReviewItem.id).where(ReviewItem.scan_id == decided_old)).one()
        item_new = session.scalars(select(ReviewItem.id).where(ReviewItem.scan_id == decided_new)).one()
        for item_id, decision_id, days in ((item_old, old_decision, 731), (item_new, new_decision, 729)):
            session.add(
                DisclosurePackage(
                    item_id=item_id, decision_id=decision_id, document={}, created_at=NOW - timedelta(days=days)
                )
            )
        for days in (366, 364):
            session.add(
                AuditEntry(
                    actor="ada",
                    role="reviewer",
                    action="claim",
                    target_type="review_item",
                    target_id="x",
                    detail={},
                    at=NOW - timedelta(days=days),
                )
            )
        for status, days in (("delivered", 31), ("failed", 40), ("pending", 40), ("delivered", 29)):
            session.add(
                WebhookDelivery(
                    scan_id=clean_new,
                    event="scan.completed",
                    url="http://x",
                    body="{}",
                    status=status,
                    attempts=1,
                    created_at=NOW - timedelta(days=days),
                    updated_at=NOW - timedelta(days=days),
                )
            )
        for contact, days in (("r1@example.org", 91), ("r2@example.org", 89), (None, 200)):
            session.add(
                AbuseReport(
                    upload_id=session.get(Scan, open_old).upload_id,
                    category="abusive",
                    description="d",
                    contact=contact,
                    secret_hash="s",
                    reporter_key=uuid.uuid4().hex,
                    created_at=NOW - timedelta(days=days),
                )
            )  # type: ignore[union-attr]
    periods = Retention()  # 30 / 180 / 365 / 730 / 30 / 90 days
    expected = {
        "clean_evidence": 1,
        "decided_evidence": 1,
        "audit": 1,
        "packages": 1,
        "webhooks": 2,
        "report_contacts": 1,
        "sessions": 0,  # tests/service/test_sessions.py purges ended sessions
    }
    with db.session() as session:
        assert retention.plan(session, periods, NOW) == expected
    with db.session() as session:
        assert retention.plan(session, periods, NOW) == expected  # a dry run changes nothing
        assert retention.apply(session, periods, NOW) == expected
    with db.session() as session:
        assert set(retention.plan(session, periods, NOW).values()) == {0}
        remaining = dict(session.execute(select(FindingRow.scan_id, FindingRow.id)).all())
        assert set(remaining) == {clean_new, open_old, decided_new}
        purged = session.get(Scan, clean_old)
        assert purged is not None and purged.evidence_purged_at is not None
        assert (purged.report or {})["findings"] == [] and purged.verdict == "clean"  # statistics keep the verdict
        assert purged.upload.uploader_id is None and purged.upload.uploader_ip is None
        reported = session.get(Scan, decided_old)
        assert reported is not None and reported.upload.uploader_ip is None
        assert session.get(Scan, decided_new).upload.uploader_ip == "192.0.2.1"  # type: ignore[union-attr]
        assert sorted(c for c in session.scalars(select(AbuseReport.contact)) if c) == ["r2@example.org"]
        assert session.scalar(select(DisclosurePackage.decision_id)) == new_decision
        assert [d.status for d in session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.updated_at))] == [
            "pending",
            "delivered",
        ]
        # purged evidence is never reused for the same bytes
        assert repo.find_reusable(session, purged.sha256 or "", "test@1", "ctx", "none") is None


def test_statistics_suppress_small_cells(private_db: Database) -> None:
    db = private_db
    for _ in range(6):
        make_scan(db, KEYS, verdict="clean", severity="none", values=(("PERSON", "A B"),))
    for _ in range(2):
        make_scan(db, KEYS, values=(("EMAIL_ADDRESS", "x@example.com"),))
    make_scan(db, KEYS, tenant="other", verdict="clean", severity="none")
    with db.session() as session:
        since = datetime.now(UTC) - timedelta(days=1)
        everything = stats.statistics(session, ["*"], since, 5)
        acme_only = stats.statistics(session, ["acme"], since, 5)
    cells = {(c["tenant"], c["verdict"]): c for c in everything["verdicts"]}
    assert cells[("acme", "clean")]["count"] == 6 and not cells[("acme", "clean")]["suppressed"]
    assert cells[("acme", "personal_data")] | {"day": ""} == {
        "day": "", "tenant": "acme", "verdict": "personal_data", "count": None, "suppressed": True
    }  # fmt: skip
    assert cells[("other", "clean")]["suppressed"]
    entities = {(c["tenant"], c["entity_type"]): c["count"] for c in everything["entity_types"]}
    assert entities == {("acme", "PERSON"): 6, ("acme", "EMAIL_ADDRESS"): None}
    assert {c["tenant"] for c in acme_only["verdicts"]} == {"acme"}
    assert not re.search(r"[0-9a-f]{32}", json.dumps(everything))


def test_cli_retention_dry_run_and_subject_access(
    private_db: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``piiscan retention`` and ``piiscan subject`` (the value on stdin, never in argv)."""
    import io

    from piiscan import cli
    from piiscan.settings import get_settings

    scan_id = make_scan(
        private_db, KEYS, verdict="clean", severity="none", values=(("PHONE_NUMBER", "+1 646 555 0111"),)
    )
    _age(private_db, scan_id, 31)
    monkeypatch.setenv("PIISCAN_DATABASE_URL", DATABASE_URL)
    monkeypatch.setenv("PIISCAN_DATABASE_SCHEMA", private_db.schema or "")
    monkeypatch.setenv("PIISCAN_EVIDENCE_KEYS", json.dumps({"k1": K1}))
    get_settings.cache_clear()

    def run(*args: str, stdin: str = "") -> dict[str, Any]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        assert cli.main(list(args)) == 0
        result: dict[str, Any] = json.loads(capsys.readouterr().out)
        return result

    try:
        plan = run("retention", "--now", NOW.isoformat())
        assert plan["dry_run"] is True and plan["counts"]["clean_evidence"] == 1
        found = run("subject", "phone", stdin="(646) 555-0111\n")
        assert [u["scan_id"] for u in found["uploads"]] == [scan_id]
        assert run("subject", "phone", "--erase", stdin="646.555.0111\n")["erased"] == {"uploads": 1, "findings": 1}
        assert run("subject", "phone", stdin="6465550111\n")["uploads"] == []
    finally:
        get_settings.cache_clear()
    with private_db.session() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.actor.startswith("cli:"))).all()
        assert sorted(actions) == ["subject_erase", "subject_search", "subject_search"]


def test_a_rescan_raises_an_items_severity_but_never_lowers_it(private_db: Database) -> None:
    scan_id = make_scan(private_db, KEYS, verdict="third_party_data", severity="high", values=(("PERSON", "A B"),))

    def rescan(verdict: str, severity: str) -> tuple[str | None, str | None]:
        report = {"verdict": verdict, "severity": severity, "findings": [], "rules": [], "sha256": "0" * 64}
        with private_db.session() as session:
            scan = session.get(Scan, scan_id)
            assert scan is not None
            scan.rescan_requested_at = NOW
            repo.replace_result(session, scan, report, [])
            item = review.enqueue_finished_scan(session, scan, "low", rescan=True)
            assert item is not None and scan.rescan_requested_at is None
            return item.verdict, item.severity

    assert rescan("personal_data", "low") == ("third_party_data", "high")
    assert rescan("third_party_data", "critical") == ("third_party_data", "critical")
    with private_db.session() as session:
        scan = session.get(Scan, scan_id)
        assert scan is not None and scan.rescans == 2 and scan.findings == []
        assert [v.decided_by for v in scan.verdicts] == ["scanner", "rescan", "rescan"]


def test_the_sweeper_sends_lost_rescans_again(private_db: Database) -> None:
    scan_id = make_scan(private_db, KEYS)
    with private_db.session() as session:
        session.execute(
            update(Scan).where(Scan.id == scan_id).values(rescan_requested_at=datetime.now(UTC) - timedelta(hours=1))
        )
    sent: list[str] = []

    class Recorder(_NoDispatch):
        def rescan(self, scan_id: str) -> None:
            sent.append(scan_id)

    settings = Settings(stale_scan_s=60)
    services = Services(settings=settings, db=private_db, store=None, dispatcher=Recorder())  # type: ignore[arg-type]
    jobs.sweep(services)
    assert sent == [scan_id]
    jobs.sweep(services)  # touched: not again before another stale_scan_s
    assert sent == [scan_id]
