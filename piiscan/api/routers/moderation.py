"""The review queue for reviewers and admins: list, claim (a lease), release, decide (audited).

Every decision is sent to the upload pipeline as a signed webhook (``review.decided``), the same
delivery machinery as verdicts, so the platform can hide (rejected, reported) or restore
(approved) the upload. Reviewers see only their tenants' items; nothing here returns a raw value.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from piiscan.api import preview
from piiscan.api.deps import Actor, ReviewerDep, ServicesDep
from piiscan.api.errors import ApiError, error_responses
from piiscan.storage.base import ObjectNotFoundError, object_missing
from piiscan.store import repo, review
from piiscan.store.models import REVIEW_STATUSES, Decision, ReviewItem, utcnow
from piiscan.tenancy import Tenancy
from piiscan.workers.services import Services

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/review", tags=["moderation"], responses=error_responses(400, 401, 403, 404, 409))

DECISION_OF = {"approve": "approved", "reject": "rejected", "report": "reported"}
ACTION_OF = {"approved": "restore", "rejected": "hide", "reported": "hide"}


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject", "report"]
    reason: str = Field(min_length=3, max_length=2000, description="Why; kept in the audit log")


def _iso(value: Any) -> str | None:
    value = review.aware(value)
    return value.isoformat() if value is not None else None


def item_document(item: ReviewItem, *, detail: bool = False) -> dict[str, Any]:
    scan = item.scan
    upload = scan.upload
    doc: dict[str, Any] = {
        "id": item.id,
        "scan_id": item.scan_id,
        "tenant": item.tenant,
        "status": item.status,
        "verdict": item.verdict,
        "severity": item.severity,
        "priority": item.priority,
        "entity_types": [e for e in item.entity_types.split(",") if e],
        "claimed_by": item.claimed_by,
        "lease_expires_at": _iso(item.lease_expires_at),
        "object": {"bucket": upload.bucket, "key": upload.object_key, "version_id": upload.version_id},
        "media_type": scan.media_type,
        "pages": scan.pages,
        "visibility": upload.visibility,
        "created_at": _iso(item.created_at),
        "updated_at": _iso(item.updated_at),
    }
    if detail:
        doc["findings"] = [review.finding_document(f) for f in scan.findings]
        doc["rules"] = (scan.report or {}).get("rules", [])
        doc["rule_pack_version"] = scan.rule_pack_version
        doc["decisions"] = [decision_document(d) for d in item.decisions]
        doc["abuse_reports"] = [
            {"category": r.category, "description": r.description, "received_at": _iso(r.created_at)}
            for r in review.reports_of(item)
        ]
    return doc


def decision_document(decision: Decision) -> dict[str, Any]:
    return {
        "id": decision.id,
        "decision": decision.decision,
        "reason": decision.reason,
        "decided_by": decision.decided_by,
        "previous_status": decision.previous_status,
        "decided_at": _iso(decision.created_at),
    }


def _item(session: Session, item_id: str, actor: Actor, *, lock: bool = False) -> ReviewItem:
    item = review.get_item(session, item_id, actor.tenants, lock=lock)
    if item is None:
        raise ApiError(404, "item_not_found", f"No review item {item_id} in your tenants")
    return item


def parse_statuses(value: str) -> tuple[str, ...]:
    if value == "open":
        return review.OPEN
    if value == "all":
        return REVIEW_STATUSES
    statuses = tuple(v.strip() for v in value.split(",") if v.strip())
    unknown = [s for s in statuses if s not in REVIEW_STATUSES]
    if unknown or not statuses:
        raise ApiError(400, "bad_status", f"status is open, all or a list of {', '.join(REVIEW_STATUSES)}")
    return statuses


@router.get("/items", summary="The queue: reported first, then by severity, then oldest first")
def list_items(
    actor: ReviewerDep,
    services: ServicesDep,
    status: str = "open",
    verdict: str | None = None,
    tenant: str | None = None,
    entity_type: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,  # beyond PostgreSQL bigint was a 500 (fuzzing)
) -> dict[str, Any]:
    flt = review.QueueFilter(parse_statuses(status), verdict, tenant, entity_type, limit, offset)
    with services.db.session() as session:
        return {"items": [item_document(i) for i in review.list_items(session, actor.tenants, flt)]}


@router.get("/items/{item_id}", summary="One item: masked findings, the rules that fired, the decisions")
def get_item(item_id: str, actor: ReviewerDep, services: ServicesDep) -> dict[str, Any]:
    with services.db.session() as session:
        return item_document(readable_item(services, session, item_id, actor), detail=True)


def readable_item(services: Services, session: Session, item_id: str, actor: Actor) -> ReviewItem:
    """The item, unless its upload is outside the scopes: then it is not found (an item raised before scopes
    on another tenant's key would otherwise show that tenant's masked findings)."""
    item = _item(session, item_id, actor)
    try:
        _require_in_scope(services, item, actor)
    except ObjectNotFoundError:
        raise ApiError(404, "item_not_found", f"No review item {item_id} in your tenants") from None
    return item


def _transition(services: Services, item_id: str, actor: Actor, action: str) -> dict[str, Any]:
    with services.db.session() as session:
        item = _item(session, item_id, actor, lock=True)
        try:
            if action == "claim":
                review.claim(session, item, actor.name, actor.role, services.settings.review_lease_s)
            else:
                review.release(session, item, actor.name, actor.role)
        except review.ReviewError as exc:
            raise ApiError(exc.status, exc.code, exc.message) from None
        session.flush()
        return item_document(item)


def _require_in_scope(services: Services, item: ReviewItem, actor: Actor) -> None:
    """The item's upload must be in the scopes of the item's tenant and of the actor's tenants; else the
    answer is a missing object's (an item made before scopes, or on another tenant's key, shows nothing)."""
    upload = item.scan.upload
    tenancy = Tenancy.of(services.settings)
    bucket, key = upload.bucket, upload.object_key
    if not (tenancy.in_scope(item.tenant, bucket, key) and tenancy.sees(actor.tenants, bucket, key)):
        raise object_missing(bucket, key)


def check_readable(services: Services, item_id: str, actor: Actor) -> None:
    """Raise what :func:`item_object` would for an item the actor may not read: before a reveal is logged."""
    with services.db.session() as session:
        _require_in_scope(services, _item(session, item_id, actor), actor)


def item_object(services: Services, item_id: str, actor: Actor) -> tuple[bytes, list[dict[str, Any]]]:
    """The stored object's bytes (read in memory) and the item's masked findings, for previews."""
    with services.db.session() as session:
        item = _item(session, item_id, actor)
        _require_in_scope(services, item, actor)
        upload = item.scan.upload
        where = (upload.bucket, upload.object_key, upload.version_id, upload.etag)
        findings = [review.finding_document(f) for f in item.scan.findings]
    with services.store.download(
        where[0], where[1], version_id=where[2], etag=where[3], max_bytes=services.settings.max_file_bytes
    ) as downloaded:
        return downloaded.read_bytes(), findings


def render_png(services: Services, render: Callable[[], bytes]) -> bytes:
    """Render in the process's bounded preview pool; the preview's typed errors become API errors here."""
    retry = {"Retry-After": str(services.settings.retry_after_s)}
    try:
        return preview.pool_for(services.settings).render(render)
    except preview.NoPreviewError as exc:
        raise ApiError(404, "no_preview", str(exc)) from None
    except preview.PreviewBusyError:
        message = "Every preview slot is in use; try again after Retry-After."
        raise ApiError(503, "preview_busy", message, retry) from None
    except preview.PreviewMemoryError as exc:
        raise ApiError(503, "preview_memory", str(exc), retry) from None


def _png(services: Services, render: Callable[[], bytes]) -> Response:
    png = render_png(services, render)
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.get(
    "/items/{item_id}/preview.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
    summary="A page of the upload with every finding box blacked out",
)
def redacted_preview(item_id: str, actor: ReviewerDep, services: ServicesDep, page: int = 1) -> Response:
    """Pages where a finding has no box (a PDF's text layer) come wholly pixelated."""
    data, findings = item_object(services, item_id, actor)
    return _png(services, lambda: preview.redacted_page(data, page, findings, services.settings))


class RevealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=2000, description="Why the raw page is needed; audited")
    page: int = Field(1, ge=1)


