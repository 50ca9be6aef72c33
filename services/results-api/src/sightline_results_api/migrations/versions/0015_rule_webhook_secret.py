"""Each alert rule signs its webhooks with a key of its own (#18), derived from the deployment's
webhook secret, the rule id and a version that rotating the key increments. Rules that existed
before keep version 0: the deployment's secret, as their receivers were set up with.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "alert_rules",
        sa.Column("webhook_secret_version", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_column("alert_rules", "webhook_secret_version")
