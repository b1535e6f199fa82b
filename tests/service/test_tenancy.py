"""Tenancy bound to storage (issue 16): a tenant reaches only the objects of its scopes, in every path.

The fixtures' tenants: acme owns ``uploads/u/...`` and all of ``plain``; other (the attack's "beta")
owns ``uploads/o/...``. Each attack of the finding is reproduced against the service and must fail.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from pydantic import SecretStr, ValidationError
from sqlalchemy import select

from piiscan.api.app import ConfigurationError, check_service_settings, create_app
from piiscan.privacy.keys import EvidenceKeys
from piiscan.scanner.masking import mask
from piiscan.settings import Grant, Settings
from piiscan.store import repo, review
from piiscan.store.db import Database
from piiscan.store.models import ReviewItem, Scan, Upload

from .pages_helpers import bearer_token, csrf_token

H = dict[str, dict[str, str]]


def _png(colour: str = "white") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 160), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _beta_key(name: str = "b-planted.png") -> str:
    return f"o/{uuid.uuid4().hex[:8]}/{name}"


def _like_missing(answer: Any, missing: Any, asked_key: str, missing_key: str) -> None:
    """``answer`` is what a missing object answers: same status, same body (its key aside)."""
    assert answer.status_code == missing.status_code == 404
    expected = missing.json()
    assert set(answer.json()) == set(expected) == {"code", "detail"}
    assert answer.json() == {**expected, "detail": expected["detail"].replace(missing_key, asked_key)}


def _uploads_at(db: Database, bucket: str, key: str) -> list[tuple[str, str]]:
    with db.session() as session:
        return [
            (u.tenant, u.origin)
            for u in session.scalars(select(Upload).where(Upload.bucket == bucket, Upload.object_key == key))
        ]


@pytest.fixture(autouse=True)
def _fresh_limiter(api: TestClient) -> Iterator[None]:
    api.app.state.report_limiter.reset()  # type: ignore[attr-defined]
    yield
    api.app.state.report_limiter.reset()  # type: ignore[attr-defined]


# -- the hook and bucket events -----------------------------------------------------------------------


def test_hook_with_acmes_token_cannot_scan_betas_key_and_is_told_it_is_missing(
    api: TestClient, s3: Any, db: Database, auth: dict[str, str], other_auth: dict[str, str]
) -> None:
    key = _beta_key()
    s3.put_object(Bucket="uploads", Key=key, Body=_png())
    missing_key = f"u/{uuid.uuid4().hex[:8]}/never-uploaded.png"
    missing = api.post("/v1/hook/scans", json={"bucket": "uploads", "key": missing_key}, headers=auth)

    crossed = api.post("/v1/hook/scans", json={"bucket": "uploads", "key": key}, headers=auth)
    _like_missing(crossed, missing, key, missing_key)
    assert crossed.json()["code"] == "not_found"
    assert _uploads_at(db, "uploads", key) == []  # no scan was made for acme

    # the dot-segment way round the prefix is refused too (some stores resolve it)
    dotted = f"u/../{key}"
    sneaky = api.post("/v1/hook/scans", json={"bucket": "uploads", "key": dotted}, headers=auth)
    _like_missing(sneaky, missing, dotted, missing_key)

    # the owner's own token is accepted: the object exists, the refusal was the scope
    own = api.post("/v1/hook/scans", json={"bucket": "uploads", "key": key}, headers=other_auth)
    assert own.status_code == 202, own.text
    assert _uploads_at(db, "uploads", key) == [("other", "api")]


def test_s3_event_resolves_to_the_keys_owner_and_unowned_keys_are_ignored(
    api: TestClient, s3: Any, db: Database, auth: dict[str, str], other_auth: dict[str, str], make_event: Any
) -> None:
    beta = _beta_key()
    put = s3.put_object(Bucket="uploads", Key=beta, Body=_png())
    nobody = f"z/{uuid.uuid4().hex[:8]}/nobody.png"
    nobodys = s3.put_object(Bucket="uploads", Key=nobody, Body=_png("gray"))

    # acme's token announcing beta's object: ignored, no HEAD, no scan (for acme or anyone)
    crossed = api.post(
        "/v1/hook/s3-events", json=make_event("uploads", beta, version_id=put["VersionId"]), headers=auth
    )
    assert crossed.status_code == 202 and crossed.json() == {"scans": [], "ignored": 1}
    assert _uploads_at(db, "uploads", beta) == []
    # a key no tenant owns: ignored whoever announces it
    for headers in (auth, other_auth):
        unowned = make_event("uploads", nobody, version_id=nobodys["VersionId"])
        answer = api.post("/v1/hook/s3-events", json=unowned, headers=headers)
        assert answer.status_code == 202 and answer.json() == {"scans": [], "ignored": 1}
    assert _uploads_at(db, "uploads", nobody) == []
    # the owner's notification is queued, as the owner's scan
    own = api.post(
        "/v1/hook/s3-events", json=make_event("uploads", beta, version_id=put["VersionId"]), headers=other_auth
    )
    assert own.status_code == 202 and len(own.json()["scans"]) == 1 and own.json()["ignored"] == 0
    assert _uploads_at(db, "uploads", beta) == [("other", "s3_event")]


# -- abuse reports -------------------------------------------------------------------------------------


def test_abuse_report_on_betas_key_raises_betas_item_never_acmes(
    api: TestClient, db: Database, flagged_scan: Callable[..., str], item_of: Callable[[str], str | None]
) -> None:
    key = _beta_key()
    betas = flagged_scan(tenant="other", key=key)
    acmes = flagged_scan(tenant="acme", key=key)  # what the hook attack left: acme's newer scan of beta's key
    made = api.post(
        "/v1/reports",
        json={"url": f"s3://uploads/{key}", "category": "third_party_privacy", "description": "My address."},
    )
    assert made.status_code == 201, made.text
    with db.session() as session:
        beta_item = session.get(ReviewItem, item_of(betas))
        acme_item = session.get(ReviewItem, item_of(acmes))
        assert beta_item is not None and acme_item is not None
        assert (beta_item.tenant, beta_item.priority) == ("other", 1)
        assert acme_item.priority == 0


def test_abuse_report_on_a_key_no_tenant_owns_finds_nothing(api: TestClient, flagged_scan: Callable[..., str]) -> None:
    key = f"z/{uuid.uuid4().hex[:8]}/nobody.png"
    flagged_scan(tenant="acme", key=key)  # an upload row outside every scope (made before scopes)
    answer = api.post(
        "/v1/reports", json={"bucket": "uploads", "key": key, "category": "abusive", "description": "Abuse."}
    )
    assert answer.status_code == 404 and answer.json()["code"] == "upload_not_found"


# -- previews and reveals ------------------------------------------------------------------------------


def test_reveal_and_preview_of_betas_upload_through_an_acme_item_answer_like_a_missing_object(
    api: TestClient,
    s3: Any,
    db: Database,
    role_headers: H,
    flagged_scan: Callable[..., str],
    item_of: Callable[[str], str | None],
) -> None:
    key = _beta_key()
    put = s3.put_object(Bucket="uploads", Key=key, Body=_png("red"))
    crossed = item_of(flagged_scan(tenant="acme", key=key, version_id=put["VersionId"]))
    missing_key = f"u/{uuid.uuid4().hex[:8]}/gone.png"
    gone = item_of(flagged_scan(tenant="acme", key=missing_key))  # an in-scope item whose object is missing
    assert crossed and gone
    reviewer = role_headers["reviewer"]
    reason = {"reason": "check the finding", "page": 1}

    missing_preview = api.get(f"/v1/review/items/{gone}/preview.png", headers=reviewer)
    preview = api.get(f"/v1/review/items/{crossed}/preview.png", headers=reviewer)
    _like_missing(preview, missing_preview, key, missing_key)
    missing_reveal = api.post(f"/v1/review/items/{gone}/reveal", headers=reviewer, json=reason)
    reveal = api.post(f"/v1/review/items/{crossed}/reveal", headers=reviewer, json=reason)
    _like_missing(reveal, missing_reveal, key, missing_key)
    # the "*" admin is refused as well: the upload is outside the item's tenant's scopes
    admin_reveal = api.post(f"/v1/review/items/{crossed}/reveal", headers=role_headers["admin"], json=reason)
    _like_missing(admin_reveal, missing_reveal, key, missing_key)
    with db.session() as session:
        assert review.audit_entries(session, crossed) == []  # nothing was revealed, nothing logged

    # the reviewer pages answer the same
    browser = TestClient(api.app)
    browser.post("/review/login", data={"token": bearer_token(reviewer)})
    page_preview = browser.get(f"/review/items/{crossed}/preview.png")
    _like_missing(page_preview, missing_preview, key, missing_key)
    page_reveal = browser.post(
        f"/review/items/{crossed}/reveal",
        data={"reason": "check the finding", "csrf_token": csrf_token(browser.get("/review").text)},
    )
    _like_missing(page_reveal, missing_reveal, key, missing_key)
    with db.session() as session:
        assert review.audit_entries(session, crossed) == []
    # nor are beta's masked findings shown through the acme item (API and page)
    assert api.get(f"/v1/review/items/{gone}", headers=reviewer).status_code == 200
    item = api.get(f"/v1/review/items/{crossed}", headers=reviewer)
    assert (item.status_code, item.json()["code"]) == (404, "item_not_found")
    assert browser.get(f"/review/items/{crossed}").status_code == 404


def test_in_scope_previews_and_reveals_still_work_for_each_tenant(
    api: TestClient,
    s3: Any,
    role_headers: H,
    flagged_scan: Callable[..., str],
    item_of: Callable[[str], str | None],
    unique_key: Callable[[str], str],
) -> None:
    acme_key, beta_key = unique_key("mine.png"), _beta_key("theirs.png")
    acme_put = s3.put_object(Bucket="uploads", Key=acme_key, Body=_png())
    beta_put = s3.put_object(Bucket="uploads", Key=beta_key, Body=_png())
    acme_item = item_of(flagged_scan(tenant="acme", key=acme_key, version_id=acme_put["VersionId"]))
    beta_item = item_of(flagged_scan(tenant="other", key=beta_key, version_id=beta_put["VersionId"]))
    for item, headers in ((acme_item, role_headers["reviewer"]), (beta_item, role_headers["other_reviewer"])):
        preview = api.get(f"/v1/review/items/{item}/preview.png", headers=headers)
        assert preview.status_code == 200 and preview.headers["content-type"] == "image/png"
        reveal = api.post(f"/v1/review/items/{item}/reveal", headers=headers, json={"reason": "needed", "page": 1})
        assert reveal.status_code == 200 and reveal.content.startswith(b"\x89PNG")
    # and each tenant's reviewer still cannot open the other's item at all
    assert api.get(f"/v1/review/items/{beta_item}/preview.png", headers=role_headers["reviewer"]).status_code == 404


# -- audit, packages, statistics, subject access -------------------------------------------------------


def _decide(api: TestClient, item: str, headers: dict[str, str], decision: str, reason: str) -> Any:
    assert api.post(f"/v1/review/items/{item}/claim", headers=headers).status_code == 200
    answer = api.post(
        f"/v1/review/items/{item}/decision", headers=headers, json={"decision": decision, "reason": reason}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_audit_read_by_an_acme_admin_shows_acmes_entries_only(
    api: TestClient, role_headers: H, flagged_scan: Callable[..., str], item_of: Callable[[str], str | None]
) -> None:
    acme_item = item_of(flagged_scan(tenant="acme"))
    beta_item = item_of(flagged_scan(tenant="other"))
    assert acme_item and beta_item
    _decide(api, acme_item, role_headers["reviewer"], "reject", "acme's own reason")
    beta_reason = "beta reviewer's free text " + uuid.uuid4().hex
    beta_package = _decide(api, beta_item, role_headers["other_reviewer"], "report", beta_reason)["package_id"]
    admin, acme_admin = role_headers["admin"], role_headers["acme_admin"]
    assert api.get(f"/v1/admin/packages/{beta_package}", headers=admin).status_code == 200  # a download, audited
    subject = {"kind": "email", "value": f"nobody.{uuid.uuid4().hex[:6]}@example.com"}
    assert api.post("/v1/admin/subjects/search", headers=admin, json=subject).status_code == 200

    everything = api.get("/v1/admin/audit", headers=admin, params={"limit": 1000}).json()["entries"]
    targets = {e["target_id"] for e in everything}
    assert {acme_item, beta_item, beta_package} <= targets and "subject_search" in {e["action"] for e in everything}

    seen = api.get("/v1/admin/audit", headers=acme_admin, params={"limit": 1000})
    assert seen.status_code == 200
    entries = seen.json()["entries"]
    assert {e["target_id"] for e in entries if e["target_id"] == acme_item} == {acme_item}
    assert not {beta_item, beta_package} & {e["target_id"] for e in entries}
    assert beta_reason not in seen.text and "cy" not in {e["actor"] for e in entries}
    assert {e["action"] for e in entries} <= {"claim", "release", "decide", "redecide", "reveal", "reopen",
                                              "package_download"}  # fmt: skip
    assert api.get("/v1/admin/audit", headers=acme_admin, params={"target_id": beta_item}).json() == {"entries": []}


def test_packages_stats_and_subject_access_are_limited_to_the_admins_tenants(
    api: TestClient,
    db: Database,
    service_settings: Settings,
    role_headers: H,
    flagged_scan: Callable[..., str],
    item_of: Callable[[str], str | None],
) -> None:
    beta_item = item_of(flagged_scan(tenant="other"))
    assert beta_item
    package = _decide(api, beta_item, role_headers["other_reviewer"], "report", "beta's disclosure")["package_id"]
    admin, acme_admin = role_headers["admin"], role_headers["acme_admin"]
    listed = {p["id"] for p in api.get("/v1/admin/packages", headers=acme_admin).json()["packages"]}
    assert package not in listed
    assert package in {p["id"] for p in api.get("/v1/admin/packages", headers=admin).json()["packages"]}
    refused = api.get(f"/v1/admin/packages/{package}", headers=acme_admin)
    assert refused.status_code == 404 and refused.json()["code"] == "package_not_found"
    assert api.get(f"/v1/admin/packages/{package}/html", headers=acme_admin).status_code == 404

    stats = api.get("/v1/admin/stats", headers=acme_admin).json()
    assert {c["tenant"] for c in stats["verdicts"] + stats["entity_types"]} == {"acme"}
    everyone = api.get("/v1/admin/stats", headers=admin).json()
    assert {"acme", "other"} <= {c["tenant"] for c in everyone["verdicts"]}

    keys = EvidenceKeys.from_settings(service_settings)
    email = f"subject.{uuid.uuid4().hex[:8]}@example.com"
    betas = _scan_with_value(db, keys, "other", email)
    query = {"kind": "email", "value": email}
    assert api.post("/v1/admin/subjects/search", headers=acme_admin, json=query).json()["uploads"] == []
    assert api.post("/v1/admin/subjects/erase", headers=acme_admin, json=query).json()["erased"]["findings"] == 0
    found = api.post("/v1/admin/subjects/search", headers=admin, json=query).json()["uploads"]
    assert [u["scan_id"] for u in found] == [betas]  # acme's erase touched nothing of beta's


def _scan_with_value(db: Database, keys: EvidenceKeys, tenant: str, email: str) -> str:
    """A finished scan of ``tenant`` in the store whose one finding carries the keyed hash of ``email``."""
    key = f"o/{uuid.uuid4().hex[:8]}/doc.png"
    new = repo.NewUpload(tenant, "uploads", key, f"v:{uuid.uuid4().hex}", uuid.uuid4().hex, None, 10, "api")
    scan, _ = repo.request_scan(db, new)
    finding = {
        "entity_type": "EMAIL_ADDRESS", "score": 0.9, "page": 1, "source": "ocr",
        "masked": mask("EMAIL_ADDRESS", email), "start": 0, "end": 1,
    }  # fmt: skip
    report = {
        "source": f"s3://uploads/{key}", "sha256": uuid.uuid4().hex * 2, "media_type": "image/png", "size": 10,
        "pages": 1, "verdict": "personal_data", "severity": "medium", "findings": [finding], "rules": [],
        "rule_pack_version": "test@1", "elapsed_ms": 1.0,
    }  # fmt: skip
    with db.session() as session:
        row = session.get(Scan, scan.id, with_for_update=True)
        assert row is not None
        row.status = "running"
        repo.complete_scan(session, row, report, "ctx", [keys.hash_finding("EMAIL_ADDRESS", email)])
    return scan.id


# -- start-up rules, compatibility, validation ---------------------------------------------------------

BASE: dict[str, Any] = {
    "database_url": "postgresql+psycopg://piiscan@db/piiscan",
    "webhook_secret": SecretStr("s" * 32),
    "buckets": ["uploads", "plain"],
}


def _settings(**overrides: Any) -> Settings:
    return Settings(**{**BASE, **overrides})


TWO = {"acme": SecretStr("a" * 32), "beta": SecretStr("b" * 32)}


def test_serve_and_worker_refuse_to_start_when_a_tenant_of_several_has_no_scopes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    unscoped = _settings(hook_tokens=TWO)
    with pytest.raises(ConfigurationError, match="PIISCAN_TENANT_SCOPES") as info:
        create_app(unscoped)
    assert "'acme'" in str(info.value) and "'beta'" in str(info.value)
    with pytest.raises(ConfigurationError, match="PIISCAN_TENANT_SCOPES"):
        check_service_settings(unscoped, for_api=False)  # what `piiscan worker` checks
    half = _settings(hook_tokens=TWO, tenant_scopes={"acme": ["uploads/a/"]})
    assert any("'beta'" in p and "'acme'" not in p for p in half.service_problems())
    # tenants named anywhere count: a callback URL, a reviewer's or an admin's grant ("*" is not a tenant)
    for extra in (
        {"callback_urls": {"beta": "https://hooks.example.com/piiscan"}},
        {"reviewer_tokens": {"r" * 24: Grant(name="rae", tenants=["beta"])}},
        {"admin_tokens": {"d" * 24: Grant(name="dot", tenants=["acme", "beta"])}},
    ):
        lone = _settings(hook_tokens={"acme": TWO["acme"]}, **extra)
        assert any("PIISCAN_TENANT_SCOPES" in p for p in lone.service_problems()), extra
    everyone = _settings(hook_tokens={"acme": TWO["acme"]}, admin_tokens={"d" * 24: Grant(name="dot", tenants=["*"])})
    assert everyone.service_problems() == []
    scoped = _settings(hook_tokens=TWO, tenant_scopes={"acme": ["uploads/a/", "plain"], "beta": ["uploads/b/"]})
    assert scoped.service_problems() == [] and scoped.service_problems(for_api=False) == []
    # embedded mode has no other start-up rules, but this one holds there too
    assert _settings(hook_tokens=TWO, embedded=True).service_problems() != []
    assert _settings(hook_tokens={"acme": TWO["acme"]}, embedded=True).service_problems() == []

    from piiscan.cli import main
    from piiscan.settings import get_settings

    for name, value in unscoped.as_environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PIISCAN_TENANT_SCOPES", raising=False)
    monkeypatch.delenv("PIISCAN_EMBEDDED", raising=False)
    get_settings.cache_clear()
    try:
        assert main(["worker"]) == 2
        assert main(["serve", "--port", "1"]) == 2
    finally:
        get_settings.cache_clear()
    assert "PIISCAN_TENANT_SCOPES" in capsys.readouterr().err


def test_a_single_tenant_without_scopes_keeps_every_allow_listed_bucket(
    api: TestClient, s3: Any, db: Database, auth: dict[str, str], make_event: Any
) -> None:
    from piiscan.tenancy import Tenancy

    single = _settings(hook_tokens={"acme": TWO["acme"]})
    assert single.service_problems() == []
    tenancy = Tenancy.of(single)
    assert tenancy.in_scope("acme", "uploads", "anything/at/all.png") and tenancy.owner("plain", "x") == "acme"
    assert not tenancy.in_scope("acme", "not-allowed", "x") and tenancy.owner("not-allowed", "x") is None

    services = api.app.state.services  # type: ignore[attr-defined]
    saved = services.settings
    services.settings = saved.model_copy(
        update={"tenant_scopes": {}, "hook_tokens": {"acme": saved.hook_tokens["acme"]}, "reviewer_tokens": {}}
    )
    try:
        key = f"anywhere-{uuid.uuid4().hex[:8]}/file.png"  # outside every scope of the fixtures
        put = s3.put_object(Bucket="uploads", Key=key, Body=_png())
        hooked = api.post("/v1/hook/scans", json={"bucket": "uploads", "key": key}, headers=auth)
        assert hooked.status_code == 202, hooked.text
        second = f"anywhere-{uuid.uuid4().hex[:8]}/event.png"
        put = s3.put_object(Bucket="uploads", Key=second, Body=_png("gray"))
        event = api.post(
            "/v1/hook/s3-events", json=make_event("uploads", second, version_id=put["VersionId"]), headers=auth
        )
        assert event.status_code == 202 and len(event.json()["scans"]) == 1
        report = api.post(
            "/v1/reports", json={"bucket": "uploads", "key": key, "category": "abusive", "description": "Abuse."}
        )
        assert report.status_code == 201, report.text
    finally:
        services.settings = saved
    assert _uploads_at(db, "uploads", key) == [("acme", "api")]


@pytest.mark.parametrize(
    ("scopes", "message"),
    [
        ({"acme": ["uploads/u/"], "beta": ["uploads/u/"]}, "overlap"),
        ({"acme": ["uploads/u"], "beta": ["uploads/u/b/"]}, "overlap"),
        ({"acme": ["uploads"], "beta": ["uploads/b/"]}, "overlap"),
        ({"acme": ["uploads/"], "beta": ["uploads"]}, "overlap"),
        ({"acme": ["/u/"]}, "bucket is empty"),
        ({"acme": [""]}, "bucket is empty"),
        ({"acme": ["uploads/u/../o/"]}, "'..'"),
        ({"acme": ["uploads/./u/"]}, "'.'"),
        ({"acme": ["../uploads"]}, "'..'"),
        ({"acme": ["elsewhere/u/"]}, "not in PIISCAN_BUCKETS"),
        ({"*": ["uploads/u/"]}, "cannot have scopes"),
    ],
)
def test_invalid_scopes_are_refused(scopes: dict[str, list[str]], message: str) -> None:
    with pytest.raises(ValidationError, match="PIISCAN_TENANT_SCOPES") as info:
        _settings(tenant_scopes=scopes)
    assert message in str(info.value)


def test_scopes_parse_from_the_environment_and_match_as_s3_prefixes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIISCAN_TENANT_SCOPES", '{"acme": ["uploads/u/", "plain"], "beta": ["uploads/u2"]}')
    monkeypatch.setenv("PIISCAN_BUCKETS", '["uploads", "plain"]')
    from piiscan.tenancy import Tenancy

    settings = Settings()
    assert settings.tenant_scopes == {"acme": ["uploads/u/", "plain"], "beta": ["uploads/u2"]}
    tenancy = Tenancy.of(settings)
    assert tenancy.owner("uploads", "u/1.png") == "acme" and tenancy.owner("plain", "deep/x") == "acme"
    assert tenancy.owner("uploads", "u2/1.png") == "beta" and tenancy.owner("uploads", "u20/1.png") == "beta"
    assert tenancy.owner("uploads", "x/1.png") is None and tenancy.owner("uploads", "u") is None
    assert tenancy.owner("uploads", "u/../u2/1.png") is None  # never in any scope
    # a tenant's own scopes may nest (no other tenant is involved); no bucket allow-list: any bucket
    assert Settings(buckets=[], tenant_scopes={"acme": ["b/u/", "b/u/deeper/"]}).tenant_scopes["acme"] == [
        "b/u/",
        "b/u/deeper/",
    ]
    monkeypatch.setenv("PIISCAN_TENANT_SCOPES", '{"acme": ["uploads/u/"], "beta": ["uploads/u/x"]}')
    with pytest.raises(ValidationError, match="overlap"):
        Settings()
