"""Reviewer pages, rendered on the server: login, the queue, an item with its redacted preview.

Sessions: ``POST /review/login`` with a reviewer's or admin's token sets an HttpOnly, SameSite=Strict
cookie ``<principal id>.<expiry>.<HMAC>`` (keyed with the webhook secret; nothing stored server-side),
valid for ``SESSION_S``. SameSite=Strict keeps other sites' forms from posting with it.

The preview is the stored object's page rendered in memory with every finding box blacked out; the
page as uploaded is shown only after a reveal with a reason, which is written to the audit log first.
"""

from __future__ import annotations

import base64
import hmac
import time
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from piiscan.api import preview
from piiscan.api.deps import Actor, ServicesDep
from piiscan.api.errors import ApiError
from piiscan.api.pages import environment
from piiscan.api.routers import moderation
from piiscan.api.routers.moderation import DECISION_OF, item_document, item_object, parse_statuses, record_decision
from piiscan.store import review
from piiscan.store.models import Principal
from piiscan.workers.services import Services

router = APIRouter(prefix="/review", tags=["reviewer pages"], include_in_schema=False)

COOKIE = "piiscan_session"
SESSION_S = 8 * 3600
MAX_PREVIEW_PAGES = 10


class LoginRequired(Exception):
    pass


def _sign(services: Services, value: str) -> str:
    return review.keyed_hash(services.settings.webhook_secret.get_secret_value(), "session", value)


def _session_actor(request: Request, services: Services) -> Actor | None:
    raw = request.cookies.get(COOKIE, "")
    principal_id, _, rest = raw.partition(".")
    expires, _, signature = rest.partition(".")
    if not (principal_id and expires.isdigit() and signature):
        return None
    if not hmac.compare_digest(signature, _sign(services, f"{principal_id}.{expires}")) or int(expires) < time.time():
        return None
    with services.db.session() as session:
        principal = session.get(Principal, principal_id)
        if principal is None or not principal.active or principal.role not in ("reviewer", "admin"):
            return None
        return Actor(name=principal.name, role=principal.role, tenants=list(principal.tenants))


def _actor(request: Request, services: Services) -> Actor:
    actor = _session_actor(request, services)
    if actor is None:
        raise LoginRequired()
    return actor


def _render(name: str, **context: Any) -> HTMLResponse:
    return HTMLResponse(environment().get_template(name).render(**context))


def login_redirect(_: Request, __: Exception) -> Response:
    return RedirectResponse("/review/login", status_code=303)


@router.get("/login")
def login_page() -> HTMLResponse:
    return _render("login.html", error=None)


@router.post("/login")
def login(request: Request, services: ServicesDep, token: Annotated[str, Form()]) -> Response:
    with services.db.session() as session:
        principal = review.principal_by_token(session, services.settings.webhook_secret.get_secret_value(), token)
        principal_id = principal.id if principal is not None else None
    if principal_id is None:
        response = _render("login.html", error="That token is not a reviewer's or an admin's.")
        response.status_code = 401
        return response
    expires = int(time.time()) + SESSION_S
    value = f"{principal_id}.{expires}"
    redirect = RedirectResponse("/review", status_code=303)
    redirect.set_cookie(
        COOKIE,
        f"{value}.{_sign(services, value)}",
        max_age=SESSION_S,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/review",
    )
    return redirect


@router.post("/logout")
def logout() -> Response:
    redirect = RedirectResponse("/review/login", status_code=303)
    redirect.delete_cookie(COOKIE, path="/review")
    return redirect


@router.get("")
def queue_page(
    request: Request,
    services: ServicesDep,
    status: str = "open",
    verdict: str | None = None,
    tenant: str | None = None,
    entity_type: str | None = None,
) -> HTMLResponse:
    actor = _actor(request, services)
    flt = review.QueueFilter(parse_statuses(status), verdict or None, tenant or None, entity_type or None, 200, 0)
    with services.db.session() as session:
        items = [item_document(i) for i in review.list_items(session, actor.tenants, flt)]
    filters = {"status": status, "verdict": verdict or "", "tenant": tenant or "", "entity_type": entity_type or ""}
    return _render("queue.html", actor=actor, items=items, filters=filters)


