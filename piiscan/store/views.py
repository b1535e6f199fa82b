"""A scan as the API returns it and the webhook sends it: masked, no uploader identity."""

from __future__ import annotations

import json
from typing import Any

from piiscan.store.models import Scan, ScanRow, WebhookDelivery


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def scan_document(scan: Scan | ScanRow, *, deliveries: bool = False) -> dict[str, Any]:
    upload = scan.upload
    doc: dict[str, Any] = {
        "scan_id": scan.id,
        "tenant": scan.tenant,
        "status": scan.status,
        "object": {
            "bucket": upload.bucket,
            "key": upload.object_key,
            "version_id": upload.version_id,
            "etag": upload.etag,
        },
        "visibility": upload.visibility,
        "uploader_id": upload.uploader_id,
        "attempts": scan.attempts,
        "verdict": scan.verdict,
        "severity": scan.severity,
        "rule_pack_version": scan.rule_pack_version,
        "sha256": scan.sha256,
        "failure": {"code": scan.failure_code, "reason": scan.failure_reason} if scan.status == "failed" else None,
        "reused_from": scan.reused_from,
        "rescans": scan.rescans or 0,
        "report": scan.report,
        "created_at": _iso(scan.created_at),
        "finished_at": _iso(scan.finished_at),
    }
    if deliveries:
        assert isinstance(scan, Scan), "a scan's deliveries are read from the ORM"
        doc["webhook_deliveries"] = [delivery_document(d) for d in scan.deliveries]
    return doc


def webhook_body(scan: Scan | ScanRow, event: str) -> str:
    """The body of a scan's webhook: its document plus ``event``, compact, keys sorted."""
    return json.dumps({"event": event, **scan_document(scan)}, sort_keys=True, separators=(",", ":"))


def delivery_document(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "event": delivery.event,
        "url": delivery.url,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "delivered_at": _iso(delivery.delivered_at),
    }
