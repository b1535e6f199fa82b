"""Tables: uploads, scans, findings (masked only), verdicts, webhook deliveries and moderation."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

JSONType = JSON().with_variant(JSONB(), "postgresql")

SCAN_STATUSES = ("queued", "running", "done", "failed")
DELIVERY_STATUSES = ("pending", "delivered", "failed")
REVIEW_STATUSES = ("pending", "in_review", "approved", "rejected", "reported")
DECISIONS = ("approved", "rejected", "reported")
ROLES = ("hook", "reviewer", "admin")
REPORT_CATEGORIES = ("third_party_privacy", "illegal", "abusive", "rights_violation")
SEVERITY_RANK = {"none": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


def new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Upload(Base):
    """One object version announced by the platform; the same version is one row per tenant."""

    __tablename__ = "uploads"
    __table_args__ = (UniqueConstraint("tenant", "bucket", "object_key", "version", name="uq_uploads_object_version"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    tenant: Mapped[str] = mapped_column(String(200))
    bucket: Mapped[str] = mapped_column(String(255))
    object_key: Mapped[str] = mapped_column(String(1024))
    version: Mapped[str] = mapped_column(String(300))
    """``v:<version id>`` for versioned buckets, ``e:<etag>`` otherwise: the dedupe identity."""
    version_id: Mapped[str | None] = mapped_column(String(255))
    etag: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    """The hex SHA-256 of this version as the store verified it on upload (S3 ``ChecksumSHA256``,
    :attr:`piiscan.storage.ObjectInfo.sha256`), read by the hook's HEAD together with the ETag and
    version id that identify the version; None when the store keeps none. Never from the request."""
    origin: Mapped[str] = mapped_column(String(20))
    """``api`` (a scan request) or ``s3_event`` (a bucket notification)."""
    visibility: Mapped[str | None] = mapped_column(String(20))
    uploader_id: Mapped[str | None] = mapped_column(String(255))
    uploader_name: Mapped[str | None] = mapped_column(String(255))
    uploader_emails: Mapped[list[str] | None] = mapped_column(JSONType)
    uploader_phones: Mapped[list[str] | None] = mapped_column(JSONType)
    """The identity fields are personal data needed only to match findings: erased when the scan ends."""
    uploader_ip: Mapped[str | None] = mapped_column(String(64))
    uploader_user_agent: Mapped[str | None] = mapped_column(String(512))
    """As the hook supplied them; kept only for a disclosure package (erased when the scan is clean)."""
    uploader_keys: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    """The identity as keyed hashes ({key_id, kinds, hashes}): lets a rescan match ownership after the
    raw fields are erased (:meth:`piiscan.privacy.keys.EvidenceKeys.identity`)."""
    callback_url: Mapped[str | None] = mapped_column(String(2048))
    stop_at_first_critical: Mapped[bool | None] = mapped_column(Boolean)
    """The request's choice to end the scan at the first critical page; None: the worker's setting."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    scan: Mapped[Scan] = relationship(back_populates="upload", uselist=False)


