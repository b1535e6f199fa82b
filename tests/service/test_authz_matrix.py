"""The authorization matrix: every route of the app by every caller, as one table-driven test.

The cases are generated from the app's own routes, so a route added without a row here fails
(``no matrix entry``). Callers: nobody, a tenant's hook, a reviewer of that tenant, a reviewer of
another tenant, an admin. API routes take the role's bearer token; the reviewer pages take the session
cookie that logging in with the role's token gives (a hook token cannot log in). No response may carry
a raw value planted in the uploads.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from pydantic import SecretStr

from piiscan.settings import Settings

ROLES = ("anonymous", "hook", "reviewer", "other_reviewer", "admin")
LOGIN = "login"
"""Expected: 303 to the login page (a reviewer page without a session)."""


def _routes(app: FastAPI) -> list[str]:
    """``"METHOD /path"`` of every route the app serves (HEAD is GET's)."""
    try:
        from fastapi.routing import iter_route_contexts

        contexts: list[Any] = list(iter_route_contexts(app.routes))
    except ImportError:  # FastAPI before included-router contexts: a flat list
        contexts = list(app.routes)
    out = {f"{m} {c.path}" for c in contexts for m in (c.methods or ()) if m != "HEAD"}
    return sorted(out)


def _listing_app() -> FastAPI:
    """The app built as the service builds it; only its routes are read (nothing connects)."""
    from piiscan.api import create_app

    settings = Settings(
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none",
        buckets=["uploads"],
        hook_tokens={"acme": SecretStr("x" * 24)},
        webhook_secret=SecretStr("y" * 24),
    )
    return create_app(settings)


ROUTES = _routes(_listing_app())


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 120), "white").save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class Ctx:
    item_id: str
    scan_id: str
    package_id: str
    report_id: str
    secret: str
    url: str
    key: str
    version_id: str


Call = Callable[[TestClient, dict[str, str], Ctx], httpx.Response]


def _claim_then(action: str) -> Call:
    def call(api: TestClient, h: dict[str, str], c: Ctx) -> httpx.Response:
        api.post(f"/v1/review/items/{c.item_id}/claim", headers=h)
        body = {"decision": "reject", "reason": "role matrix"} if action == "decision" else None
        return api.post(f"/v1/review/items/{c.item_id}/{action}", headers=h, json=body)

    return call


def _page(method: str, path: str, form: dict[str, str] | None = None) -> Call:
    def call(api: TestClient, cookies: dict[str, str], c: Ctx) -> httpx.Response:
        url = path.format(item_id=c.item_id, package_id=c.package_id)
        api.cookies.clear()
        api.cookies.update(cookies)
        try:
            data = dict(form or {})
            if method == "POST":  # a form of the pages carries the session's CSRF token
                found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', api.get("/review").text)
                data["csrf_token"] = found.group(1) if found else ""
            return api.request(method, url, data=data or None, follow_redirects=False)
        finally:
            api.cookies.clear()

    return call


REVIEW = {"anonymous": 401, "hook": 403, "reviewer": 200, "other_reviewer": 404, "admin": 200}
ADMIN = {"anonymous": 401, "hook": 403, "reviewer": 403, "other_reviewer": 403, "admin": 200}
HOOK = {"anonymous": 401, "hook": 202, "reviewer": 401, "other_reviewer": 401, "admin": 401}
PUBLIC = dict.fromkeys(ROLES, 200)
PAGE = {"anonymous": LOGIN, "hook": LOGIN, "reviewer": 200, "other_reviewer": 404, "admin": 200}
PAGE_ACTION = {"anonymous": LOGIN, "hook": LOGIN, "reviewer": 303, "other_reviewer": 404, "admin": 303}

