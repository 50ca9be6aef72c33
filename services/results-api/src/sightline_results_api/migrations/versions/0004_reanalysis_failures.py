"""Reanalysis failures: a run a detector refused (bad overrides), from `reanalysis.dlq`.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reanalysis_failures",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index("ix_reanalysis_failures_run", "reanalysis_failures", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_reanalysis_failures_run", table_name="reanalysis_failures")
    op.drop_table("reanalysis_failures")
