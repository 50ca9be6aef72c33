"""How each Detection was made (#15): live at full rate, degraded (the stream fell behind and
segments before it were skipped) or by a backfill run, and how many segments were skipped
before it, so a stream's status can say it is degraded and how far its backfill got.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "analysed_segments", sa.Column("analysis_mode", sa.String(length=16), nullable=True)
    )
    op.add_column(
        "analysed_segments",
        sa.Column("shed_before", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )


def downgrade() -> None:
    op.drop_column("analysed_segments", "shed_before")
    op.drop_column("analysed_segments", "analysis_mode")