class Scan(Base):
    __tablename__ = "scans"
    __table_args__ = (
        Index("ix_scans_reuse", "sha256", "rule_pack_version", "context_key"),
        Index("ix_scans_status_updated", "status", "updated_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    upload_id: Mapped[str] = mapped_column(ForeignKey("uploads.id", ondelete="CASCADE"), unique=True)
    tenant: Mapped[str] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker_losses: Mapped[int] = mapped_column(Integer, default=0)
    failure_code: Mapped[str | None] = mapped_column(String(60))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    media_type: Mapped[str | None] = mapped_column(String(200))
    size: Mapped[int | None] = mapped_column(BigInteger)
    pages: Mapped[int | None] = mapped_column(Integer)
    verdict: Mapped[str | None] = mapped_column(String(40))
    severity: Mapped[str | None] = mapped_column(String(20))
    rule_pack_version: Mapped[str | None] = mapped_column(String(200))
    context_key: Mapped[str | None] = mapped_column(String(64))
    """Keyed hash of the scan context (uploader, visibility, tenant): reuse needs the same context."""
    report: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    """The masked report (``ScanResult.to_dict(reveal=False)``)."""
    reused_from: Mapped[str | None] = mapped_column(ForeignKey("scans.id", ondelete="SET NULL"))
    rescans: Mapped[int] = mapped_column(Integer, default=0)
    """Priority rescans asked for by abuse reports (pending when ``rescan_requested_at`` is set)."""
    rescan_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rescan_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """Set while a worker runs the requested rescan (claimed with a conditional UPDATE): no second one starts."""
    report_rescan_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When an abuse report last started a rescan or re-queue, moved on when that rescan ends: the start of
    ``PIISCAN_REPORT_RESCAN_COOLDOWN_S``."""
    evidence_purged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """Set when retention removed the findings and the report's evidence: never reused after that."""
    elapsed_ms: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    upload: Mapped[Upload] = relationship(back_populates="scan")
    findings: Mapped[list[FindingRow]] = relationship(
        back_populates="scan", cascade="all, delete-orphan", order_by="FindingRow.id"
    )
    verdicts: Mapped[list[VerdictRow]] = relationship(
        back_populates="scan", cascade="all, delete-orphan", order_by="VerdictRow.id"
    )
    deliveries: Mapped[list[WebhookDelivery]] = relationship(
        back_populates="scan", cascade="all, delete-orphan", order_by="WebhookDelivery.created_at"
    )


class FindingRow(Base):
    """A finding as reviewers see it: masked value and location, never the raw value."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scan_id: Mapped[str] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"), index=True)
    entity_type: Mapped[str] = mapped_column(String(60))
    score: Mapped[float] = mapped_column(Float)
    page: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20))
    masked: Mapped[str] = mapped_column(String(500))
    value_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    """HMAC-SHA256 of the normalised value under the key ``key_id`` (subject access, ownership)."""
    key_id: Mapped[str | None] = mapped_column(String(32))
    bbox: Mapped[dict[str, int] | None] = mapped_column(JSONType)
    start: Mapped[int | None] = mapped_column(Integer)
    end: Mapped[int | None] = mapped_column(Integer)
    origin: Mapped[str | None] = mapped_column(String(500))

    scan: Mapped[Scan] = relationship(back_populates="findings")


class VerdictRow(Base):
    """A decision on a scan: the scanner's first, reviewers' later ones on top."""

    __tablename__ = "verdicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scan_id: Mapped[str] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"), index=True)
    verdict: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(20))
    rule_pack_version: Mapped[str | None] = mapped_column(String(200))
    rules: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)
    decided_by: Mapped[str] = mapped_column(String(100), default="scanner")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    scan: Mapped[Scan] = relationship(back_populates="verdicts")


class WebhookDelivery(Base):
    """One webhook call (with its retries): the exact body sent, and how it went."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    scan_id: Mapped[str] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(60))
    url: Mapped[str] = mapped_column(String(2048))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    scan: Mapped[Scan] = relationship(back_populates="deliveries")


class Principal(Base):
    """A reviewer or admin; the token is kept as a keyed hash (HMAC-SHA256), never in plain."""

    __tablename__ = "principals"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    tenants: Mapped[list[str]] = mapped_column(JSONType, default=list)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReviewSession(Base):
    """A reviewer-page login: found by the keyed hash of its cookie's random value (never stored in plain).

    Logout deletes the row, an admin's revocation (or the principal's deactivation) sets ``revoked_at``;
    the retention purge deletes expired and revoked rows."""

    __tablename__ = "review_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    principal_id: Mapped[str] = mapped_column(ForeignKey("principals.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    principal: Mapped[Principal] = relationship()


class ReviewItem(Base):
    """A flagged (or reported) upload waiting for, or carrying, a reviewer's decision."""

    __tablename__ = "review_items"
    __table_args__ = (Index("ix_review_items_queue", "status", "priority", "severity_rank", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    scan_id: Mapped[str] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"), unique=True)
    tenant: Mapped[str] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    verdict: Mapped[str | None] = mapped_column(String(40))
    severity: Mapped[str | None] = mapped_column(String(20))
    severity_rank: Mapped[int] = mapped_column(Integer, default=0)
    entity_types: Mapped[str] = mapped_column(Text, default=",")
    """``,PERSON,EMAIL_ADDRESS,``: filterable with LIKE on every database."""
    priority: Mapped[int] = mapped_column(Integer, default=0)
    """Raised by abuse reports: reported items come first."""
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    scan: Mapped[Scan] = relationship()
    decisions: Mapped[list[Decision]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="Decision.id"
    )


class Decision(Base):
    """One reviewer decision; a re-decision is a new row (the history is the audit)."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"), index=True)
    decision: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(100))
    previous_status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    item: Mapped[ReviewItem] = relationship(back_populates="decisions")


class AbuseReport(Base):
    """A report of an upload by anyone; the status secret and the reporter's address are keyed hashes."""

    __tablename__ = "abuse_reports"
    __table_args__ = (UniqueConstraint("upload_id", "reporter_key", name="uq_abuse_reports_upload_reporter"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    upload_id: Mapped[str] = mapped_column(ForeignKey("uploads.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str | None] = mapped_column(ForeignKey("review_items.id", ondelete="SET NULL"))
    category: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(320))
    secret_hash: Mapped[str] = mapped_column(String(64))
    reporter_key: Mapped[str] = mapped_column(String(64))
    """Keyed hash of the client address: the dedupe identity (the address itself is not kept)."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DisclosurePackage(Base):
    """What a ``reported`` decision discloses: built by that decision only, read by admins only."""

    __tablename__ = "disclosure_packages"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    item_id: Mapped[str] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"), index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"), unique=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEntry(Base):
    """Who did what to which item or package: decisions, claims, reveals, package accesses."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str] = mapped_column(String(64), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


# -- plain copies of rows ---------------------------------------------------------------------------


@dataclass(slots=True)
class UploadRow:
    """An upload as the worker's hot path reads it with Core (no ORM instance: building one costs
    more than the statement): a copy, never saved by itself."""

    id: str
    tenant: str
    bucket: str
    object_key: str
    version_id: str | None
    etag: str | None
    sha256: str | None
    visibility: str | None
    uploader_id: str | None
    uploader_name: str | None
    uploader_emails: list[str] | None
    uploader_phones: list[str] | None
    uploader_ip: str | None
    uploader_user_agent: str | None
    uploader_keys: dict[str, Any] | None
    callback_url: str | None
    stop_at_first_critical: bool | None


@dataclass(slots=True)
class ScanRow:
    """A scan (and its upload) as the worker's hot path reads and writes it with Core; the fields
    :func:`piiscan.store.views.scan_document` shows. A copy, never saved by itself."""

    upload: UploadRow = field(repr=False)
    id: str
    tenant: str
    status: str
    attempts: int
    worker_losses: int
    failure_code: str | None
    failure_reason: str | None
    sha256: str | None
    verdict: str | None
    severity: str | None
    rule_pack_version: str | None
    report: dict[str, Any] | None
    reused_from: str | None
    rescans: int
    started_at: datetime | None
    created_at: datetime
    finished_at: datetime | None
    has_review_item: bool
    """An item existed when the scan was read (an abuse report made it): it is refilled on a reuse."""


UPLOAD_ROW_FIELDS = tuple(UploadRow.__dataclass_fields__)
SCAN_ROW_FIELDS = tuple(name for name in ScanRow.__dataclass_fields__ if name not in ("upload", "has_review_item"))
