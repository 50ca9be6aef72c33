"""Pacing over a set of streams (#18): a pacing rule may name its member streams
(`stream_ids`, empty for the single-stream rules that exist) and a wall-clock start of its
period (`period_start_at`), since a set's streams share no stream clock.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "alert_rules",
        sa.Column("stream_ids", JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")),
    )
    op.add_column(
        "alert_rules", sa.Column("period_start_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("alert_rules", "period_start_at")
    op.drop_column("alert_rules", "stream_ids")
