"""Reviewer pages, rendered on the server: login, the queue, an item with its redacted preview.

Sessions: ``POST /review/login`` with a reviewer's or admin's token stores a session row
(:mod:`piiscan.store.sessions`) and sets an HttpOnly, SameSite=Strict cookie holding 256 random bits;
the row, not the cookie, says who it is and until when (``PIISCAN_SESSION_TTL_S``), so logout, an
admin's revocation or the principal's removal from the settings ends it at once.

Cross-site requests: every POST must come from this site (``Origin``, or ``Referer`` when a browser
sends no Origin, names the request's own host or one of ``PIISCAN_REVIEW_ORIGINS``) and, but for the
login, carry the session's CSRF token in the hidden ``csrf_token`` field of every form. Anything else
is a 403 page and changes nothing. SameSite=Strict stays as a third line.

The preview is the stored object's page rendered in memory with every finding box blacked out; the
page as uploaded is shown only after a reveal with a reason, which is written to the audit log first.
"""

from __future__ import annotations

import base64
import hmac
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from piiscan.api import preview
from piiscan.api.deps import Actor, ServicesDep
from piiscan.api.errors import ApiError
from piiscan.api.pages import environment
from piiscan.api.routers import moderation
from piiscan.api.routers.moderation import (
    DECISION_OF,
    item_document,
    item_object,
    parse_statuses,
    readable_item,
    record_decision,
    render_png,
)
from piiscan.store import review, sessions
from piiscan.workers.services import Services

router = APIRouter(prefix="/review", tags=["reviewer pages"], include_in_schema=False)

COOKIE = "piiscan_session"
MAX_PREVIEW_PAGES = 10
CsrfField = Annotated[str | None, Form()]
"""The hidden ``csrf_token`` field every form of the pages posts."""


class LoginRequired(Exception):
    pass


class CrossSiteRefused(Exception):
    """A POST that did not come from the pages themselves: answered 403, nothing changed."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class Page:
    """Who is looking (their actor) and the CSRF token every form on their pages carries."""

    actor: Actor
    csrf: str


def _key(services: Services) -> str:
    return services.settings.key_for("session")


def _session(request: Request, services: Services) -> Page | None:
    with services.db.session() as session:
        found = sessions.current(session, _key(services), request.cookies.get(COOKIE, ""))
    if found is None:
        return None
    actor = Actor(name=found.name, role=found.role, tenants=found.tenants)
    return Page(actor, sessions.csrf_token(_key(services), found.token_hash))


def _page(request: Request, services: Services) -> Page:
    page = _session(request, services)
    if page is None:
        raise LoginRequired()
    return page


def _actor(request: Request, services: Services) -> Actor:
    return _page(request, services).actor


def _same_site(request: Request, services: Services) -> bool:
    """Whether the POST's ``Origin`` (else ``Referer``) is this host or a configured review origin.

    Neither header: not a browser's cross-site form (browsers send Origin with every cross-site POST);
    the CSRF token still guards every POST made within a session."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if source is None:
        return True
    parts = urlsplit(source)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False  # "null" (a sandboxed or privacy-stripped origin) and anything else unparseable
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    allowed = {o.rstrip("/").lower() for o in services.settings.review_origins}
    return parts.netloc.lower() == request.headers.get("host", "").lower() or origin in allowed


def _check_origin(request: Request, services: Services) -> None:
    if not _same_site(request, services):
        raise CrossSiteRefused("This form was sent from another site. Open the review pages and submit it there.")


def _post_actor(request: Request, services: Services, csrf_token: str | None) -> Actor:
    """The actor of a POST that came from the pages with the session's CSRF token; else 403 (or login)."""
    return _post_page(request, services, csrf_token).actor


def _post_page(request: Request, services: Services, csrf_token: str | None) -> Page:
    _check_origin(request, services)
    page = _page(request, services)
    if not csrf_token or not hmac.compare_digest(page.csrf.encode(), csrf_token.encode()):
        raise CrossSiteRefused(
            "This form's security token is missing or out of date. Go back, reload the page and try again."
        )
    return page


def _render(name: str, **context: Any) -> HTMLResponse:
    return HTMLResponse(environment().get_template(name).render(**context))


def login_redirect(_: Request, __: Exception) -> Response:
    return RedirectResponse("/review/login", status_code=303)


def refused_page(_: Request, exc: Exception) -> Response:
    message = exc.message if isinstance(exc, CrossSiteRefused) else "Refused."
    response = _render("refused.html", actor=None, message=message)
    response.status_code = 403
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/login")
def login_page() -> HTMLResponse:
    return _render("login.html", error=None)