@router.post(
    "/items/{item_id}/reveal",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
    summary="A page as uploaded: logged (who, why) before the object is read",
)
def reveal(item_id: str, body: RevealIn, actor: ReviewerDep, services: ServicesDep) -> Response:
    with services.db.session() as session:
        _require_in_scope(services, _item(session, item_id, actor), actor)
        review.audit(
            session, actor.name, actor.role, "reveal", "review_item", item_id, reason=body.reason, page=body.page
        )
    data, _ = item_object(services, item_id, actor)
    return _png(services, lambda: preview.raw_page(data, body.page, services.settings))


@router.post("/items/{item_id}/claim", summary="Take the item for review (a lease of PIISCAN_REVIEW_LEASE_S)")
def claim(item_id: str, actor: ReviewerDep, services: ServicesDep) -> dict[str, Any]:
    return _transition(services, item_id, actor, "claim")


@router.post("/items/{item_id}/release", summary="Give a claimed item back to the queue")
def release(item_id: str, actor: ReviewerDep, services: ServicesDep) -> dict[str, Any]:
    return _transition(services, item_id, actor, "release")


@router.post("/items/{item_id}/decision", summary="Approve, reject or report (again: re-decisions are audited)")
def decide(item_id: str, body: DecisionIn, actor: ReviewerDep, services: ServicesDep) -> dict[str, Any]:
    """``report`` also builds the disclosure package (admins download it). The platform is told the
    decision by a signed ``review.decided`` webhook: ``action`` is ``hide`` or ``restore``."""
    return record_decision(services, item_id, actor, DECISION_OF[body.decision], body.reason)


