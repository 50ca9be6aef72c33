"""Pins: a stretch of a stream kept past its video retention (evidence) until unpinned.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pins",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("stream_id", sa.String(length=64), nullable=False),
        sa.Column("media_from", sa.Float(), nullable=False),
        sa.Column("media_to", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pins_stream", "pins", ["stream_id", "media_from"])


def downgrade() -> None:
    op.drop_index("ix_pins_stream", table_name="pins")
    op.drop_table("pins")
