"""Pacing alert rules (#18): a brand's screen-time target over a contracted period of a stream.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_COLUMNS = ("target_s", "period_s", "period_start_s", "warmup_s")


def upgrade() -> None:
    for name in _COLUMNS:
        op.add_column("alert_rules", sa.Column(name, sa.Float(), nullable=True))


def downgrade() -> None:
    for name in reversed(_COLUMNS):
        op.drop_column("alert_rules", name)
