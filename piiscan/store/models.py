"""Tables: uploads, scans, findings (masked only), verdicts and webhook deliveries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

JSONType = JSON().with_variant(JSONB(), "postgresql")

SCAN_STATUSES = ("queued", "running", "done", "failed")
DELIVERY_STATUSES = ("pending", "delivered", "failed")


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
    origin: Mapped[str] = mapped_column(String(20))
    """``api`` (a scan request) or ``s3_event`` (a bucket notification)."""
    visibility: Mapped[str | None] = mapped_column(String(20))
    uploader_id: Mapped[str | None] = mapped_column(String(255))
    uploader_name: Mapped[str | None] = mapped_column(String(255))
    uploader_emails: Mapped[list[str] | None] = mapped_column(JSONType)
    uploader_phones: Mapped[list[str] | None] = mapped_column(JSONType)
    """The identity fields are personal data needed only to match findings: erased when the scan ends."""
    callback_url: Mapped[str | None] = mapped_column(String(2048))
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
