"""report rescans: when a report-started rescan last ran and whether one runs now

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        # set when an abuse report last started a rescan or re-queue, and when that rescan ended: the cool-down
        batch.add_column(sa.Column("report_rescan_at", sa.DateTime(timezone=True), nullable=True))
        # set while a worker runs a priority rescan: no second one starts, the sweeper does not re-send it
        batch.add_column(sa.Column("rescan_started_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("rescan_started_at")
        batch.drop_column("report_rescan_at")
