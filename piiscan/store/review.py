"""Moderation in the store: principals, the review queue, decisions, abuse reports, packages, audit.

Transitions of a review item::

    pending ──claim──► in_review ──decide──► approved | rejected | reported
       ▲                  │ (lease expires: anyone may claim it again)      │
       └── an abuse report reopens an approved item ◄──────────────────────┘ (re-decision: any time)

Every decision is a row (re-decisions too), every claim, decision, reveal and package access an
audit entry. Tokens, report secrets and reporter addresses are stored as keyed hashes only.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, bindparam, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import UpdateBase

from piiscan.settings import Grant
from piiscan.store.models import (
    SEVERITY_RANK,
    AbuseReport,
    AuditEntry,
    Decision,
    DisclosurePackage,
    Principal,
    ReviewItem,
    ReviewSession,
    Scan,
    ScanRow,
    Upload,
    new_id,
    utcnow,
)

OPEN = ("pending", "in_review")
DECIDED = ("approved", "rejected", "reported")
ALL_TENANTS = "*"


class ReviewError(Exception):
    """A transition that is not allowed now; ``status`` is the HTTP status the API answers with."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status = status
        self.code = code
        self.message = message
        super().__init__(message)


def keyed_hash(secret: str, purpose: str, value: str) -> str:
    return hmac.new(secret.encode(), f"piiscan-{purpose}:".encode() + value.encode(), hashlib.sha256).hexdigest()


