"""API tokens gain a scope and an optional expiry (#17): a `read` token may only call safe
methods (GET, HEAD, OPTIONS); an expired token is refused like a revoked one. Existing tokens
keep full access (`write`) and never expire, as they were issued.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "api_tokens",
        sa.Column("scope", sa.String(length=16), nullable=False, server_default="write"),
    )
    op.add_column("api_tokens", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("api_tokens", "expires_at")
    op.drop_column("api_tokens", "scope")
