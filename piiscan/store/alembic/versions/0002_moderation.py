"""moderation: principals, review items, decisions, abuse reports, disclosure packages, audit log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _ts(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("uploads") as batch:
        batch.add_column(sa.Column("uploader_ip", sa.String(64), nullable=True))
        batch.add_column(sa.Column("uploader_user_agent", sa.String(512), nullable=True))
    op.create_table(
        "principals",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("tenants", JSONType, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _ts("created_at"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "review_items",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("scan_id", sa.String(32), sa.ForeignKey("scans.id", ondelete="CASCADE"), nullable=False),
        sa.Column("tenant", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("verdict", sa.String(40), nullable=True),
        sa.Column("severity", sa.String(20), nullable=True),
        sa.Column("severity_rank", sa.Integer(), nullable=False),
        sa.Column("entity_types", sa.Text(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(100), nullable=True),
        _ts("lease_expires_at", True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.UniqueConstraint("scan_id"),
    )
    op.create_index("ix_review_items_tenant", "review_items", ["tenant"])
    op.create_index("ix_review_items_queue", "review_items", ["status", "priority", "severity_rank", "created_at"])
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.String(32), sa.ForeignKey("review_items.id", ondelete="CASCADE"), nullable=False),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(100), nullable=False),
        sa.Column("previous_status", sa.String(20), nullable=False),
        _ts("created_at"),
    )
    op.create_index("ix_decisions_item_id", "decisions", ["item_id"])
    op.create_table(
        "abuse_reports",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("upload_id", sa.String(32), sa.ForeignKey("uploads.id", ondelete="CASCADE"), nullable=False),
        sa.Column("item_id", sa.String(32), sa.ForeignKey("review_items.id", ondelete="SET NULL"), nullable=True),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("contact", sa.String(320), nullable=True),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("reporter_key", sa.String(64), nullable=False),
        _ts("created_at"),
        sa.UniqueConstraint("upload_id", "reporter_key", name="uq_abuse_reports_upload_reporter"),
    )
    op.create_index("ix_abuse_reports_upload_id", "abuse_reports", ["upload_id"])
    op.create_table(
        "disclosure_packages",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("item_id", sa.String(32), sa.ForeignKey("review_items.id", ondelete="CASCADE"), nullable=False),
        sa.Column("decision_id", sa.Integer(), sa.ForeignKey("decisions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("document", JSONType, nullable=False),
        _ts("created_at"),
        sa.UniqueConstraint("decision_id"),
    )
    op.create_index("ix_disclosure_packages_item_id", "disclosure_packages", ["item_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _ts("at"),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target_type", sa.String(40), nullable=False),
        sa.Column("target_id", sa.String(64), nullable=False),
        sa.Column("detail", JSONType, nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_target_id", "audit_log", ["target_id"])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("disclosure_packages")
    op.drop_table("abuse_reports")
    op.drop_table("decisions")
    op.drop_table("review_items")
    op.drop_table("principals")
    with op.batch_alter_table("uploads") as batch:
        batch.drop_column("uploader_user_agent")
        batch.drop_column("uploader_ip")
