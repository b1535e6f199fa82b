"""The hook's per-request ``stop_at_first_critical``: stored on the upload (migration 0004),
honoured by the real Celery worker, and part of the reuse key (a partial report is never
handed to a request that wants every page read, nor the other way round)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from piiscan.scanner.early import PAGES_PER_CHECK
from piiscan.store.db import Database
from piiscan.store.models import Scan, Upload
from piiscan.synth.render import text_pdf

THREAT = ["Watch your back tonight when you leave the office."]


def _pdf(salt: str) -> bytes:
    pages = [THREAT] + [
        [f"Please write to the office at clerk{n}@example.com about the schedule."] for n in range(2, 11)
    ]
    pages[-1].append(f"Reference {salt}")  # bytes of this test run only
    return text_pdf(pages)


def _finished(db: Database, scan_id: str) -> dict[str, Any] | None:
    with db.session() as session:
        scan = session.get(Scan, scan_id)
        if scan is None or scan.status not in ("done", "failed"):
            return None
        return {
            "status": scan.status,
            "reused_from": scan.reused_from,
            "report": scan.report,
            "email_pages": sorted({f.page for f in scan.findings if f.entity_type == "EMAIL_ADDRESS"}),
        }


def test_the_request_flag_stops_the_worker_at_the_first_critical_page(
    api: TestClient,
    auth: dict[str, str],
    s3: Any,
    db: Database,
    worker: str,
    wait: Callable[..., Any],
    unique_key: Callable[[str], str],
) -> None:
    data = _pdf(unique_key("salt"))

    def request(flag: bool | None) -> str:
        key = unique_key("thread.pdf")
        s3.put_object(Bucket="uploads", Key=key, Body=data)
        body: dict[str, Any] = {"bucket": "uploads", "key": key}
        if flag is not None:
            body["stop_at_first_critical"] = flag
        response = api.post("/v1/hook/scans", json=body, headers=auth)
        assert response.status_code == 202, response.text
        scan_id: str = response.json()["scan_id"]
        return scan_id

    early_id = request(True)
    early = wait(lambda: _finished(db, early_id), "the scan that may stop early")
    assert early["status"] == "done" and early["report"]["severity"] == "critical"
    assert early["email_pages"] == list(range(2, PAGES_PER_CHECK + 1))
    assert [w["code"] for w in early["report"]["warnings"]] == ["stopped_at_critical"]
    with db.session() as session:
        upload = session.get(Scan, early_id).upload  # type: ignore[union-attr]
        assert isinstance(upload, Upload) and upload.stop_at_first_critical is True

    full_id = request(False)  # same bytes, but every page wanted: not the partial report
    full = wait(lambda: _finished(db, full_id), "the full scan")
    assert full["reused_from"] is None and full["email_pages"] == list(range(2, 11))
    assert not full["report"].get("warnings")

    again_id = request(True)  # same bytes and flag: the partial report is reused
    again = wait(lambda: _finished(db, again_id), "the second early scan")
    assert again["reused_from"] == early_id and again["email_pages"] == early["email_pages"]

    default_id = request(None)  # no flag: the service's setting (off in these tests) applies
    default = wait(lambda: _finished(db, default_id), "the scan without a flag")
    assert default["reused_from"] == full_id
