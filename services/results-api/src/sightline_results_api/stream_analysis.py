"""A stream's live analysis as its detections report it (#15).

A live detector that falls behind skips stale segments and says so in every Detection
(`analysis.mode`, `analysis.shed_before`); backfill runs analyse the skipped segments later
(`mode: backfill`). The materializer keeps both per analysed segment; from them a stream is
degraded while any detector's newest live detection was made degraded, and its backfill's
progress is how many of the segments skipped in the last hour were analysed since.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import distinct_on
from sqlmodel import Session, col, select

from sightline_results_api.models import AnalysedSegment, utcnow

LIVE_RUN = "live"
BACKFILL_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class LiveAnalysis:
    """Degraded now, and the last hour's skipped segments and how many were backfilled."""

    degraded: bool
    skipped: int
    backfilled: int


def live_analysis(
    session: Session, stream_ids: Sequence[str], now: datetime | None = None
) -> dict[str, LiveAnalysis]:
    """Per stream whose live detections say how they were made (others are absent)."""
    if not stream_ids:
        return {}
    live = (
        col(AnalysedSegment.stream_id).in_(stream_ids),
        col(AnalysedSegment.run_id) == LIVE_RUN,
    )
    newest = session.exec(
        select(AnalysedSegment.stream_id, AnalysedSegment.analysis_mode)
        .where(*live, col(AnalysedSegment.analysis_mode).in_(("full", "degraded")))
        .ext(distinct_on(col(AnalysedSegment.stream_id), col(AnalysedSegment.detector_name)))
        .order_by(
            col(AnalysedSegment.stream_id),
            col(AnalysedSegment.detector_name),
            col(AnalysedSegment.segment_sequence).desc(),
        )
    ).all()
    degraded: dict[str, bool] = {}
    for stream_id, mode in newest:
        degraded[stream_id] = degraded.get(stream_id, False) or mode == "degraded"
    since = (now or utcnow()) - BACKFILL_WINDOW
    backfill = col(AnalysedSegment.analysis_mode) == "backfill"
    counts = session.exec(
        select(
            AnalysedSegment.stream_id,
            func.coalesce(func.sum(AnalysedSegment.shed_before), 0),
            func.count().filter(backfill),
        )
        .where(*live, col(AnalysedSegment.occurred_at) >= since)
        .group_by(col(AnalysedSegment.stream_id))
    ).all()
    recent = {stream_id: (int(skipped), int(done)) for stream_id, skipped, done in counts}
    return {
        stream_id: LiveAnalysis(
            degraded=degraded.get(stream_id, False),
            skipped=recent.get(stream_id, (0, 0))[0],
            backfilled=min(*recent.get(stream_id, (0, 0))),
        )
        for stream_id in degraded.keys() | recent.keys()
    }