MATRIX: dict[str, tuple[Call, dict[str, int | str]]] = {
    "GET /healthz": (lambda api, h, c: api.get("/healthz", headers=h), PUBLIC),
    "GET /openapi.json": (lambda api, h, c: api.get("/openapi.json", headers=h), PUBLIC),
    "GET /docs": (lambda api, h, c: api.get("/docs", headers=h), PUBLIC),
    "GET /docs/oauth2-redirect": (lambda api, h, c: api.get("/docs/oauth2-redirect", headers=h), PUBLIC),
    "GET /redoc": (lambda api, h, c: api.get("/redoc", headers=h), PUBLIC),
    "POST /v1/hook/scans": (
        lambda api, h, c: api.post(
            "/v1/hook/scans", headers=h, json={"bucket": "uploads", "key": c.key, "version_id": c.version_id}
        ),
        HOOK,
    ),
    "POST /v1/hook/s3-events": (
        lambda api, h, c: api.post(
            "/v1/hook/s3-events",
            headers=h,
            json={
                "Records": [
                    {
                        "eventName": "s3:ObjectCreated:Put",
                        "s3": {"bucket": {"name": "uploads"}, "object": {"key": c.key, "versionId": c.version_id}},
                    }
                ]
            },
        ),
        HOOK,
    ),
    "GET /v1/scans/{scan_id}": (
        lambda api, h, c: api.get(f"/v1/scans/{c.scan_id}", headers=h),
        {**HOOK, "hook": 200},  # a scan is its tenant's hook's business only
    ),
    "GET /v1/review/items": (
        lambda api, h, c: api.get("/v1/review/items", headers=h),
        {**REVIEW, "other_reviewer": 200},  # their own (other tenant's) queue, without this item
    ),
    "GET /v1/review/items/{item_id}": (lambda api, h, c: api.get(f"/v1/review/items/{c.item_id}", headers=h), REVIEW),
    "GET /v1/review/items/{item_id}/preview.png": (
        lambda api, h, c: api.get(f"/v1/review/items/{c.item_id}/preview.png", headers=h),
        REVIEW,
    ),
    "POST /v1/review/items/{item_id}/reveal": (
        lambda api, h, c: api.post(f"/v1/review/items/{c.item_id}/reveal", headers=h, json={"reason": "matrix"}),
        REVIEW,
    ),
    "POST /v1/review/items/{item_id}/claim": (
        lambda api, h, c: api.post(f"/v1/review/items/{c.item_id}/claim", headers=h),
        REVIEW,
    ),
    "POST /v1/review/items/{item_id}/release": (_claim_then("release"), REVIEW),
    "POST /v1/review/items/{item_id}/decision": (_claim_then("decision"), REVIEW),
    "POST /v1/reports": (
        lambda api, h, c: api.post(
            "/v1/reports", headers=h, json={"url": c.url, "category": "abusive", "description": "threats"}
        ),
        PUBLIC,  # 200: the same client reported this upload already (deduplicated)
    ),
    "GET /v1/reports/{report_id}": (
        lambda api, h, c: api.get(f"/v1/reports/{c.report_id}", headers={**h, "X-Report-Secret": c.secret}),
        PUBLIC,  # the secret is the key, whoever holds it
    ),
    "GET /v1/admin/packages": (lambda api, h, c: api.get("/v1/admin/packages", headers=h), ADMIN),
    "GET /v1/admin/packages/{package_id}": (
        lambda api, h, c: api.get(f"/v1/admin/packages/{c.package_id}", headers=h),
        ADMIN,
    ),
    "GET /v1/admin/packages/{package_id}/html": (
        lambda api, h, c: api.get(f"/v1/admin/packages/{c.package_id}/html", headers=h),
        ADMIN,
    ),
    "GET /v1/admin/audit": (lambda api, h, c: api.get("/v1/admin/audit", headers=h), ADMIN),
    "GET /v1/admin/sessions": (lambda api, h, c: api.get("/v1/admin/sessions", headers=h), ADMIN),
    "POST /v1/admin/sessions/{session_id}/revoke": (
        lambda api, h, c: api.post(f"/v1/admin/sessions/{'0' * 32}/revoke", headers=h),
        {**ADMIN, "admin": 404},  # no such session: the revocation itself is tests/service/test_sessions.py
    ),
    "POST /v1/admin/subjects/search": (
        lambda api, h, c: api.post(
            "/v1/admin/subjects/search", headers=h, json={"kind": "email", "value": "x@example.org"}
        ),
        ADMIN,
    ),
    "POST /v1/admin/subjects/erase": (
        lambda api, h, c: api.post(
            "/v1/admin/subjects/erase", headers=h, json={"kind": "email", "value": "x@example.org"}
        ),
        ADMIN,
    ),
    "GET /v1/admin/retention": (lambda api, h, c: api.get("/v1/admin/retention", headers=h), ADMIN),
    "POST /v1/admin/retention/run": (lambda api, h, c: api.post("/v1/admin/retention/run", headers=h), ADMIN),
    "GET /v1/admin/stats": (lambda api, h, c: api.get("/v1/admin/stats", headers=h), ADMIN),
    "GET /metrics": (lambda api, h, c: api.get("/metrics", headers=h), PUBLIC),  # aggregates only, no tenant
    # reviewer pages: the session cookie of the role (none for nobody and the hook)
    "GET /review/login": (_page("GET", "/review/login"), PUBLIC),
    "POST /review/login": (None, {}),  # special: logs in with the role's token, see below  # type: ignore[dict-item]
    "POST /review/logout": (_page("POST", "/review/logout"), dict.fromkeys(ROLES, LOGIN)),
    "GET /review": (_page("GET", "/review"), {**PAGE, "other_reviewer": 200}),
    "GET /review/items/{item_id}": (_page("GET", "/review/items/{item_id}"), PAGE),
    "GET /review/items/{item_id}/preview.png": (_page("GET", "/review/items/{item_id}/preview.png"), PAGE),
    "POST /review/items/{item_id}/reveal": (
        _page("POST", "/review/items/{item_id}/reveal", {"reason": "role matrix"}),
        PAGE,
    ),
    "POST /review/items/{item_id}/claim": (_page("POST", "/review/items/{item_id}/claim"), PAGE_ACTION),
    "POST /review/items/{item_id}/decide": (
        _page("POST", "/review/items/{item_id}/decide", {"decision": "reject", "reason": "role matrix"}),
        PAGE_ACTION,
    ),
    "GET /review/packages/{package_id}": (
        _page("GET", "/review/packages/{package_id}"),
        {"anonymous": LOGIN, "hook": LOGIN, "reviewer": 403, "other_reviewer": 403, "admin": 200},
    ),
}
LOGIN_EXPECTED = {"anonymous": 422, "hook": 401, "reviewer": 303, "other_reviewer": 303, "admin": 303}


