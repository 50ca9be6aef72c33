"""One live analysis per (stream, segment, detector) (#16): live event ids carry the detector's
config hash, so a segment analysed again live after a code or config change (a rolling deploy,
a backfill of shed segments by a restarted detector) arrives under a second event id. A partial
unique index keeps the first one materialized; reanalysis runs (their own run ids) are not
covered by it. Live analyses stored twice before this revision are reduced to the earliest
(by `occurred_at`, then event id), their detections with them.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_LATER_LIVE_COPIES = (
    "SELECT event_id FROM ("
    " SELECT event_id, row_number() OVER ("
    "  PARTITION BY stream_id, segment_sequence, detector_name"
    "  ORDER BY occurred_at, event_id) AS rank"
    " FROM analysed_segments WHERE run_id = 'live') AS ranked "
    "WHERE rank > 1"
)


def upgrade() -> None:
    op.execute(f"DELETE FROM detections WHERE event_id IN ({_LATER_LIVE_COPIES})")  # noqa: S608
    op.execute(f"DELETE FROM analysed_segments WHERE event_id IN ({_LATER_LIVE_COPIES})")  # noqa: S608
    op.create_index(
        "ux_analysed_live_segment",
        "analysed_segments",
        ["stream_id", "segment_sequence", "detector_name"],
        unique=True,
        postgresql_where=sa.text("run_id = 'live'"),
    )


def downgrade() -> None:
    op.drop_index("ux_analysed_live_segment", table_name="analysed_segments")
