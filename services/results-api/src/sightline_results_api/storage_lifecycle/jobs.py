"""Deletion jobs as the API sees them: accepting a stream deletion or a range erasure, reading
a job. The work itself is done by `runner` in the storage worker.

Accepting a stream deletion marks the stream `deleting` (it answers 404 from then on) and
publishes its deletion on `stream-config` (ingest refuses its key) before the job commits: a
failed publish rolls everything back and the client may retry. Asking again returns the same
job, whatever its state: deletion is idempotent.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import structlog
from sqlalchemy import func
from sqlmodel import Session, col, select

from sightline_results_api.events import StatePublisher
from sightline_results_api.models import DeletionJob, Segment, Stream, utcnow
from sightline_results_api.streams import StreamNotFoundError

log = structlog.get_logger(__name__)

STREAM, RANGE = "stream", "range"
PENDING, DONE, FAILED = "pending", "done", "failed"


class DeletionNotFoundError(LookupError):
    """No deletion job has this id."""


class NothingStoredError(LookupError):
    """The range holds no stored segment of the stream: there is nothing to erase."""


class DeletionJobs:
    """Accepts and reads deletion jobs."""

    def __init__(self, session: Session, publisher: StatePublisher) -> None:
        self._session = session
        self._publisher = publisher

    def delete_stream(self, stream_id: str) -> DeletionJob:
        """The job deleting the stream: a new one, or the one already accepted (idempotent).

        Raises StreamNotFoundError when no stream and no deletion of it is known.
        """
        existing = self._session.exec(
            select(DeletionJob).where(
                DeletionJob.stream_id == stream_id, DeletionJob.kind == STREAM
            )
        ).first()
        if existing is not None:
            return existing
        stream = self._session.get(Stream, stream_id)
        if stream is None:
            raise StreamNotFoundError(stream_id)
        now = utcnow()
        stream.deleting = True
        stream.enabled = False
        stream.updated_at = now
        job = DeletionJob(
            id=str(uuid.uuid4()), stream_id=stream_id, kind=STREAM, created_at=now, updated_at=now
        )
        self._session.add(stream)
        self._session.add(job)
        self._session.flush()
        self._publisher.stream_config(stream, deleted=True)
        self._session.commit()
        self._session.refresh(job)
        log.info("deletion.accepted", job_id=job.id, stream_id=stream_id, kind=STREAM)
        return job

    def erase_range(
        self,
        stream_id: str,
        *,
        media: tuple[float, float] | None = None,
        wall: tuple[datetime, datetime] | None = None,
    ) -> DeletionJob:
        """A job erasing the stored segments overlapping a media-time range [from, to) or
        stored (wall clock) within [from, to), and every result of those segments.

        Whole segments are erased; the range is resolved to their sequence numbers now, so a
        resumed job erases exactly these. Raises StreamNotFoundError, NothingStoredError.
        """
        stream = self._session.get(Stream, stream_id)
        if stream is None or stream.deleting:
            raise StreamNotFoundError(stream_id)
        end = col(Segment.media_start) + col(Segment.duration)
        query = select(
            func.min(Segment.sequence),
            func.max(Segment.sequence),
            func.min(Segment.media_start),
            func.max(end),
        ).where(Segment.stream_id == stream_id)
        if media is not None:
            query = query.where(col(Segment.media_start) < media[1], end > media[0])
        if wall is not None:
            query = query.where(
                col(Segment.wall_clock) >= wall[0], col(Segment.wall_clock) < wall[1]
            )
        seq_from, seq_to, media_from, media_to = self._session.exec(query).one()
        if seq_from is None:
            raise NothingStoredError("no stored segment of the stream in that range")
        now = utcnow()
        job = DeletionJob(
            id=str(uuid.uuid4()),
            stream_id=stream_id,
            kind=RANGE,
            seq_from=seq_from,
            seq_to=seq_to,
            media_from=media_from,
            media_to=media_to,
            created_at=now,
            updated_at=now,
        )
        self._session.add(job)
        self._session.commit()
        self._session.refresh(job)
        log.info(
            "deletion.accepted",
            job_id=job.id,
            stream_id=stream_id,
            kind=RANGE,
            seqs=(seq_from, seq_to),
        )
        return job

    def get(self, job_id: str) -> DeletionJob:
        """The job with this id; raises DeletionNotFoundError."""
        job = self._session.get(DeletionJob, job_id)
        if job is None:
            raise DeletionNotFoundError(job_id)
        return job