@router.post("/login")
def login(request: Request, services: ServicesDep, token: Annotated[str, Form()]) -> Response:
    _check_origin(request, services)  # no session yet, so no CSRF token: the origin is the check
    key = _key(services)
    with services.db.session() as session:
        principal = review.principal_by_token(session, services.settings.key_for("token"), token)
        if principal is None or principal.role not in sessions.PAGE_ROLES:
            cookie = None
        else:
            sessions.end_session(session, key, request.cookies.get(COOKIE, ""))  # no fixation: a new one
            cookie = sessions.open_session(session, key, principal.id, services.settings.session_ttl_s)
    if cookie is None:
        response = _render("login.html", error="That token is not a reviewer's or an admin's.")
        response.status_code = 401
        return response
    redirect = RedirectResponse("/review", status_code=303)
    redirect.set_cookie(
        COOKIE,
        cookie,
        max_age=services.settings.session_ttl_s,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/review",
    )
    return redirect


@router.post("/logout")
def logout(request: Request, services: ServicesDep, csrf_token: CsrfField = None) -> Response:
    """Deletes the session row: the cookie is worthless from here on, wherever a copy of it is."""
    _post_actor(request, services, csrf_token)
    with services.db.session() as session:
        sessions.end_session(session, _key(services), request.cookies.get(COOKIE, ""))
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
    page = _page(request, services)
    actor = page.actor
    flt = review.QueueFilter(parse_statuses(status), verdict or None, tenant or None, entity_type or None, 200, 0)
    with services.db.session() as session:
        items = [item_document(i) for i in review.list_items(session, actor.tenants, flt)]
    filters = {"status": status, "verdict": verdict or "", "tenant": tenant or "", "entity_type": entity_type or ""}
    return _render("queue.html", actor=actor, csrf=page.csrf, items=items, filters=filters)


def _load(services: Services, item_id: str, actor: Actor) -> dict[str, Any]:
    with services.db.session() as session:
        item = readable_item(services, session, item_id, actor)
        doc = item_document(item, detail=True)
        doc["packages"] = [p.id for p in review.packages_of(session, item.id)] if actor.role == "admin" else []
        return doc


def _item_page(services: Services, page: Page, item_id: str, **extra: Any) -> HTMLResponse:
    doc = _load(services, item_id, page.actor)
    media_type = doc.get("media_type") or ""
    previewable = media_type == "application/pdf" or media_type.startswith("image/")
    pages = list(range(1, min(doc.get("pages") or 1, MAX_PREVIEW_PAGES) + 1)) if previewable else []
    return _render("item.html", actor=page.actor, csrf=page.csrf, item=doc, pages=pages, **extra)


@router.get("/items/{item_id}")
def item_page(item_id: str, request: Request, services: ServicesDep) -> HTMLResponse:
    return _item_page(services, _page(request, services), item_id)


@router.get("/items/{item_id}/preview.png")
def preview_png(item_id: str, request: Request, services: ServicesDep, page: int = 1) -> Response:
    actor = _actor(request, services)
    data, findings = item_object(services, item_id, actor)
    png = render_png(services, lambda: preview.redacted_page(data, page, findings, services.settings))
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.post("/items/{item_id}/reveal")
def reveal(
    item_id: str,
    request: Request,
    services: ServicesDep,
    reason: Annotated[str, Form(min_length=3, max_length=2000)],
    page: Annotated[int, Form()] = 1,
    csrf_token: CsrfField = None,
) -> HTMLResponse:
    """The page as uploaded, after the reveal is in the audit log with who and why."""
    viewer = _post_page(request, services, csrf_token)
    actor = viewer.actor
    moderation.check_readable(services, item_id, actor)  # tenant and scope check before anything is logged or read
    with services.db.session() as session:
        review.audit(session, actor.name, actor.role, "reveal", "review_item", item_id, reason=reason, page=page)
    data, _ = item_object(services, item_id, actor)
    png = render_png(services, lambda: preview.raw_page(data, page, services.settings))
    revealed = "data:image/png;base64," + base64.b64encode(png).decode()
    response = _item_page(services, viewer, item_id, revealed=revealed, revealed_page=page)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/items/{item_id}/claim")
def claim_item(item_id: str, request: Request, services: ServicesDep, csrf_token: CsrfField = None) -> Response:
    actor = _post_actor(request, services, csrf_token)
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
    csrf_token: CsrfField = None,
) -> Response:
    actor = _post_actor(request, services, csrf_token)
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
