"""The retention sweeper: what outlived its stream's lifetime is deleted, video and results
each by their own.

Video: the unpinned segments stored (wall clock) before `now - video lifetime` are removed
(`segments.SegmentRemover`: the stream's removed-segments marker, so playlists stop listing
them, then objects and rows, oldest first, a batch at a time); the stream remembers up to which
media time its video expired (`video_kept_from`), which reanalysis reads. Results: detections,
analysed segments, exposure windows, lifecycle events (all but the latest, which says the
stream's status) and reanalysis runs produced before `now - results lifetime` go, in batches,
except the results of pinned stretches.
A lifetime of 0 keeps for ever.

MinIO lifecycle (ILM) rules were not used: their expiry counts whole days from an object's
creation and cannot follow a per-stream lifetime kept in Postgres, and the playlist and the
`segments` rows have to follow the objects anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from sqlmodel import Session, select

from sightline_common.removed_segments import load_removed
from sightline_results_api.models import DeletionJob, Stream, utcnow
from sightline_results_api.storage_lifecycle.erase import Eraser, stream_prefix
from sightline_results_api.storage_lifecycle.jobs import DONE, STREAM
from sightline_results_api.storage_lifecycle.pins import PINNED_RESULT
from sightline_results_api.storage_lifecycle.segments import SegmentRemover

log = structlog.get_logger(__name__)

# Objects a deleted stream's ingest may still have uploaded are looked for this long after.
STRAGGLER_WINDOW = timedelta(days=1)

_RESULT_TABLES = (
    ("detections", "occurred_at"),
    ("analysed_segments", "occurred_at"),
    ("exposure_windows", "occurred_at"),
)


@dataclass
class SweepResult:
    """What one pass deleted."""

    segments: int = 0
    result_rows: int = 0
    streams: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RetentionSweeper:
    """Applies the global lifetimes (seconds, 0: for ever) and each stream's overrides."""

    eraser: Eraser
    video_default_s: float
    results_default_s: float

    def sweep(self, now: datetime | None = None) -> SweepResult:
        """One pass over every stream; safe to interrupt and to run again."""
        now = now or utcnow()
        result = SweepResult()
        with Session(self.eraser.engine) as session:
            streams = session.exec(select(Stream).where(Stream.deleting == False)).all()  # noqa: E712
            recent = now - STRAGGLER_WINDOW
            deleted = session.exec(
                select(DeletionJob.stream_id).where(
                    DeletionJob.kind == STREAM,
                    DeletionJob.status == DONE,
                    DeletionJob.finished_at >= recent,  # type: ignore[operator]
                )
            ).all()
        for stream in streams:
            video = _lifetime(stream.video_retention_s, self.video_default_s)
            results = _lifetime(stream.results_retention_s, self.results_default_s)
            removed = self._expire_video(stream.id, now - video) if video else 0
            rows = self._expire_results(stream.id, now - results) if results else 0
            if stream.video_kept_from is not None:
                self._retrim(stream.id)
            if removed or rows:
                result.streams.append(stream.id)
                log.info("retention.swept", stream_id=stream.id, segments=removed, rows=rows)
            result.segments += removed
            result.result_rows += rows
        for stream_id in deleted:
            self.eraser.delete_objects(stream_prefix(stream_id), lambda _key: True)
        return result

    def _expire_video(self, stream_id: str, cutoff: datetime) -> int:
        """Delete the stream's unpinned segments stored before `cutoff`; returns how many."""
        removed, _bytes = SegmentRemover(self.eraser).remove(
            stream_id, "wall_clock < :cutoff", {"cutoff": cutoff}
        )
        return removed

    def _retrim(self, stream_id: str) -> None:
        """Trim an ended stream's stored playlist again: ingest may have stored its final
        playlist from a marker read just before the last removal."""
        removed = load_removed(self.eraser.store, self.eraser.bucket, stream_id)
        self.eraser.trim_playlist(stream_id, removed)

    def _expire_results(self, stream_id: str, cutoff: datetime) -> int:
        params = {"stream_id": stream_id, "cutoff": cutoff}
        rows = 0
        for table, column in _RESULT_TABLES:
            rows += self.eraser.delete_rows(
                table,
                f"stream_id = :stream_id AND {column} < :cutoff AND NOT {PINNED_RESULT[table]}",
                params,
            )
        rows += self.eraser.delete_rows(
            "lifecycle_events",
            "stream_id = :stream_id AND occurred_at < :cutoff AND occurred_at <"
            " (SELECT max(occurred_at) FROM lifecycle_events WHERE stream_id = :stream_id)",
            params,
        )
        old_runs = (
            "SELECT run_id FROM reanalysis_runs WHERE stream_id = :stream_id"
            " AND updated_at < :cutoff"
        )
        rows += self.eraser.delete_rows("reanalysis_failures", f"run_id IN ({old_runs})", params)
        rows += self.eraser.delete_rows(
            "reanalysis_runs", "stream_id = :stream_id AND updated_at < :cutoff", params
        )
        return rows


def _lifetime(override: float | None, default: float) -> timedelta | None:
    seconds = default if override is None else override
    return timedelta(seconds=seconds) if seconds > 0 else None
