"""Pins as the API sees them: keep a stretch of a stream past retention, list, unpin.

The sweeper and the full-store eviction only ever delete segments matched by `UNPINNED`, and
the results sweeper keeps the results `PINNED_RESULT` matches, so a pin protects every segment
overlapping its range and what was found in them for as long as it exists; once unpinned, the
stretch expires at the next sweep if it is past its lifetime.
"""

from __future__ import annotations

import uuid

import structlog
from sqlmodel import Session, col, select

from sightline_results_api.models import Pin, Stream, utcnow
from sightline_results_api.streams import StreamNotFoundError

log = structlog.get_logger(__name__)

# A condition on a `segments` row: no pin of its stream overlaps it.
UNPINNED = (
    "NOT EXISTS (SELECT 1 FROM pins WHERE pins.stream_id = segments.stream_id"
    " AND pins.media_from < segments.media_start + segments.duration"
    " AND pins.media_to > segments.media_start)"
)


# Per results table: a condition true for a row a pin covers; the results sweeper keeps them
# (the evidence is the video and what was found in it). An analysed segment is covered with
# its (kept) segment.
PINNED_RESULT = {
    "detections": (
        "EXISTS (SELECT 1 FROM pins WHERE pins.stream_id = detections.stream_id"
        " AND pins.media_from < detections.media_ts + detections.frame_span"
        " AND pins.media_to > detections.media_ts)"
    ),
    "analysed_segments": (
        "EXISTS (SELECT 1 FROM segments JOIN pins ON pins.stream_id = segments.stream_id"
        " AND pins.media_from < segments.media_start + segments.duration"
        " AND pins.media_to > segments.media_start"
        " WHERE segments.stream_id = analysed_segments.stream_id"
        " AND segments.sequence = analysed_segments.segment_sequence)"
    ),
    "exposure_windows": (
        "EXISTS (SELECT 1 FROM pins WHERE pins.stream_id = exposure_windows.stream_id"
        " AND pins.media_from < exposure_windows.window_end"
        " AND pins.media_to > exposure_windows.window_start)"
    ),
}


class PinNotFoundError(LookupError):
    """The stream has no pin with this id."""


class Pins:
    """Creates, lists and deletes a stream's pins."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def _stream(self, stream_id: str) -> Stream:
        stream = self._session.get(Stream, stream_id)
        if stream is None or stream.deleting:
            raise StreamNotFoundError(stream_id)
        return stream

    def create(self, stream_id: str, start: float, end: float, reason: str) -> Pin:
        """Pin [start, end) of the stream (media seconds). Raises StreamNotFoundError."""
        self._stream(stream_id)
        pin = Pin(
            id=str(uuid.uuid4()),
            stream_id=stream_id,
            media_from=start,
            media_to=end,
            reason=reason,
            created_at=utcnow(),
        )
        self._session.add(pin)
        self._session.commit()
        self._session.refresh(pin)
        log.info("pin.created", stream_id=stream_id, pin_id=pin.id, range=(start, end))
        return pin

    def of_stream(self, stream_id: str) -> list[Pin]:
        """The stream's pins by start. Raises StreamNotFoundError."""
        self._stream(stream_id)
        return list(
            self._session.exec(
                select(Pin).where(Pin.stream_id == stream_id).order_by(col(Pin.media_from))
            ).all()
        )

    def delete(self, stream_id: str, pin_id: str) -> None:
        """Unpin. Raises StreamNotFoundError, PinNotFoundError."""
        self._stream(stream_id)
        pin = self._session.get(Pin, pin_id)
        if pin is None or pin.stream_id != stream_id:
            raise PinNotFoundError(pin_id)
        self._session.delete(pin)
        self._session.commit()
        log.info("pin.deleted", stream_id=stream_id, pin_id=pin_id)

    def covering(self, stream_id: str, start: float, end: float) -> Pin | None:
        """A pin covering all of [start, end), if any (its video outlived retention)."""
        return self._session.exec(
            select(Pin).where(
                Pin.stream_id == stream_id,
                col(Pin.media_from) <= start,
                col(Pin.media_to) >= end,
            )
        ).first()
