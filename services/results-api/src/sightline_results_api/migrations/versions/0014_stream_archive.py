"""Streams can be archived (#19): a finished stream (a test, last season's match) leaves the
default lists of the API and the dashboard but keeps its video, results and reports; null is
not archived.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("streams", sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("streams", "archived_at")
