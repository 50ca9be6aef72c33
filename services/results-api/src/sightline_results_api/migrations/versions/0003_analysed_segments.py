"""Analysed segments: one row per Detection message, for coverage and run progress.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analysed_segments",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("stream_id", sa.String(), nullable=False),
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("segment_sequence", sa.Integer(), nullable=False),
        sa.Column("media_start", sa.Float(), nullable=False),
        sa.Column("detector_name", sa.String(), nullable=False),
        sa.Column("detector_version", sa.String(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index(
        "ix_analysed_run", "analysed_segments", ["stream_id", "run_id", "segment_sequence"]
    )


def downgrade() -> None:
    op.drop_index("ix_analysed_run", table_name="analysed_segments")
    op.drop_table("analysed_segments")
