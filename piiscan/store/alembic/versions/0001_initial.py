"""uploads, scans, findings, verdicts, webhook deliveries

Revision ID: 0001
Revises:
Create Date: 2025-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "uploads",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("tenant", sa.String(200), nullable=False),
        sa.Column("bucket", sa.String(255), nullable=False),
        sa.Column("object_key", sa.String(1024), nullable=False),
        sa.Column("version", sa.String(300), nullable=False),
        sa.Column("version_id", sa.String(255), nullable=True),
        sa.Column("etag", sa.String(255), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("visibility", sa.String(20), nullable=True),
        sa.Column("uploader_id", sa.String(255), nullable=True),
        sa.Column("uploader_name", sa.String(255), nullable=True),
        sa.Column("uploader_emails", JSONType, nullable=True),
        sa.Column("uploader_phones", JSONType, nullable=True),
        sa.Column("callback_url", sa.String(2048), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("tenant", "bucket", "object_key", "version", name="uq_uploads_object_version"),
    )
    op.create_table(
        "scans",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("upload_id", sa.String(32), sa.ForeignKey("uploads.id", ondelete="CASCADE"), nullable=False),
        sa.Column("tenant", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("worker_losses", sa.Integer(), nullable=False),
        sa.Column("failure_code", sa.String(60), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("media_type", sa.String(200), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("verdict", sa.String(40), nullable=True),
        sa.Column("severity", sa.String(20), nullable=True),
        sa.Column("rule_pack_version", sa.String(200), nullable=True),
        sa.Column("context_key", sa.String(64), nullable=True),
        sa.Column("report", JSONType, nullable=True),
        sa.Column("reused_from", sa.String(32), sa.ForeignKey("scans.id", ondelete="SET NULL"), nullable=True),
        sa.Column("elapsed_ms", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("upload_id"),
    )
    op.create_index("ix_scans_tenant", "scans", ["tenant"])
    op.create_index("ix_scans_reuse", "scans", ["sha256", "rule_pack_version", "context_key"])
    op.create_index("ix_scans_status_updated", "scans", ["status", "updated_at"])
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("scan_id", sa.String(32), sa.ForeignKey("scans.id", ondelete="CASCADE"), nullable=False),
        sa.Column("entity_type", sa.String(60), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("masked", sa.String(500), nullable=False),
        sa.Column("bbox", JSONType, nullable=True),
        sa.Column("start", sa.Integer(), nullable=True),
        sa.Column("end", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(500), nullable=True),
    )
    op.create_index("ix_findings_scan_id", "findings", ["scan_id"])
    op.create_table(
        "verdicts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("scan_id", sa.String(32), sa.ForeignKey("scans.id", ondelete="CASCADE"), nullable=False),
        sa.Column("verdict", sa.String(40), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("rule_pack_version", sa.String(200), nullable=True),
        sa.Column("rules", JSONType, nullable=False),
        sa.Column("decided_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_verdicts_scan_id", "verdicts", ["scan_id"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("scan_id", sa.String(32), sa.ForeignKey("scans.id", ondelete="CASCADE"), nullable=False),
        sa.Column("event", sa.String(60), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_webhook_deliveries_scan_id", "webhook_deliveries", ["scan_id"])


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_table("verdicts")
    op.drop_table("findings")
    op.drop_table("scans")
    op.drop_table("uploads")
