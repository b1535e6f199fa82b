"""End to end: a real upload scanned by the worker lands in the queue; a reviewer reports it; the
platform gets the signed decision; an admin downloads the package; no raw value in any response."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from piiscan.settings import Settings
from piiscan.workers.webhooks import SIGNATURE_HEADER, verify

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
H = dict[str, dict[str, str]]


def test_scanned_upload_is_queued_reported_notified_and_disclosed(
    api: TestClient,
    s3: Any,
    worker: str,
    receiver: Any,
    service_settings: Settings,
    role_headers: H,
    item_of: Callable[[str], str | None],
    wait: Callable[..., Any],
    unique_key: Callable[[str], str],
    no_raw: Callable[..., None],
) -> None:
    key = unique_key("letter.png")
    put = s3.put_object(Bucket="uploads", Key=key, Body=(SAMPLES / "letter.png").read_bytes())
    hook = {
        "bucket": "uploads",
        "key": key,
        "version_id": put["VersionId"],
        "visibility": "public",
        "callback_url": receiver.url,
        "uploader": {"id": "u-9", "name": "Jon Doe", "ip": "2001:db8::7", "user_agent": "Platform-App/3.1"},
    }
    accepted = api.post("/v1/hook/scans", json=hook, headers=role_headers["hook"])
    assert accepted.status_code == 202, accepted.text
    scan_id = accepted.json()["scan_id"]
    item_id = wait(lambda: item_of(scan_id), "the review item of the scanned letter")

    responses: list[str] = []

    def call(method: str, path: str, headers: dict[str, str], **kwargs: Any) -> Any:
        response = api.request(method, path, headers=headers, **kwargs)
        assert response.status_code == 200, response.text
        responses.append(response.text)
        return response.json() if "json" in response.headers.get("content-type", "") else response.text

    ada, admin = role_headers["reviewer"], role_headers["admin"]
    queue = call("GET", "/v1/review/items", ada, params={"entity_type": "EMAIL_ADDRESS"})["items"]
    assert item_id in [i["id"] for i in queue]
    detail = call("GET", f"/v1/review/items/{item_id}", ada)
    assert detail["verdict"] != "clean" and {"EMAIL_ADDRESS", "PHONE_NUMBER"} <= set(detail["entity_types"])
    assert detail["rules"] and all(r["reason"] for r in detail["rules"])
    call("POST", f"/v1/review/items/{item_id}/claim", ada)
    decided = call(
        "POST", f"/v1/review/items/{item_id}/decision", ada, json={"decision": "report", "reason": "Doxxing a tenant."}
    )
    package = call("GET", f"/v1/admin/packages/{decided['package_id']}", admin)
    assert package["uploader"]["ip"] == "2001:db8::7" and package["uploader"]["user_agent"] == "Platform-App/3.1"
    assert package["uploader"]["account_id"] == "u-9" and "Jon Doe" not in str(package)
    call("GET", f"/v1/admin/packages/{decided['package_id']}/html", admin)
    call("GET", f"/v1/scans/{scan_id}", role_headers["hook"])

    def decision_call() -> Any:
        return [c for c in receiver.for_scan(scan_id) if c.headers.get("X-Piiscan-Event") == "review.decided"]

    [received] = wait(decision_call, "the signed review.decided webhook")
    secret = service_settings.webhook_secret.get_secret_value()
    assert verify(secret, received.headers.get(SIGNATURE_HEADER), received.body)
    assert received.json()["action"] == "hide" and received.json()["decision"] == "reported"
    responses.append(received.body.decode())
    no_raw(*responses)
