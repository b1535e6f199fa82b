"""Admins only: disclosure packages (every download audited), the audit log, reviewer-page sessions."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from piiscan.api.deps import AdminDep, ServicesDep
from piiscan.api.errors import ApiError, error_responses
from piiscan.store import review, sessions
from piiscan.store.models import DisclosurePackage, ReviewSession

router = APIRouter(prefix="/v1/admin", tags=["admin"], responses=error_responses(401, 403, 404))


def _iso(value: Any) -> str | None:
    value = review.aware(value)
    return value.isoformat() if value is not None else None


@router.get("/packages", summary="Disclosure packages (their ids and items; the content is a download)")
def list_packages(actor: AdminDep, services: ServicesDep, item_id: str | None = None) -> dict[str, Any]:
    with services.db.session() as session:
        packages = [
            p
            for p in review.packages_of(session, item_id)
            if review.sees_tenant(actor.tenants, p.document["upload"]["tenant"])
        ]
        return {
            "packages": [
                {"id": p.id, "item_id": p.item_id, "decision_id": p.decision_id, "created_at": _iso(p.created_at)}
                for p in packages
            ]
        }


def package_for(services: Any, actor: Any, package_id: str, fmt: str) -> dict[str, Any]:
    with services.db.session() as session:
        package = session.get(DisclosurePackage, package_id)
        if package is None or not review.sees_tenant(actor.tenants, package.document["upload"]["tenant"]):
            raise ApiError(404, "package_not_found", f"No disclosure package {package_id}")
        review.audit(session, actor.name, actor.role, "package_download", "disclosure_package", package.id, format=fmt)
        document: dict[str, Any] = dict(package.document)
        document["package_id"] = package.id
        document["created_at"] = _iso(package.created_at)
        return document


@router.get("/packages/{package_id}", summary="Download a disclosure package as JSON (audited)")
def download_package(package_id: str, actor: AdminDep, services: ServicesDep) -> Response:
    document = package_for(services, actor, package_id, "json")
    return Response(
        json.dumps(document, indent=2, sort_keys=True),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="disclosure-{package_id}.json"'},
    )


@router.get("/packages/{package_id}/html", summary="A disclosure package as a readable page (audited)")
def package_page(package_id: str, actor: AdminDep, services: ServicesDep) -> HTMLResponse:
    from piiscan.api.pages import render_package

    return HTMLResponse(render_package(package_for(services, actor, package_id, "html")))


@router.get("/audit", summary="The audit log: claims, decisions, reveals, package downloads (of your tenants)")
def audit_log(
    actor: AdminDep,
    services: ServicesDep,
    target_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    with services.db.session() as session:
        return {
            "entries": [
                {
                    "id": e.id,
                    "at": _iso(e.at),
                    "actor": e.actor,
                    "role": e.role,
                    "action": e.action,
                    "target_type": e.target_type,
                    "target_id": e.target_id,
                    "detail": e.detail,
                }
                for e in review.audit_entries(session, target_id, limit, actor.tenants)
            ]
        }


def _covers(actor_tenants: list[str], principal_tenants: list[str]) -> bool:
    """An admin manages the sessions of principals whose every tenant they see (all, with ``*``)."""
    if review.ALL_TENANTS in actor_tenants:
        return True
    return review.ALL_TENANTS not in principal_tenants and set(principal_tenants) <= set(actor_tenants)


@router.get("/sessions", summary="Reviewer-page sessions that count now (no cookie values: they are not stored)")
def list_sessions(actor: AdminDep, services: ServicesDep) -> dict[str, Any]:
    with services.db.session() as session:
        return {
            "sessions": [
                {
                    "id": row.id,
                    "principal": principal.name,
                    "role": principal.role,
                    "created_at": _iso(row.created_at),
                    "expires_at": _iso(row.expires_at),
                }
                for row, principal in sessions.list_sessions(session)
                if _covers(actor.tenants, list(principal.tenants))
            ]
        }


@router.post("/sessions/{session_id}/revoke", summary="End a reviewer-page session now (audited)")
def revoke_session(session_id: str, actor: AdminDep, services: ServicesDep) -> dict[str, Any]:
    with services.db.session() as session:
        row = session.get(ReviewSession, session_id)
        if row is None or not _covers(actor.tenants, list(row.principal.tenants)):
            raise ApiError(404, "session_not_found", f"No session {session_id} of a principal you manage")
        revoked = sessions.revoke(session, session_id)
        if revoked:
            review.audit(session, actor.name, actor.role, "session_revoke", "review_session", session_id)
    return {"id": session_id, "revoked": True}
