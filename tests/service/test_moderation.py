"""The review queue over the real API and PostgreSQL: items, claims and leases, decisions, packages."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from piiscan.store.db import Database
from piiscan.store.models import ReviewItem, Upload, WebhookDelivery, utcnow

H = dict[str, dict[str, str]]


def _get(api: TestClient, path: str, headers: dict[str, str], no_raw: Callable[..., None], **params: Any) -> Any:
    response = api.get(path, headers=headers, params=params)
    assert response.status_code == 200, response.text
    no_raw(response.text)
    return response.json()


def _post(api: TestClient, path: str, headers: dict[str, str], no_raw: Callable[..., None], **body: Any) -> Any:
    response = api.post(path, headers=headers, json=body or None)
    no_raw(response.text)
    return response


def test_flagged_scans_become_pending_items_clean_ones_do_not(
    flagged_scan: Callable[..., str], item_of: Callable[[str], str | None], db: Database
) -> None:
    flagged = flagged_scan(severity="medium", ip="198.51.100.7", user_agent="Mozilla/5.0 test")
    clean = flagged_scan(verdict="clean", severity="none", entities=(), ip="198.51.100.8", user_agent="ua")
    below = flagged_scan(verdict="own_data", severity="none", entities=("PERSON",))
    item_id = item_of(flagged)
    assert item_id is not None and item_of(clean) is None and item_of(below) is None
    with db.session() as session:
        item = session.get(ReviewItem, item_id)
        assert item is not None
        assert (item.status, item.verdict, item.severity, item.entity_types) == (
            "pending",
            "third_party_data",
            "medium",
            ",EMAIL_ADDRESS,PERSON,",
        )
        kept = session.get(Upload, item.scan.upload_id)
        assert kept is not None and (kept.uploader_ip, kept.uploader_user_agent) == ("198.51.100.7", "Mozilla/5.0 test")
        assert kept.uploader_name is None  # the matching identity is erased as before
        erased = session.scalars(select(Upload).join(Upload.scan).where(Upload.scan.has(id=clean))).one()
        assert (erased.uploader_ip, erased.uploader_user_agent) == (None, None)


def test_queue_orders_by_priority_severity_then_age_and_filters(
    api: TestClient,
    role_headers: H,
    flagged_scan: Callable[..., str],
    item_of: Callable[[str], str | None],
    db: Database,
    no_raw: Callable[..., None],
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    low_old = item_of(flagged_scan(tenant=tenant, severity="low", entities=("PHONE_NUMBER",)))
    critical = item_of(flagged_scan(tenant=tenant, severity="critical", verdict="abusive", entities=()))
    low_new = item_of(flagged_scan(tenant=tenant, severity="low", entities=("PERSON",)))
    high = item_of(flagged_scan(tenant=tenant, severity="high"))
    admin = role_headers["admin"]
    listed = _get(api, "/v1/review/items", admin, no_raw, tenant=tenant)["items"]
    assert [i["id"] for i in listed] == [critical, high, low_old, low_new]
    with db.session() as session:  # an abuse report's priority outranks severity
        row = session.get(ReviewItem, low_new)
        assert row is not None
        row.priority = 1
    listed = _get(api, "/v1/review/items", admin, no_raw, tenant=tenant)["items"]
    assert [i["id"] for i in listed] == [low_new, critical, high, low_old]
    by_verdict = _get(api, "/v1/review/items", admin, no_raw, tenant=tenant, verdict="abusive")["items"]
    assert [i["id"] for i in by_verdict] == [critical]
    by_entity = _get(api, "/v1/review/items", admin, no_raw, tenant=tenant, entity_type="PHONE_NUMBER")["items"]
    assert [i["id"] for i in by_entity] == [low_old]
    assert _get(api, "/v1/review/items", admin, no_raw, tenant=tenant, entity_type="PERS")["items"] == []
    assert api.get("/v1/review/items", headers=admin, params={"status": "nonsense"}).status_code == 400
    # reviewers see only their tenants
    assert _get(api, "/v1/review/items", role_headers["reviewer"], no_raw, tenant=tenant)["items"] == []


def test_claim_lease_expiry_and_decisions(
    api: TestClient,
    role_headers: H,
    flagged_scan: Callable[..., str],
    item_of: Callable[[str], str | None],
    db: Database,
    no_raw: Callable[..., None],
) -> None:
    ada, bo = role_headers["reviewer"], role_headers["reviewer2"]
    item_id = item_of(flagged_scan())
    base = f"/v1/review/items/{item_id}"
    # pending: deciding needs a claim first
    assert _post(api, f"{base}/decision", ada, no_raw, decision="approve", reason="fine").status_code == 409
    claimed = _post(api, f"{base}/claim", ada, no_raw)
    assert claimed.status_code == 200 and claimed.json()["status"] == "in_review"
    assert claimed.json()["claimed_by"] == "ada" and claimed.json()["lease_expires_at"]
    # someone else holds it: no claim, no decision
    assert _post(api, f"{base}/claim", bo, no_raw).json()["code"] == "claimed"
    assert _post(api, f"{base}/decision", bo, no_raw, decision="reject", reason="not ok").json()["code"] == "lease_lost"
    # the lease expires: bo may take it, ada may no longer decide
    with db.session() as session:
        row = session.get(ReviewItem, item_id)
        assert row is not None
        row.lease_expires_at = utcnow() - timedelta(seconds=1)
    assert _post(api, f"{base}/claim", bo, no_raw).json()["claimed_by"] == "bo"
    assert (
        _post(api, f"{base}/decision", ada, no_raw, decision="approve", reason="fine by me").json()["code"]
        == "lease_lost"
    )
    # release and claim again
    assert _post(api, f"{base}/release", ada, no_raw).status_code == 409
    assert _post(api, f"{base}/release", bo, no_raw).json()["status"] == "pending"
    assert _post(api, f"{base}/claim", bo, no_raw).status_code == 200
    decided = _post(api, f"{base}/decision", bo, no_raw, decision="approve", reason="A news photo, consented.")
    assert decided.status_code == 200, decided.text
    assert decided.json()["item"]["status"] == "approved" and decided.json()["package_id"] is None
    # decided: no claim; a re-decision by anyone with access, audited
    assert _post(api, f"{base}/claim", ada, no_raw).json()["code"] == "already_decided"
    again = _post(api, f"{base}/decision", ada, no_raw, decision="reject", reason="The consent was not shown.")
    assert again.status_code == 200 and again.json()["decision"]["previous_status"] == "approved"
    detail = _get(api, base, ada, no_raw)
    assert [(d["decision"], d["decided_by"]) for d in detail["decisions"]] == [("approved", "bo"), ("rejected", "ada")]
    assert detail["findings"][0]["masked"].startswith("[") and detail["rules"][0]["id"] == "t.rule"
    audit = _get(api, "/v1/admin/audit", role_headers["admin"], no_raw, target_id=item_id)["entries"]
    actions = [(e["action"], e["actor"]) for e in reversed(audit)]
    assert actions == [
        ("claim", "ada"),
        ("claim", "bo"),
        ("release", "bo"),
        ("claim", "bo"),
        ("decide", "bo"),
        ("redecide", "ada"),
    ]
    assert audit[0]["detail"]["reason"] == "The consent was not shown."
    assert api.post(f"{base}/decision", headers=ada, json={"decision": "delete", "reason": "x"}).status_code == 422


def test_decisions_are_sent_as_signed_webhooks_with_hide_or_restore(
    api: TestClient,
    role_headers: H,
    flagged_scan: Callable[..., str],
    item_of: Callable[[str], str | None],
    db: Database,
    receiver: Any,
    no_raw: Callable[..., None],
) -> None:
    scan_id = flagged_scan(callback_url=receiver.url)
    item_id = item_of(scan_id)
    ada = role_headers["reviewer"]
    _post(api, f"/v1/review/items/{item_id}/claim", ada, no_raw)
    first = _post(api, f"/v1/review/items/{item_id}/decision", ada, no_raw, decision="reject", reason="doxxing")
    second = _post(api, f"/v1/review/items/{item_id}/decision", ada, no_raw, decision="approve", reason="mistake")
    ids = [first.json()["webhook_delivery_id"], second.json()["webhook_delivery_id"]]
    with db.session() as session:
        rows = [session.get(WebhookDelivery, i) for i in ids]
        bodies = [json.loads(r.body) for r in rows if r is not None]
        assert [r.event for r in rows if r is not None] == ["review.decided", "review.decided"]
    assert [(b["decision"], b["action"]) for b in bodies] == [("rejected", "hide"), ("approved", "restore")]
    assert all(b["scan_id"] == scan_id and b["review_item_id"] == item_id for b in bodies)
    assert "reason" not in bodies[0]  # free text a reviewer typed stays in piiscan


def test_report_decision_builds_a_package_only_admins_download(
    api: TestClient,
    role_headers: H,
    flagged_scan: Callable[..., str],
    item_of: Callable[[str], str | None],
    no_raw: Callable[..., None],
) -> None:
    scan_id = flagged_scan(ip="203.0.113.50", user_agent="Mozilla/5.0 (X11) uploader")
    item_id = item_of(scan_id)
    ada, admin = role_headers["reviewer"], role_headers["admin"]
    _post(api, f"/v1/review/items/{item_id}/claim", ada, no_raw)
    decided = _post(api, f"/v1/review/items/{item_id}/decision", ada, no_raw, decision="report", reason="Doxxing.")
    assert decided.status_code == 200
    package_id = decided.json()["package_id"]
    assert package_id
    assert api.get(f"/v1/admin/packages/{package_id}", headers=ada).status_code == 403
    listed = _get(api, "/v1/admin/packages", admin, no_raw, item_id=item_id)["packages"]
    assert [p["id"] for p in listed] == [package_id]
    response = api.get(f"/v1/admin/packages/{package_id}", headers=admin)
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    no_raw(response.text)
    package = response.json()
    assert package["uploader"] == {
        "account_id": "u-42",
        "upload_time": package["uploader"]["upload_time"],
        "ip": "203.0.113.50",
        "user_agent": "Mozilla/5.0 (X11) uploader",
    }
    assert package["decision"]["decision"] == "reported" and package["decision"]["reason"] == "Doxxing."
    assert package["evidence"]["scan_id"] == scan_id and package["upload"]["bucket"] == "uploads"
    assert {f["entity_type"] for f in package["evidence"]["findings"]} == {"PERSON", "EMAIL_ADDRESS"}
    page = api.get(f"/v1/admin/packages/{package_id}/html", headers=admin)
    assert page.status_code == 200 and "Disclosure package" in page.text and "203.0.113.50" in page.text
    no_raw(page.text)
    audit = _get(api, "/v1/admin/audit", admin, no_raw, target_id=package_id)["entries"]
    assert [(e["action"], e["actor"], e["detail"]["format"]) for e in audit] == [
        ("package_download", "dee", "html"),
        ("package_download", "dee", "json"),
    ]
    # approving does not make one; reporting again makes a second, for that decision
    again = _post(api, f"/v1/review/items/{item_id}/decision", ada, no_raw, decision="approve", reason="appeal won")
    assert again.json()["package_id"] is None
    assert len(_get(api, "/v1/admin/packages", admin, no_raw, item_id=item_id)["packages"]) == 1


def test_json_preview_is_redacted_and_reveal_is_logged_first(
    api: TestClient,
    s3: Any,
    role_headers: H,
    flagged_scan: Callable[..., str],
    item_of: Callable[[str], str | None],
    unique_key: Callable[[str], str],
) -> None:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (400, 200), "red").save(buffer, format="PNG")
    key = unique_key("red.png")
    put = s3.put_object(Bucket="uploads", Key=key, Body=buffer.getvalue())
    item_id = item_of(flagged_scan(key=key, version_id=put["VersionId"], entities=("PERSON",)))
    ada = role_headers["reviewer"]
    redacted = api.get(f"/v1/review/items/{item_id}/preview.png", headers=ada)
    assert redacted.status_code == 200 and redacted.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(redacted.content)).convert("RGB")
    assert image.getpixel((100, 25)) == (0, 0, 0) and image.getpixel((350, 150)) == (255, 0, 0)
    audit_before = api.get("/v1/admin/audit", headers=role_headers["admin"], params={"target_id": item_id}).json()
    assert audit_before["entries"] == []  # a preview is not a reveal
    assert api.post(f"/v1/review/items/{item_id}/reveal", headers=ada, json={"reason": ""}).status_code == 422
    raw = api.post(f"/v1/review/items/{item_id}/reveal", headers=ada, json={"reason": "is the box a name?"})
    assert raw.status_code == 200 and raw.headers["cache-control"] == "no-store"
    assert Image.open(io.BytesIO(raw.content)).convert("RGB").getpixel((100, 25)) == (255, 0, 0)
    audit = api.get("/v1/admin/audit", headers=role_headers["admin"], params={"target_id": item_id}).json()
    [entry] = audit["entries"]
    assert (entry["action"], entry["actor"], entry["detail"]) == (
        "reveal",
        "ada",
        {"reason": "is the box a name?", "page": 1},
    )
    assert (
        api.post(f"/v1/review/items/{item_id}/reveal", headers=ada, json={"reason": "x2x", "page": 3}).status_code
        == 404
    )


def test_a_page_with_an_unplaceable_finding_is_pixelated_whole(service_settings: Any) -> None:
    import io

    from PIL import Image

    from piiscan.api import preview

    stripes = Image.new("RGB", (240, 96), "white")
    for x in range(0, 240, 2):
        for y in range(96):
            stripes.putpixel((x, y), (0, 0, 0))
    buffer = io.BytesIO()
    stripes.save(buffer, format="PNG")
    text_finding = {"page": 1, "source": "text_layer", "bbox": None, "origin": None}
    exif_finding = {"page": 1, "source": "metadata", "bbox": None, "origin": "image metadata"}
    assert preview.boxes_on([exif_finding], 1) == ([], False)
    assert preview.boxes_on([text_finding], 1) == ([], True)
    assert preview.boxes_on([text_finding], 2) == ([], False)
    kept = Image.open(io.BytesIO(preview.redacted_page(buffer.getvalue(), 1, [exif_finding], service_settings)))
    assert kept.convert("RGB").getpixel((0, 0)) != kept.convert("RGB").getpixel((1, 0))
    hidden = Image.open(io.BytesIO(preview.redacted_page(buffer.getvalue(), 1, [text_finding], service_settings)))
    assert hidden.convert("RGB").getpixel((0, 0)) == hidden.convert("RGB").getpixel((1, 0))
