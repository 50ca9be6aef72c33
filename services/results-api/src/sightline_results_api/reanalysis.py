"""Reanalysis runs: requested here, executed by the detectors (they read the `reanalysis` topic
and tag their Detections with the run id), measured here from what the materializer stores.

A run's progress is the share of the stream's segments in its range, stored when the run was
requested, that every requested detector has reported on (`analysed_segments`, one row per
Detection message). Segments a live stream adds to the range later belong to a later run.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import false, func
from sqlmodel import Session, col, select

from sightline_common.messages import ReanalysisAction
from sightline_results_api.events import StatePublisher
from sightline_results_api.models import (
    AnalysedSegment,
    DeletionJob,
    DetectionRow,
    ReanalysisFailure,
    ReanalysisRun,
    Segment,
    Stream,
    utcnow,
)
from sightline_results_api.storage_lifecycle.pins import Pins
from sightline_results_api.streams import StreamRegistry

LIVE_RUN = "live"
DIFF_ROW_LIMIT = 5000

log = structlog.get_logger(__name__)


class RunNotFoundError(LookupError):
    """No reanalysis run has this id."""


class VideoGoneError(LookupError):
    """Part of the requested range's video expired or was erased; the message says which."""


@dataclass(frozen=True)
class RunProgress:
    """Where a run stands: status, segments, and speed in media seconds per wall second."""

    status: str
    segments_total: int
    segments_done: int
    progress: float
    rate: float | None
    eta_s: float | None
    error: str | None = None


def measure(
    requested: str,
    total: int,
    done: int,
    media_span: float,
    elapsed_s: float,
    *,
    error: str | None = None,
) -> RunProgress:
    """The progress of a run from its counts (pure).

    `requested` is the stored state (requested or cancelled); `media_span` the range's length;
    `error` why a detector refused the run, if one did.
    """
    done = min(done, total)
    progress = done / total if total else 1.0
    if error is not None:
        status = "failed"
    elif requested == "cancelled":
        status = "cancelled"
    elif done >= total:
        status = "done"
    else:
        status = "running" if done else "requested"
    rate = eta = None
    if done and elapsed_s > 0 and total:
        rate = media_span * progress / elapsed_s
        eta = media_span * (1 - progress) / rate if status == "running" else 0.0
    return RunProgress(status, total, done, progress, rate, eta, error)


