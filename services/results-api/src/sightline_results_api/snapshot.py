"""A still of a stream's newest stored video: what an operator draws an alert zone on.

A zone is a polygon in normalised frame coordinates; drawing it needs a picture of the camera's
view, and the newest stored segment is one without a player, a live publisher or HLS. The
frame is made on request (nothing is kept: the view changes) by the evidence decoder.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from sightline_common.storage import ObjectStore
from sightline_results_api.models import Segment
from sightline_results_api.report.evidence import (
    EvidenceUnavailableError,
    decode_frame,
    draw,
    segment_video,
)


def latest_frame(session: Session, store: ObjectStore, stream_id: str) -> bytes:
    """The first frame of the stream's newest stored segment as JPEG (evidence width).

    Raises EvidenceUnavailableError when the stream has no stored video, FrameDecodeError
    when it cannot be decoded, StorageUnavailableError when MinIO cannot be reached.
    """
    segment = session.exec(
        select(Segment)
        .where(col(Segment.stream_id) == stream_id)
        .order_by(col(Segment.sequence).desc())
        .limit(1)
    ).first()
    if segment is None:
        raise EvidenceUnavailableError(f"stream {stream_id} has no stored video yet")
    return draw(decode_frame(segment_video(store, segment), 0.0), None)
