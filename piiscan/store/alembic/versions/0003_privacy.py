"""privacy: keyed hashes of findings and uploader identities, rescans, retention marks

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("value_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("key_id", sa.String(32), nullable=True))
    op.create_index("ix_findings_value_hash", "findings", ["value_hash"])
    with op.batch_alter_table("uploads") as batch:
        batch.add_column(sa.Column("uploader_keys", JSONType, nullable=True))
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("rescans", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("rescan_requested_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("evidence_purged_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("evidence_purged_at")
        batch.drop_column("rescan_requested_at")
        batch.drop_column("rescans")
    with op.batch_alter_table("uploads") as batch:
        batch.drop_column("uploader_keys")
    op.drop_index("ix_findings_value_hash", "findings")
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("key_id")
        batch.drop_column("value_hash")