MUTATING = {r for r in MATRIX if r.startswith(("POST /v1/review/", "POST /review/items")) and "reveal" not in r}
"""Routes that change the item (claims, leases, decisions): each case gets an item of its own."""


@pytest.fixture(scope="module")
def base(
    api: TestClient,
    s3: Any,
    role_headers: dict[str, dict[str, str]],
    flagged_scan: Callable[..., str],
    item_of: Callable[[str], Any],
    unique_key: Callable[[str], str],
) -> Ctx:
    """What the read-only cases share: a package, an abuse report, a flagged item, an object for the hook."""
    admin = role_headers["admin"]
    reported = item_of(flagged_scan(ip="192.0.2.1"))
    api.post(f"/v1/review/items/{reported}/claim", headers=admin)
    package_id = api.post(
        f"/v1/review/items/{reported}/decision", headers=admin, json={"decision": "report", "reason": "illegal"}
    ).json()["package_id"]
    key = unique_key("matrix.png")
    version_id = s3.put_object(Bucket="uploads", Key=key, Body=_png())["VersionId"]
    scan_id = flagged_scan(key=key, version_id=version_id)
    api.app.state.report_limiter.reset()  # type: ignore[attr-defined]
    made = api.post(
        "/v1/reports", json={"bucket": "uploads", "key": key, "category": "abusive", "description": "threats"}
    ).json()
    hook_key = unique_key("hook.png")
    hook_version = s3.put_object(Bucket="uploads", Key=hook_key, Body=_png())["VersionId"]
    return Ctx(
        item_of(scan_id),
        scan_id,
        package_id,
        made["report_id"],
        made["secret"],
        f"s3://uploads/{key}",
        hook_key,
        hook_version,
    )


@pytest.fixture
def ctx(
    request: pytest.FixtureRequest,
    api: TestClient,
    base: Ctx,
    flagged_scan: Callable[..., str],
    item_of: Callable[[str], Any],
) -> Ctx:
    api.app.state.report_limiter.reset()  # type: ignore[attr-defined]
    if request.node.callspec.params.get("route") not in MUTATING:
        return base
    scan_id = flagged_scan()
    return Ctx(**{**base.__dict__, "item_id": item_of(scan_id), "scan_id": scan_id})


def _session(api: TestClient, token: str | None) -> dict[str, str]:
    """The cookie that logging in with ``token`` gives (none when it is refused)."""
    if token is None:
        return {}
    api.cookies.clear()
    response = api.post("/review/login", data={"token": token}, follow_redirects=False)
    cookies = dict(response.cookies.items())
    api.cookies.clear()
    return cookies


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES)
def test_authorization_matrix(
    route: str,
    role: str,
    api: TestClient,
    role_headers: dict[str, dict[str, str]],
    ctx: Ctx,
    no_raw: Callable[..., None],
) -> None:
    assert route in MATRIX, f"no matrix entry for route {route}: add who may call it"
    headers = role_headers[role]
    token = headers["Authorization"].removeprefix("Bearer ") if headers else None
    if route == "POST /review/login":
        api.cookies.clear()
        response = api.post("/review/login", data={"token": token} if token else {}, follow_redirects=False)
        expected: int | str = LOGIN_EXPECTED[role]
    else:
        call, table = MATRIX[route]
        assert role in table, f"no expectation for {role} on {route}"
        expected = table[role]
        credentials = _session(api, token) if route.split(" ", 1)[1].startswith("/review") else headers
        response = call(api, credentials, ctx)
    if expected == LOGIN:
        assert response.status_code == 303 and response.headers["location"].endswith("/review/login"), (
            route,
            role,
            response.status_code,
        )
    else:
        assert response.status_code == expected, (route, role, response.status_code, response.text[:300])
        if response.status_code == 303:
            assert not response.headers["location"].endswith("/review/login"), (route, role)
    no_raw(response.text)
    if route == "GET /v1/review/items" and role == "other_reviewer":
        assert ctx.item_id not in response.text


def test_matrix_has_no_stale_rows() -> None:
    """A row for a route that no longer exists is a sign the table drifted from the app."""
    assert sorted(set(MATRIX) - set(ROUTES)) == []
