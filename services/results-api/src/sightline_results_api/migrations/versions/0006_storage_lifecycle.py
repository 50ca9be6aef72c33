"""Storage lifecycle: per-stream retention, a `deleting` mark, and durable deletion jobs.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("streams", sa.Column("video_retention_s", sa.Float(), nullable=True))
    op.add_column("streams", sa.Column("results_retention_s", sa.Float(), nullable=True))
    op.add_column(
        "streams",
        sa.Column("deleting", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("streams", sa.Column("video_kept_from", sa.Float(), nullable=True))
    op.create_table(
        "deletion_jobs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("stream_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("seq_from", sa.Integer(), nullable=True),
        sa.Column("seq_to", sa.Integer(), nullable=True),
        sa.Column("media_from", sa.Float(), nullable=True),
        sa.Column("media_to", sa.Float(), nullable=True),
        sa.Column("objects_deleted", sa.Integer(), nullable=False),
        sa.Column("rows_deleted", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_deletion_jobs_stream", "deletion_jobs", ["stream_id", "kind"])


def downgrade() -> None:
    op.drop_index("ix_deletion_jobs_stream", table_name="deletion_jobs")
    op.drop_table("deletion_jobs")
    for column in ("video_kept_from", "deleting", "results_retention_s", "video_retention_s"):
        op.drop_column("streams", column)