def aware(value: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back; they were stored in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


# -- principals -------------------------------------------------------------------------------------


def sync_principals(session: Session, secret: str, reviewers: dict[str, Grant], admins: dict[str, Grant]) -> None:
    """Make the principals table match the configured tokens (stored hashed); others are deactivated,
    and their reviewer-page sessions revoked."""
    wanted: dict[str, tuple[str, Grant]] = {}
    for role, grants in (("reviewer", reviewers), ("admin", admins)):
        for token, grant in grants.items():
            wanted[keyed_hash(secret, "token", token)] = (role, grant)
    existing = {p.token_hash: p for p in session.scalars(select(Principal))}
    for token_hash, (role, grant) in wanted.items():
        principal = existing.get(token_hash)
        if principal is None:
            principal = Principal(token_hash=token_hash)
            session.add(principal)
        principal.name, principal.role, principal.tenants, principal.active = grant.name, role, grant.tenants, True
    for token_hash, principal in existing.items():
        if token_hash not in wanted:
            principal.active = False
            session.execute(
                update(ReviewSession)
                .where(ReviewSession.principal_id == principal.id, ReviewSession.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )


def principal_by_token(session: Session, secret: str, token: str) -> Principal | None:
    return session.scalars(
        select(Principal).where(Principal.token_hash == keyed_hash(secret, "token", token), Principal.active)
    ).first()


def sees_tenant(tenants: list[str], tenant: str) -> bool:
    return ALL_TENANTS in tenants or tenant in tenants


# -- audit ------------------------------------------------------------------------------------------


def audit(
    session: Session, actor: str, role: str, action: str, target_type: str, target_id: str, **detail: Any
) -> None:
    session.add(
        AuditEntry(actor=actor, role=role, action=action, target_type=target_type, target_id=target_id, detail=detail)
    )


def audit_entries(
    session: Session, target_id: str | None = None, limit: int = 200, tenants: list[str] | None = None
) -> list[AuditEntry]:
    """The newest entries first. With ``tenants`` (not ``"*"``), only those about an item or a package of
    those tenants: a claim, decision or reveal names an item, a download a package (whose item gives the
    tenant); service-wide entries (subject access, retention) belong to no tenant and stay with ``"*"``."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if target_id:
        query = query.where(AuditEntry.target_id == target_id)
    if tenants is not None and ALL_TENANTS not in tenants:
        items_of = select(ReviewItem.id).where(ReviewItem.tenant.in_(tenants))
        packages = select(DisclosurePackage.id).where(DisclosurePackage.item_id.in_(items_of))
        query = query.where(
            or_(
                and_(AuditEntry.target_type == "review_item", AuditEntry.target_id.in_(items_of)),
                and_(AuditEntry.target_type == "disclosure_package", AuditEntry.target_id.in_(packages)),
            )
        )
    return list(session.scalars(query))


# -- the queue --------------------------------------------------------------------------------------


def _flagged(scan: Scan | ScanRow, min_severity: str) -> bool:
    if scan.verdict in (None, "clean", "error"):
        return False
    return SEVERITY_RANK.get(scan.severity or "none", 0) >= SEVERITY_RANK[min_severity]


def _filled(scan: Scan | ScanRow, entity_types: Iterable[str]) -> dict[str, Any]:
    """What an item shows of its scan's result."""
    return {
        "verdict": scan.verdict,
        "severity": scan.severity,
        "severity_rank": SEVERITY_RANK.get(scan.severity or "none", 0),
        "entity_types": "," + ",".join(sorted(set(entity_types))) + ",",
    }


def _fill(item: ReviewItem, scan: Scan) -> None:
    for name, value in _filled(scan, (f.entity_type for f in scan.findings)).items():
        setattr(item, name, value)


def enqueue_finished_scan(
    session: Session, scan: Scan, min_severity: str, *, rescan: bool = False
) -> ReviewItem | None:
    """Called when a scan ends ``done``: a flagged verdict becomes (or refreshes) a review item.

    A scan that is not flagged and has no item (no abuse report made one) can never be disclosed,
    so the uploader's address and user agent, kept for that purpose only, are erased. A priority
    rescan (an abuse report asked for it) always has an item: it is created when missing, and its
    severity is never lowered below what a reviewer already saw."""
    item = session.scalars(select(ReviewItem).where(ReviewItem.scan_id == scan.id)).first()
    if rescan and item is not None:
        before = (item.verdict, item.severity, item.severity_rank)
        _fill(item, scan)
        if before[2] > item.severity_rank:
            item.verdict, item.severity, item.severity_rank = before
        session.flush()
        return item
    if item is None and not _flagged(scan, min_severity) and not rescan:
        scan.upload.uploader_ip = None
        scan.upload.uploader_user_agent = None
        return None
    if item is None:
        item = ReviewItem(scan_id=scan.id, tenant=scan.tenant, status="pending", priority=0)
        session.add(item)
    _fill(item, scan)
    session.flush()
    return item


_ITEMS: Table = ReviewItem.__table__  # type: ignore[assignment]
_FILLED = ("verdict", "severity", "severity_rank", "entity_types")
_FILL = {
    **{name: bindparam(f"item_{name}", type_=_ITEMS.c[name].type) for name in _FILLED},
    "updated_at": bindparam("now", type_=_ITEMS.c.updated_at.type),
}
_REFILL_ITEM = update(_ITEMS).where(_ITEMS.c.scan_id == bindparam("for_scan")).values(_FILL)
_NEW_ITEM = {
    "id": bindparam("item_new_id", type_=_ITEMS.c.id.type),
    "scan_id": bindparam("for_scan", type_=_ITEMS.c.scan_id.type),
    "tenant": bindparam("item_tenant", type_=_ITEMS.c.tenant.type),
    "status": bindparam("item_status", type_=_ITEMS.c.status.type),
    "priority": bindparam("item_priority", type_=_ITEMS.c.priority.type),
    "created_at": bindparam("now", type_=_ITEMS.c.created_at.type),
    **_FILL,
}
_UPSERT_ITEM = {
    name: upsert.values(_NEW_ITEM).on_conflict_do_update(
        index_elements=[_ITEMS.c.scan_id], set_={column: upsert.excluded[column] for column in (*_FILLED, "updated_at")}
    )
    for name, upsert in (("postgresql", pg_insert(_ITEMS)), ("sqlite", sqlite_insert(_ITEMS)))
}


def reused_item(
    scan: ScanRow, entity_types: Iterable[str], min_severity: str, now: datetime, dialect: str
) -> tuple[UpdateBase, dict[str, Any]] | None:
    """:func:`enqueue_finished_scan` for a reuse written with Core statements (``scan``: the locked
    copy with its new result; ``entity_types``: those of its finding rows): the statement and its
    parameters that create or refill the scan's item, or None when it has none and needs none (the
    caller then erases the uploader's address and user agent, as :func:`enqueue_finished_scan` does)."""
    params = {"for_scan": scan.id, "now": now, **{f"item_{k}": v for k, v in _filled(scan, entity_types).items()}}
    if _flagged(scan, min_severity):  # created, or refilled if an abuse report made it first
        new = {"item_new_id": new_id(), "item_tenant": scan.tenant, "item_status": "pending", "item_priority": 0}
        return _UPSERT_ITEM[dialect], {**params, **new}
    if scan.has_review_item:  # made by an abuse report: filled all the same
        return _REFILL_ITEM, params
    return None


@dataclass(frozen=True, slots=True)
class QueueFilter:
    statuses: tuple[str, ...] = OPEN
    verdict: str | None = None
    tenant: str | None = None
    entity_type: str | None = None
    limit: int = 50
    offset: int = 0


def list_items(session: Session, tenants: list[str], flt: QueueFilter) -> list[ReviewItem]:
    """Items the holder of ``tenants`` may see: reported first, then by severity, then oldest first."""
    query = select(ReviewItem).where(ReviewItem.status.in_(flt.statuses))
    if ALL_TENANTS not in tenants:
        query = query.where(ReviewItem.tenant.in_(tenants))
    if flt.tenant:
        query = query.where(ReviewItem.tenant == flt.tenant)
    if flt.verdict:
        query = query.where(ReviewItem.verdict == flt.verdict)
    if flt.entity_type:
        query = query.where(ReviewItem.entity_types.contains(f",{flt.entity_type},", autoescape=True))
    query = query.order_by(
        ReviewItem.priority.desc(), ReviewItem.severity_rank.desc(), ReviewItem.created_at, ReviewItem.id
    )
    return list(session.scalars(query.limit(flt.limit).offset(flt.offset)))


def get_item(session: Session, item_id: str, tenants: list[str], *, lock: bool = False) -> ReviewItem | None:
    item = session.get(ReviewItem, item_id, with_for_update=lock)
    if item is None or not sees_tenant(tenants, item.tenant):
        return None
    return item


def lease_valid(item: ReviewItem, now: datetime) -> bool:
    expires = aware(item.lease_expires_at)
    return item.status == "in_review" and expires is not None and expires > now


def claim(session: Session, item: ReviewItem, actor: str, role: str, lease_s: int) -> None:
    """pending (or in_review with an expired lease, or already the actor's) → in_review, leased to ``actor``."""
    now = utcnow()
    if item.status in DECIDED:
        raise ReviewError(409, "already_decided", f"Item {item.id} is {item.status}; decide again without a claim")
    if lease_valid(item, now) and item.claimed_by != actor:
        raise ReviewError(409, "claimed", f"Item {item.id} is being reviewed by {item.claimed_by} until its lease ends")
    previous = item.claimed_by if item.status == "in_review" else None
    item.status = "in_review"
    item.claimed_by = actor
    item.lease_expires_at = now + timedelta(seconds=lease_s)
    audit(session, actor, role, "claim", "review_item", item.id, lease_s=lease_s, taken_from=previous)


def release(session: Session, item: ReviewItem, actor: str, role: str) -> None:
    if item.status != "in_review" or item.claimed_by != actor:
        raise ReviewError(409, "not_claimed", f"Item {item.id} is not claimed by {actor}")
    item.status, item.claimed_by, item.lease_expires_at = "pending", None, None
    audit(session, actor, role, "release", "review_item", item.id)


def decide(session: Session, item: ReviewItem, actor: str, role: str, decision: str, reason: str) -> Decision:
    """Record a decision: on an item the actor holds a live lease on, or again on a decided item."""
    now = utcnow()
    if item.status == "pending":
        raise ReviewError(409, "not_claimed", f"Claim item {item.id} before deciding on it")
    if item.status == "in_review" and (item.claimed_by != actor or not lease_valid(item, now)):
        raise ReviewError(409, "lease_lost", f"Item {item.id} is not leased to {actor} (expired or claimed by another)")
    row = Decision(decision=decision, reason=reason, decided_by=actor, previous_status=item.status)
    item.decisions.append(row)
    redecision = item.status in DECIDED
    item.status = decision
    item.claimed_by = None
    item.lease_expires_at = None
    session.flush()
    audit(
        session,
        actor,
        role,
        "redecide" if redecision else "decide",
        "review_item",
        item.id,
        decision=decision,
        reason=reason,
        previous_status=row.previous_status,
        decision_id=row.id,
    )
    return row


# -- disclosure packages ----------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    value = aware(value)
    return value.isoformat() if value is not None else None


def build_package(session: Session, item: ReviewItem, decision: Decision) -> DisclosurePackage:
    """The disclosure a ``reported`` decision makes: the upload, the evidence (masked), the decision
    and its reason, and only the uploader identifiers the policy allows."""
    scan = item.scan
    upload = scan.upload
    reports = session.scalars(select(AbuseReport).where(AbuseReport.upload_id == upload.id).order_by(AbuseReport.id))
    document = {
        "kind": "piiscan.disclosure/1",
        "upload": {
            "tenant": upload.tenant,
            "bucket": upload.bucket,
            "key": upload.object_key,
            "version_id": upload.version_id,
            "etag": upload.etag,
            "sha256": scan.sha256,
            "media_type": scan.media_type,
            "size": scan.size,
            "visibility": upload.visibility,
        },
        "uploader": {
            "account_id": upload.uploader_id,
            "upload_time": _iso(upload.created_at),
            "ip": upload.uploader_ip,
            "user_agent": upload.uploader_user_agent,
        },
        "evidence": {
            "scan_id": scan.id,
            "verdict": scan.verdict,
            "severity": scan.severity,
            "rule_pack_version": scan.rule_pack_version,
            "rules": (scan.report or {}).get("rules", []),
            "findings": [finding_document(f) for f in scan.findings],
            "abuse_reports": [{"category": r.category, "received_at": _iso(r.created_at)} for r in reports],
        },
        "decision": {
            "review_item_id": item.id,
            "decision": decision.decision,
            "reason": decision.reason,
            "decided_by": decision.decided_by,
            "decided_at": _iso(decision.created_at),
            "history": [
                {"decision": d.decision, "decided_by": d.decided_by, "decided_at": _iso(d.created_at)}
                for d in item.decisions
            ],
        },
    }
    package = DisclosurePackage(item_id=item.id, decision_id=decision.id, document=document)
    session.add(package)
    session.flush()
    return package


def finding_document(finding: Any) -> dict[str, Any]:
    return {
        "entity_type": finding.entity_type,
        "score": finding.score,
        "page": finding.page,
        "source": finding.source,
        "masked": finding.masked,
        "bbox": finding.bbox,
        "start": finding.start,
        "end": finding.end,
        "origin": finding.origin,
    }


def packages_of(session: Session, item_id: str | None = None) -> list[DisclosurePackage]:
    query = select(DisclosurePackage).order_by(DisclosurePackage.created_at.desc())
    if item_id:
        query = query.where(DisclosurePackage.item_id == item_id)
    return list(session.scalars(query))


# -- abuse reports ----------------------------------------------------------------------------------


def find_upload(session: Session, bucket: str, key: str, tenant: str) -> Upload | None:
    """The newest announced version of ``bucket/key`` among ``tenant``'s uploads (the key's owner: never
    another tenant's scan of the same key)."""
    return session.scalars(
        select(Upload)
        .where(Upload.bucket == bucket, Upload.object_key == key, Upload.tenant == tenant)
        .order_by(Upload.created_at.desc())
        .limit(1)
    ).first()


@dataclass(frozen=True, slots=True)
class ReportOutcome:
    report: AbuseReport
    secret: str | None
    """The status secret, shown once; None for a duplicate."""
    duplicate: bool
    rescan: bool
    """True when the scan had failed and was put back in the queue: send it to a worker now."""
    priority_rescan: bool = False
    """True when the scan had finished: scan it again now, on the priority queue."""
    held: str | None = None
    """Why no rescan was started (``pending``, ``cooldown``, ``poison``), for the log; None when one was."""


REQUEUE_CODES = frozenset({"transient_error", "storage_unavailable", "storage_error", "ocr_unavailable"})
"""Failure (or ``verdict: error``) codes of a passing fault (the store, the database or OCR was away):
another attempt may succeed. Every other code is a fault of the input itself (``corrupt_file``,
``archive_limit``, ``image_too_large``, a budget or time limit, a worker killed by the file): the same
bytes fail the same way, so a report never sends such a poison file to a worker again."""


@dataclass(frozen=True, slots=True)
class RescanPolicy:
    """What an abuse report may start: at most one rescan per ``cooldown_s`` per scan."""

    now: datetime
    cooldown_s: int = 3600
    max_attempts: int = 3
    """``PIISCAN_SCAN_MAX_ATTEMPTS``: a scan whose worker died that often is poison whatever its code says
    (``attempts`` is not counted: transient retries of a store that was away raise it too)."""

    @property
    def cutoff(self) -> datetime:
        return self.now - timedelta(seconds=self.cooldown_s)


def _error_code(scan: Scan) -> str | None:
    if scan.status == "failed":
        return scan.failure_code
    if scan.verdict == "error":
        error = (scan.report or {}).get("error") or {}
        return str(error.get("code") or "scan_failed")
    return None


def poisoned(scan: Scan, max_attempts: int) -> bool:
    """The scan failed on its input (not on a passing fault): scanning the same bytes again only costs."""
    code = _error_code(scan)
    if code is None:
        return False
    if (scan.worker_losses or 0) >= max_attempts:  # its worker died this often: the file kills workers
        return True
    return code not in REQUEUE_CODES


def _cooled(policy: RescanPolicy) -> Any:
    return or_(Scan.report_rescan_at.is_(None), Scan.report_rescan_at <= policy.cutoff)


def _start_rescan(session: Session, scan: Scan, policy: RescanPolicy) -> tuple[bool, bool, str | None]:
    """Start at most one rescan: a conditional UPDATE (safe on PostgreSQL and SQLite alike, whatever
    the row lock did) that only matches a scan with no rescan pending or running and past its cool-down."""
    if scan.status not in ("failed", "done"):
        return False, False, "pending"  # queued or running: on its way already (the sweeper sees to it)
    if poisoned(scan, policy.max_attempts):
        return False, False, "poison"
    if scan.status == "failed":
        stmt = (
            update(Scan)
            .where(Scan.id == scan.id, Scan.status == "failed", _cooled(policy))
            .values(
                status="queued", failure_code=None, failure_reason=None, worker_losses=0, report_rescan_at=policy.now
            )
        )
    else:
        stmt = (
            update(Scan)
            .where(Scan.id == scan.id, Scan.status == "done", Scan.rescan_requested_at.is_(None), _cooled(policy))
            .values(rescan_requested_at=policy.now, rescan_started_at=None, report_rescan_at=policy.now)
        )
    started = session.execute(stmt.execution_options(synchronize_session=False)).rowcount == 1  # type: ignore[attr-defined]
    if not started:
        session.expire(scan)
        return False, False, "pending" if scan.rescan_requested_at is not None else "cooldown"
    session.expire(scan)
    return scan.status == "queued", scan.status == "done", None


def file_report(
    session: Session,
    secret_key: str,
    upload: Upload,
    client: str,
    category: str,
    description: str,
    contact: str | None,
    policy: RescanPolicy | None = None,
) -> ReportOutcome:
    """Record a report (one per upload and client address) and raise, reopen or create its review item;
    start a rescan only as ``policy`` allows (never of a poison file, one at a time, one per cool-down)."""
    policy = policy or RescanPolicy(now=utcnow())
    reporter_key = keyed_hash(secret_key, "reporter", f"{upload.id}:{client}")
    existing = session.scalars(
        select(AbuseReport).where(AbuseReport.upload_id == upload.id, AbuseReport.reporter_key == reporter_key)
    ).first()
    if existing is not None:
        return ReportOutcome(existing, None, True, False)
    scan = session.scalars(select(Scan).where(Scan.upload_id == upload.id).with_for_update()).one()
    item = session.scalars(select(ReviewItem).where(ReviewItem.scan_id == scan.id).with_for_update()).first()
    if item is None:
        item = ReviewItem(scan_id=scan.id, tenant=scan.tenant, status="pending", priority=0)
        session.add(item)
        if scan.status == "done":
            _fill(item, scan)
    item.priority += 1
    if item.status == "approved":
        item.status = "pending"
        audit(session, "abuse-report", "public", "reopen", "review_item", item.id, category=category)
    status_secret = secrets.token_urlsafe(24)
    report = AbuseReport(
        upload_id=upload.id,
        category=category,
        description=description,
        contact=contact,
        secret_hash=keyed_hash(secret_key, "report-secret", status_secret),
        reporter_key=reporter_key,
    )
    session.add(report)
    session.flush()
    report.item_id = item.id
    rescan, priority, held = _start_rescan(session, scan, policy)
    return ReportOutcome(report, status_secret, False, rescan, priority, held)


def report_status(
    session: Session, secret_keys: str | Sequence[str], report_id: str, status_secret: str
) -> dict[str, Any] | None:
    """What a reporter may know of their report: its stage and whether action was taken, nothing else.

    ``secret_keys``: the report key, or it and the legacy keys older secrets were hashed with
    (``Settings.verify_keys("report")``): any of them verifies."""
    report = session.get(AbuseReport, report_id)
    if report is None:
        return None
    keys = [secret_keys] if isinstance(secret_keys, str) else list(secret_keys)
    matches = [hmac.compare_digest(report.secret_hash, keyed_hash(k, "report-secret", status_secret)) for k in keys]
    if not any(matches):
        return None
    item = session.get(ReviewItem, report.item_id) if report.item_id else None
    stage, outcome = "received", None
    if item is not None and item.status == "in_review":
        stage = "in_review"
    elif item is not None and item.status in DECIDED:
        stage = "resolved"
        outcome = "no_action" if item.status == "approved" else "action_taken"
    return {
        "report_id": report.id,
        "category": report.category,
        "status": stage,
        "outcome": outcome,
        "received_at": _iso(report.created_at),
    }


def reports_of(item: ReviewItem) -> list[AbuseReport]:
    """The reports on the item's upload (their contacts stay out of every view)."""
    session = Session.object_session(item)
    if session is None:
        return []
    return list(
        session.scalars(
            select(AbuseReport).where(AbuseReport.upload_id == item.scan.upload_id).order_by(AbuseReport.created_at)
        )
    )
