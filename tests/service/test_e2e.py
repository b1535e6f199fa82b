"""End to end: object in S3 → bucket notification → real Celery worker → PostgreSQL → signed webhook."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select

from piiscan.settings import Settings
from piiscan.store.db import Database
from piiscan.store.models import Scan, Upload, WebhookDelivery
from piiscan.workers.webhooks import SIGNATURE_HEADER, verify

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
ARTIFACTS = REPO / "test-artifacts"


def finished(db: Database, scan_id: str) -> dict[str, Any] | None:
    with db.session() as session:
        scan = session.get(Scan, scan_id)
        if scan is None or scan.status not in ("done", "failed"):
            return None
        return {
            "status": scan.status,
            "verdict": scan.verdict,
            "report": scan.report,
            "reused_from": scan.reused_from,
            "failure_code": scan.failure_code,
            "failure_reason": scan.failure_reason,
            "sha256": scan.sha256,
            "findings": [(f.entity_type, f.masked) for f in scan.findings],
            "verdicts": [(v.verdict, v.decided_by, v.rule_pack_version) for v in scan.verdicts],
            "uploader_name": scan.upload.uploader_name,
        }


def notify(api: TestClient, auth: dict[str, str], event: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/v1/hook/s3-events", json=event, headers=auth)
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


def test_notification_is_scanned_by_a_worker_stored_and_signed_webhook(
    api: TestClient,
    auth: dict[str, str],
    s3: Any,
    db: Database,
    worker: str,
    receiver: Any,
    service_settings: Settings,
    make_event: Callable[..., dict[str, Any]],
    wait: Callable[..., Any],
    unique_key: Callable[[str], str],
) -> None:
    key = unique_key("letter scan.png")  # a space: keys arrive URL-encoded in events
    put = s3.put_object(
        Bucket="uploads",
        Key=key,
        Body=(SAMPLES / "letter.png").read_bytes(),
        Metadata={"piiscan-visibility": "private", "piiscan-uploader-id": "u-17"},
    )
    event = make_event("uploads", key, version_id=put["VersionId"], etag=put["ETag"].strip('"'))
    accepted = notify(api, auth, event)
    assert accepted["ignored"] == 0 and len(accepted["scans"]) == 1
    scan_id = accepted["scans"][0]["scan_id"]
    assert accepted["scans"][0]["duplicate"] is False and accepted["scans"][0]["key"] == key

    row = wait(lambda: finished(db, scan_id), "the scan to finish")
    assert row["status"] == "done", row
    assert row["verdict"] == "personal_data"
    assert row["findings"] == [(f["entity_type"], f["masked"]) for f in row["report"]["findings"]]
    assert {"EMAIL_ADDRESS", "PHONE_NUMBER"} <= {entity for entity, _ in row["findings"]}
    assert all("text" not in f for f in row["report"]["findings"])
    assert row["verdicts"][0][1] == "scanner" and row["verdicts"][0][2] == row["report"]["rule_pack_version"]
    assert row["uploader_name"] is None  # identity erased once the scan ended

    calls = wait(lambda: receiver.for_scan(scan_id), "the webhook")
    call = calls[0]
    assert verify(secret_of(service_settings), call.headers.get(SIGNATURE_HEADER), call.body)
    assert not verify("another-secret-entirely", call.headers.get(SIGNATURE_HEADER), call.body)
    payload = call.json()
    assert payload["event"] == "scan.completed" and payload["status"] == "done"
    assert payload["verdict"] == row["verdict"] and payload["object"]["key"] == key
    assert payload["visibility"] == "private" and payload["uploader_id"] == "u-17"
    assert "text" not in json.dumps(payload["report"]["findings"])
    assert call.headers.get("X-Piiscan-Event") == "scan.completed"

    # the API serves the same masked report
    status = api.get(f"/v1/scans/{scan_id}", headers=auth).json()
    assert status["status"] == "done" and status["report"] == row["report"]
    delivered = wait(
        lambda: [
            d
            for d in api.get(f"/v1/scans/{scan_id}", headers=auth).json()["webhook_deliveries"]
            if d["status"] == "delivered"
        ],
        "the delivery to be recorded",
    )
    assert delivered[0]["attempts"] == 1 and delivered[0]["last_status_code"] == 204


def secret_of(settings: Settings) -> str:
    return settings.webhook_secret.get_secret_value()


def test_findings_table_holds_no_raw_values(db: Database) -> None:
    columns = {c["name"] for c in inspect(db.engine).get_columns("findings")}
    assert "text" not in columns and "masked" in columns


def test_same_object_notified_ten_times_is_scanned_once(
    api: TestClient,
    auth: dict[str, str],
    s3: Any,
    db: Database,
    worker: str,
    receiver: Any,
    make_event: Callable[..., dict[str, Any]],
    wait: Callable[..., Any],
    unique_key: Callable[[str], str],
) -> None:
    key = unique_key("chat.png")
    put = s3.put_object(Bucket="uploads", Key=key, Body=(SAMPLES / "chat-screenshot.png").read_bytes())
    event = make_event("uploads", key, version_id=put["VersionId"])
    with ThreadPoolExecutor(max_workers=5) as pool:
        answers = list(pool.map(lambda _: notify(api, auth, event), range(10)))
    scan_ids = {a["scans"][0]["scan_id"] for a in answers}
    assert len(scan_ids) == 1
    assert sum(1 for a in answers if not a["scans"][0]["duplicate"]) == 1
    scan_id = scan_ids.pop()
    wait(lambda: finished(db, scan_id), "the scan to finish")
    wait(lambda: receiver.for_scan(scan_id), "the webhook")
    assert notify(api, auth, event)["scans"][0] == {**answers[0]["scans"][0], "status": "done", "duplicate": True}
    with db.session() as session:
        uploads = session.scalar(select(func.count()).select_from(Upload).where(Upload.object_key == key))
        scans = session.scalar(select(func.count()).select_from(Scan).join(Upload).where(Upload.object_key == key))
        deliveries = session.scalar(
            select(func.count()).select_from(WebhookDelivery).where(WebhookDelivery.scan_id == scan_id)
        )
    assert (uploads, scans, deliveries) == (1, 1, 1)
    assert len(receiver.for_scan(scan_id)) == 1


def test_same_bytes_under_another_key_reuse_the_result(
    api: TestClient,
    auth: dict[str, str],
    s3: Any,
    db: Database,
    worker: str,
    make_event: Callable[..., dict[str, Any]],
    wait: Callable[..., Any],
    unique_key: Callable[[str], str],
) -> None:
    data = (SAMPLES / "invoice.pdf").read_bytes()
    first_key, second_key = unique_key("invoice.pdf"), unique_key("copy-of-invoice.pdf")
    first = notify(
        api, auth, make_event("plain", first_key, etag=s3.put_object(Bucket="plain", Key=first_key, Body=data)["ETag"])
    )
    first_id = first["scans"][0]["scan_id"]
    first_row = wait(lambda: finished(db, first_id), "the first scan")
    second = notify(
        api,
        auth,
        make_event("plain", second_key, etag=s3.put_object(Bucket="plain", Key=second_key, Body=data)["ETag"]),
    )
    second_id = second["scans"][0]["scan_id"]
    assert second_id != first_id
    second_row = wait(lambda: finished(db, second_id), "the second scan")
    assert second_row["reused_from"] == first_id
    assert second_row["verdict"] == first_row["verdict"] and second_row["sha256"] == first_row["sha256"]
    assert second_row["report"]["source"] == f"s3://plain/{second_key}"
    assert second_row["findings"] == first_row["findings"]


def test_object_gone_before_the_worker_reads_it_ends_failed_with_reason(
    api: TestClient,
    service_settings: Settings,
    db: Database,
    worker: str,
    receiver: Any,
    wait: Callable[..., Any],
    unique_key: Callable[[str], str],
) -> None:
    from piiscan.store import repo
    from piiscan.workers.celery_app import make_celery
    from piiscan.workers.dispatch import CeleryDispatcher

    key = unique_key("deleted.png")
    scan, created = repo.request_scan(
        db,
        repo.NewUpload(
            tenant="acme",
            bucket="uploads",
            key=key,
            version="v:gone",
            version_id="gone",
            etag=None,
            size=10,
            origin="api",
            callback_url=receiver.url,
        ),
    )
    assert created
    CeleryDispatcher(make_celery(service_settings), service_settings.task_queue).scan(scan.id)
    row = wait(lambda: finished(db, scan.id), "the scan to fail")
    assert row["status"] == "failed" and row["failure_code"] == "not_found"
    assert key in row["failure_reason"]
    payload = wait(lambda: receiver.for_scan(scan.id), "the failure webhook")[0].json()
    assert payload["event"] == "scan.failed" and payload["failure"]["code"] == "not_found"


def test_latency_notification_to_webhook(
    api: TestClient,
    auth: dict[str, str],
    s3: Any,
    db: Database,
    worker: str,
    receiver: Any,
    make_event: Callable[..., dict[str, Any]],
    wait: Callable[..., Any],
    unique_key: Callable[[str], str],
) -> None:
    """Measures (does not assert) notification → signed webhook for one image on a warm worker."""
    warm_key = unique_key("warm.png")
    warm = s3.put_object(Bucket="uploads", Key=warm_key, Body=(SAMPLES / "clean-notice.png").read_bytes())
    warm_id = notify(api, auth, make_event("uploads", warm_key, version_id=warm["VersionId"]))["scans"][0]["scan_id"]
    wait(lambda: receiver.for_scan(warm_id), "the warm-up webhook")

    key = unique_key("passport.png")
    put = s3.put_object(Bucket="uploads", Key=key, Body=(SAMPLES / "passport.png").read_bytes())
    started = time.monotonic()
    scan_id = notify(api, auth, make_event("uploads", key, version_id=put["VersionId"]))["scans"][0]["scan_id"]
    call = wait(lambda: receiver.for_scan(scan_id), "the webhook", every=0.01)[0]
    seconds = call.at - started
    row = finished(db, scan_id)
    assert row is not None
    record = {
        "image": "samples/passport.png",
        "notification_to_webhook_s": round(seconds, 3),
        "scan_elapsed_ms": row["report"]["elapsed_ms"],
        "verdict": row["verdict"],
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "service-latency.json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"\nnotification → webhook: {json.dumps(record)}")