class ReanalysisRuns:
    """Starts, reads, cancels and compares runs."""

    def __init__(self, session: Session, publisher: StatePublisher) -> None:
        self._session = session
        self._publisher = publisher

    def start(
        self,
        stream_id: str,
        start: float,
        end: float,
        detectors: list[str],
        config: dict[str, Any],
    ) -> ReanalysisRun:
        """Record a run and publish its start request; the stream must exist and the range's
        video must still be stored (VideoGoneError names what expired or was erased)."""
        stream = StreamRegistry(self._session, self._publisher).get(stream_id)
        self._check_stored(stream, start, end)
        now = utcnow()
        run = ReanalysisRun(
            run_id=f"run-{uuid.uuid4().hex[:12]}",
            stream_id=stream.id,
            from_ts=start,
            to_ts=end,
            detectors=detectors,
            status="requested",
            created_at=now,
            updated_at=now,
        )
        stored = self._stored(run)
        run.stored_to = stored[1] if stored else None
        self._session.add(run)
        self._session.flush()
        self._publisher.reanalysis(run, ReanalysisAction.start, config, stored)
        self._session.commit()
        log.info("reanalysis.requested", run_id=run.run_id, stream_id=run.stream_id)
        return run

    def _check_stored(self, stream: Stream, start: float, end: float) -> None:
        """Refuse a range reaching into removed video: the run could never finish it."""
        kept = stream.video_kept_from
        pinned = kept is not None and Pins(self._session).covering(stream.id, start, min(end, kept))
        if kept is not None and start < kept and not pinned:
            raise VideoGoneError(
                f"the video of stream {stream.id} before {kept:.3f} s (stream time) expired "
                f"under its retention; ask for a range from {kept:.3f} s on"
            )
        erased = self._session.exec(
            select(DeletionJob)
            .where(
                DeletionJob.stream_id == stream.id,
                DeletionJob.kind == "range",
                col(DeletionJob.media_from) < end,
                col(DeletionJob.media_to) > start,
            )
            .order_by(col(DeletionJob.media_from))
        ).first()
        if erased is not None:
            raise VideoGoneError(
                f"{erased.media_from:.3f}-{erased.media_to:.3f} s of stream {stream.id} was "
                f"erased (deletion {erased.id}); ask for a range outside it"
            )

    def get(self, run_id: str) -> tuple[ReanalysisRun, RunProgress]:
        """The run and its progress; raises RunNotFoundError."""
        run = self._session.get(ReanalysisRun, run_id)
        if run is None:
            raise RunNotFoundError(run_id)
        return run, self._progress(run)

    def of_stream(self, stream_id: str, limit: int) -> list[tuple[ReanalysisRun, RunProgress]]:
        """The stream's runs, newest first, with their progress; raises StreamNotFoundError."""
        stream = StreamRegistry(self._session, self._publisher).get(stream_id)
        runs = self._session.exec(
            select(ReanalysisRun)
            .where(ReanalysisRun.stream_id == stream.id)
            .order_by(col(ReanalysisRun.created_at).desc())
            .limit(limit)
        ).all()
        return [(run, self._progress(run)) for run in runs]

    def cancel(self, run_id: str) -> tuple[ReanalysisRun, RunProgress]:
        """Mark the run cancelled and tell the detectors (idempotent)."""
        run, _ = self.get(run_id)
        run.status = "cancelled"
        run.updated_at = utcnow()
        self._session.add(run)
        self._session.flush()
        self._publisher.reanalysis(run, ReanalysisAction.cancel, {})
        self._session.commit()
        log.info("reanalysis.cancelled", run_id=run_id)
        return run, self._progress(run)

    def detections(self, run: ReanalysisRun, run_id: str) -> Sequence[DetectionRow]:
        """Detections of `run_id` over `run`'s stream and range (bounded), in media order, by
        the detectors `run` re-ran (a logo-only run is not compared with live faces)."""
        return self._session.exec(
            select(DetectionRow)
            .where(
                DetectionRow.stream_id == run.stream_id,
                DetectionRow.run_id == run_id,
                col(DetectionRow.detector_name).in_(run.detectors),
                col(DetectionRow.media_ts) >= run.from_ts,
                col(DetectionRow.media_ts) < run.to_ts,
            )
            .order_by(
                col(DetectionRow.media_ts),
                col(DetectionRow.event_id),
                col(DetectionRow.item_index),
            )
            .limit(DIFF_ROW_LIMIT)
        ).all()

    def screen_time(self, run: ReanalysisRun, run_id: str) -> dict[str, float]:
        """Seconds each brand's logo was on screen in `run_id`'s detections over `run`'s range
        (a logo is reported at most once per brand and frame, so frame spans add up)."""
        rows = self._session.exec(
            select(DetectionRow.label, func.sum(DetectionRow.frame_span))
            .where(
                DetectionRow.stream_id == run.stream_id,
                DetectionRow.run_id == run_id,
                DetectionRow.kind == "logo",
                col(DetectionRow.media_ts) >= run.from_ts,
                col(DetectionRow.media_ts) < run.to_ts,
            )
            .group_by(col(DetectionRow.label))
        ).all()
        return {label: round(float(seconds), 3) for label, seconds in rows}

    def _stored(self, run: ReanalysisRun) -> tuple[datetime, datetime] | None:
        """When the run's first and last segments were stored (None: none stored yet)."""
        first, last = self._session.exec(
            select(func.min(Segment.wall_clock), func.max(Segment.wall_clock)).where(
                Segment.stream_id == run.stream_id, _in_range(run)
            )
        ).one()
        return (first, last) if first is not None and last is not None else None

    def _progress(self, run: ReanalysisRun) -> RunProgress:
        # The segments stored when the run was requested: those the detectors re-analyse.
        known = col(Segment.wall_clock) <= run.stored_to if run.stored_to is not None else false()
        total = self._session.exec(
            select(func.count(func.distinct(Segment.sequence))).where(
                Segment.stream_id == run.stream_id, _in_range(run), known
            )
        ).one()
        finished = (
            select(AnalysedSegment.segment_sequence)
            .where(
                AnalysedSegment.stream_id == run.stream_id,
                AnalysedSegment.run_id == run.run_id,
                col(AnalysedSegment.media_start) >= run.from_ts,
                col(AnalysedSegment.media_start) < run.to_ts,
                col(AnalysedSegment.detector_name).in_(run.detectors),
            )
            .group_by(col(AnalysedSegment.segment_sequence))
            .having(func.count(func.distinct(AnalysedSegment.detector_name)) >= len(run.detectors))
            .subquery()
        )
        done = self._session.exec(select(func.count()).select_from(finished)).one()
        error = self._session.exec(
            select(ReanalysisFailure.reason)
            .where(ReanalysisFailure.run_id == run.run_id)
            .order_by(col(ReanalysisFailure.occurred_at))
            .limit(1)
        ).first()
        # A finished (or cancelled) run's speed is measured up to its last detection.
        last = self._session.exec(
            select(func.max(AnalysedSegment.occurred_at)).where(
                AnalysedSegment.stream_id == run.stream_id, AnalysedSegment.run_id == run.run_id
            )
        ).one()
        ended = last is not None and (done >= total or run.status == "cancelled")
        elapsed = ((last if ended else utcnow()) - run.created_at).total_seconds()
        span = run.to_ts - run.from_ts
        return measure(run.status, int(total), int(done), span, elapsed, error=error)


def _in_range(run: ReanalysisRun) -> Any:
    """The SQL condition: a stored segment starts inside the run's range."""
    return (col(Segment.media_start) >= run.from_ts) & (col(Segment.media_start) < run.to_ts)
