"""Every moderation endpoint tried with every role (table-driven); no response carries a raw value."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from piiscan.store.db import Database

H = dict[str, dict[str, str]]


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 120), "white").save(buffer, format="PNG")
    return buffer.getvalue()


PNG = _png()
ROLES = ("anonymous", "hook", "reviewer", "other_reviewer", "admin")


@dataclass
class Ctx:
    item_id: str
    package_id: str
    report_id: str
    secret: str
    url: str


Call = Callable[[TestClient, dict[str, str], Ctx], httpx.Response]


def _claim_then(action: str) -> Call:
    def call(api: TestClient, headers: dict[str, str], ctx: Ctx) -> httpx.Response:
        api.post(f"/v1/review/items/{ctx.item_id}/claim", headers=headers)
        body = {"decision": "reject", "reason": "role matrix"} if action == "decision" else None
        return api.post(f"/v1/review/items/{ctx.item_id}/{action}", headers=headers, json=body)

    return call


ENDPOINTS: dict[str, Call] = {
    "list queue": lambda api, h, c: api.get("/v1/review/items", headers=h),
    "get item": lambda api, h, c: api.get(f"/v1/review/items/{c.item_id}", headers=h),
    "claim": lambda api, h, c: api.post(f"/v1/review/items/{c.item_id}/claim", headers=h),
    "release": _claim_then("release"),
    "decide": _claim_then("decision"),
    "list packages": lambda api, h, c: api.get("/v1/admin/packages", headers=h),
    "package json": lambda api, h, c: api.get(f"/v1/admin/packages/{c.package_id}", headers=h),
    "package html": lambda api, h, c: api.get(f"/v1/admin/packages/{c.package_id}/html", headers=h),
    "audit log": lambda api, h, c: api.get("/v1/admin/audit", headers=h),
    "preview": lambda api, h, c: api.get(f"/v1/review/items/{c.item_id}/preview.png", headers=h),
    "reveal": lambda api, h, c: api.post(
        f"/v1/review/items/{c.item_id}/reveal", headers=h, json={"reason": "role matrix"}
    ),
    "create report": lambda api, h, c: api.post(
        "/v1/reports", headers=h, json={"url": c.url, "category": "abusive", "description": "threats"}
    ),
    "report status": lambda api, h, c: api.get(
        f"/v1/reports/{c.report_id}", headers={**h, "X-Report-Secret": c.secret}
    ),
}

REVIEW = {"anonymous": 401, "hook": 403, "reviewer": 200, "other_reviewer": 404, "admin": 200}
ADMIN = {"anonymous": 401, "hook": 403, "reviewer": 403, "other_reviewer": 403, "admin": 200}
PUBLIC = dict.fromkeys(ROLES, 200)
EXPECTED: dict[str, dict[str, int]] = {
    "list queue": {**REVIEW, "other_reviewer": 200},  # their (other tenant's) queue
    "get item": REVIEW,
    "claim": REVIEW,
    "release": REVIEW,
    "decide": REVIEW,
    "list packages": ADMIN,
    "package json": ADMIN,
    "package html": ADMIN,
    "audit log": ADMIN,
    "preview": REVIEW,
    "reveal": REVIEW,
    "create report": PUBLIC,  # 200: the same client reported this upload already (deduplicated)
    "report status": PUBLIC,
}


@pytest.fixture
def ctx(
    api: TestClient,
    db: Database,
    s3: Any,
    role_headers: H,
    flagged_scan: Callable[..., str],
    item_of: Callable[[str], Any],
    unique_key: Callable[[str], str],
) -> Ctx:
    admin = role_headers["admin"]
    reported = item_of(flagged_scan(ip="192.0.2.1"))
    api.post(f"/v1/review/items/{reported}/claim", headers=admin)
    package_id = api.post(
        f"/v1/review/items/{reported}/decision", headers=admin, json={"decision": "report", "reason": "illegal"}
    ).json()["package_id"]
    key = unique_key("matrix.png")
    put = s3.put_object(Bucket="uploads", Key=key, Body=PNG)
    scan_id = flagged_scan(key=key, version_id=put["VersionId"])
    api.app.state.report_limiter.reset()  # type: ignore[attr-defined]
    made = api.post(
        "/v1/reports", json={"bucket": "uploads", "key": key, "category": "abusive", "description": "threats"}
    ).json()
    return Ctx(item_of(scan_id), package_id, made["report_id"], made["secret"], f"s3://uploads/{key}")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_role_matrix(
    endpoint: str, role: str, api: TestClient, role_headers: H, ctx: Ctx, no_raw: Callable[..., None]
) -> None:
    response = ENDPOINTS[endpoint](api, role_headers[role], ctx)
    assert response.status_code == EXPECTED[endpoint][role], (endpoint, role, response.text)
    no_raw(response.text)
    if endpoint == "list queue" and role == "other_reviewer":
        assert ctx.item_id not in response.text


def test_report_creation_needs_no_token(api: TestClient, role_headers: H) -> None:
    api.app.state.report_limiter.reset()  # type: ignore[attr-defined]
    response = api.post("/v1/reports", json={"url": "s3://uploads/none", "category": "illegal", "description": "x"})
    assert response.status_code == 404  # reached the lookup: no 401 without a token


def test_tokens_are_stored_as_keyed_hashes(db: Database, role_headers: H) -> None:
    from sqlalchemy import select

    from piiscan.store.models import Principal

    tokens = [h["Authorization"].removeprefix("Bearer ") for h in role_headers.values() if h]
    with db.session() as session:
        rows = list(session.scalars(select(Principal)))
    assert {p.name for p in rows} >= {"ada", "bo", "cy", "dee"}
    assert all(len(p.token_hash) == 64 and p.token_hash not in tokens for p in rows)
    assert all(t not in str(p.__dict__) for p in rows for t in tokens)