def record_decision(
    services: Services, item_id: str, actor: Actor, decision_name: str, reason: str, *, claim_first: bool = False
) -> dict[str, Any]:
    """Decide (claiming first when asked and the item is free), build the package on ``reported``,
    queue the signed ``review.decided`` webhook and send it after the commit."""
    delivery_id = None
    with services.db.session() as session:
        item = _item(session, item_id, actor, lock=True)
        try:
            if (
                claim_first
                and item.status in review.OPEN
                and not (review.lease_valid(item, utcnow()) and item.claimed_by == actor.name)
            ):
                review.claim(session, item, actor.name, actor.role, services.settings.review_lease_s)
            decision = review.decide(session, item, actor.name, actor.role, decision_name, reason)
        except review.ReviewError as exc:
            raise ApiError(exc.status, exc.code, exc.message) from None
        package_id = None
        if decision_name == "reported":
            package_id = review.build_package(session, item, decision).id
        scan = item.scan
        if scan.upload.callback_url:
            payload = {
                "event": "review.decided",
                "scan_id": scan.id,
                "review_item_id": item.id,
                "tenant": item.tenant,
                "decision": decision_name,
                "action": ACTION_OF[decision_name],
                "decision_id": decision.id,
                "decided_at": _iso(decision.created_at),
                "object": {
                    "bucket": scan.upload.bucket,
                    "key": scan.upload.object_key,
                    "version_id": scan.upload.version_id,
                    "etag": scan.upload.etag,
                },
            }
            body_json = json.dumps(payload, sort_keys=True, separators=(",", ":"))
            delivery_id = repo.add_delivery(session, scan, "review.decided", scan.upload.callback_url, body_json).id
        result = {
            "item": item_document(item),
            "decision": decision_document(decision),
            "package_id": package_id,
            "webhook_delivery_id": delivery_id,
        }
    if delivery_id is not None:
        try:
            services.dispatcher.deliver(delivery_id)
        except Exception as exc:  # the sweeper sends pending deliveries again
            log.warning("could not queue webhook delivery %s (%s)", delivery_id, type(exc).__name__)
    return result
