"""Which segments of a stream are gone (expired or erased), for playback to stop listing them.

Ingest rewrites the stored playlist with every segment it published at each new segment of a
live stream, so a trimmed playlist can list expired or erased segments again until the stream
stops; the API's playlist filters them by what results-api recorded.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from sqlalchemy import func
from sqlmodel import Session, select

from sightline_results_api.models import DeletionJob, Segment, Stream
from sightline_results_api.storage_lifecycle.jobs import RANGE


def removed_sequences(session: Session, stream: Stream) -> Callable[[int], bool] | None:
    """A predicate on sequence numbers: expired (before the first kept segment) or inside an
    erased range. None when nothing of the stream was removed."""
    ranges = [
        (low, high)
        for low, high in session.exec(
            select(DeletionJob.seq_from, DeletionJob.seq_to).where(
                DeletionJob.stream_id == stream.id, DeletionJob.kind == RANGE
            )
        ).all()
        if low is not None and high is not None
    ]
    first_kept: float = -math.inf
    if stream.video_kept_from is not None:
        first = session.exec(
            select(func.min(Segment.sequence)).where(Segment.stream_id == stream.id)
        ).one()
        first_kept = math.inf if first is None else first
    if not ranges and first_kept == -math.inf:
        return None

    def removed(sequence: int) -> bool:
        return sequence < first_kept or any(low <= sequence <= high for low, high in ranges)

    return removed
