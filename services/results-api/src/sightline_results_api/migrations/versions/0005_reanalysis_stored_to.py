"""Reanalysis runs remember when the last segment of their range known at request was stored.

A run re-analyses the segments stored when it was requested (the detectors read up to the
topic's end as it stood then), so its progress counts those, not segments a stream still live
adds to the range later.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "reanalysis_runs", sa.Column("stored_to", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("reanalysis_runs", "stored_to")