def _load(services: Services, item_id: str, actor: Actor) -> dict[str, Any]:
    with services.db.session() as session:
        item = review.get_item(session, item_id, actor.tenants)
        if item is None:
            raise ApiError(404, "item_not_found", f"No review item {item_id} in your tenants")
        doc = item_document(item, detail=True)
        doc["packages"] = [p.id for p in review.packages_of(session, item.id)] if actor.role == "admin" else []
        return doc


def _item_page(services: Services, actor: Actor, item_id: str, **extra: Any) -> HTMLResponse:
    doc = _load(services, item_id, actor)
    media_type = doc.get("media_type") or ""
    previewable = media_type == "application/pdf" or media_type.startswith("image/")
    pages = list(range(1, min(doc.get("pages") or 1, MAX_PREVIEW_PAGES) + 1)) if previewable else []
    return _render("item.html", actor=actor, item=doc, pages=pages, **extra)


@router.get("/items/{item_id}")
def item_page(item_id: str, request: Request, services: ServicesDep) -> HTMLResponse:
    return _item_page(services, _actor(request, services), item_id)


@router.get("/items/{item_id}/preview.png")
def preview_png(item_id: str, request: Request, services: ServicesDep, page: int = 1) -> Response:
    actor = _actor(request, services)
    data, findings = item_object(services, item_id, actor)
    try:
        png = preview.redacted_page(data, page, findings, services.settings)
    except preview.NoPreviewError as exc:
        raise ApiError(404, "no_preview", str(exc)) from None
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.post("/items/{item_id}/reveal")
def reveal(
    item_id: str,
    request: Request,
    services: ServicesDep,
    reason: Annotated[str, Form(min_length=3, max_length=2000)],
    page: Annotated[int, Form()] = 1,
) -> HTMLResponse:
    """The page as uploaded, after the reveal is in the audit log with who and why."""
    actor = _actor(request, services)
    moderation.check_readable(services, item_id, actor)  # tenant and scope check before anything is logged or read
    with services.db.session() as session:
        review.audit(session, actor.name, actor.role, "reveal", "review_item", item_id, reason=reason, page=page)
    data, _ = item_object(services, item_id, actor)
    try:
        png = preview.raw_page(data, page, services.settings)
    except preview.NoPreviewError as exc:
        raise ApiError(404, "no_preview", str(exc)) from None
    revealed = "data:image/png;base64," + base64.b64encode(png).decode()
    response = _item_page(services, actor, item_id, revealed=revealed, revealed_page=page)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/items/{item_id}/claim")
def claim_item(item_id: str, request: Request, services: ServicesDep) -> Response:
    actor = _actor(request, services)
    with services.db.session() as session:
        item = review.get_item(session, item_id, actor.tenants, lock=True)
        if item is None:
            raise ApiError(404, "item_not_found", f"No review item {item_id} in your tenants")
        try:
            review.claim(session, item, actor.name, actor.role, services.settings.review_lease_s)
        except review.ReviewError as exc:
            raise ApiError(exc.status, exc.code, exc.message) from None
    return RedirectResponse(f"/review/items/{item_id}", status_code=303)


@router.post("/items/{item_id}/decide")
def decide_item(
    item_id: str,
    request: Request,
    services: ServicesDep,
    decision: Annotated[str, Form(pattern="^(approve|reject|report)$")],
    reason: Annotated[str, Form(min_length=3, max_length=2000)],
) -> Response:
    actor = _actor(request, services)
    record_decision(services, item_id, actor, DECISION_OF[decision], reason, claim_first=True)
    return RedirectResponse(f"/review/items/{item_id}", status_code=303)


@router.get("/packages/{package_id}")
def package_page(package_id: str, request: Request, services: ServicesDep) -> HTMLResponse:
    """Admins only (audited), like ``GET /v1/admin/packages/{id}/html``."""
    from piiscan.api.pages import render_package
    from piiscan.api.routers.admin import package_for

    actor = _actor(request, services)
    if actor.role != "admin":
        raise ApiError(403, "forbidden", "Disclosure packages are for admins")
    return HTMLResponse(render_package(package_for(services, actor, package_id, "html")))
