"""stop flag: the hook's per-request ``stop_at_first_critical`` on each upload

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("uploads") as batch:
        # NULL: the request did not say, the worker's PIISCAN_STOP_AT_FIRST_CRITICAL applies
        batch.add_column(sa.Column("stop_at_first_critical", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("uploads") as batch:
        batch.drop_column("stop_at_first_critical")
