"""The retention sweeper: what outlived its stream's lifetime is deleted, video and results
each by their own.

Video: the segments stored (wall clock) before `now - video lifetime` lose their objects, their
`segments` rows and their lines in the stored playlist, oldest first, a batch at a time; the
stream remembers from which media time its video is kept (`video_kept_from`), which playback
and reanalysis read. Results: detections, analysed segments, exposure windows, lifecycle events
(all but the latest, which says the stream's status) and reanalysis runs produced before
`now - results lifetime` go, in batches. A lifetime of 0 keeps for ever.

MinIO lifecycle (ILM) rules were not used: their expiry counts whole days from an object's
creation and cannot follow a per-stream lifetime kept in Postgres, and the playlist and the
`segments` rows have to follow the objects anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from sqlalchemy import text
from sqlmodel import Session, select

from sightline_results_api.models import DeletionJob, Stream, utcnow
from sightline_results_api.storage_lifecycle.erase import Eraser, stream_prefix
from sightline_results_api.storage_lifecycle.jobs import DONE, STREAM

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
            if removed or rows:
                result.streams.append(stream.id)
                log.info("retention.swept", stream_id=stream.id, segments=removed, rows=rows)
            result.segments += removed
            result.result_rows += rows
        for stream_id in deleted:
            self.eraser.delete_objects(stream_prefix(stream_id), lambda _key: True)
        return result

    def _expire_video(self, stream_id: str, cutoff: datetime) -> int:
        """Delete the stream's segments stored before `cutoff`; returns how many."""
        engine = self.eraser.engine
        with engine.connect() as conn:
            last, kept_from = conn.execute(
                text(
                    "SELECT max(sequence), max(media_start + duration) FROM segments"
                    " WHERE stream_id = :s AND wall_clock < :cutoff"
                ),
                {"s": stream_id, "cutoff": cutoff},
            ).one()
        if last is None:
            return 0
        # Said first: playback and reanalysis stop offering the stretch before it disappears.
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE streams SET video_kept_from = GREATEST(COALESCE(video_kept_from, 0),"
                    " :kept) WHERE id = :s"
                ),
                {"s": stream_id, "kept": kept_from},
            )
        self.eraser.trim_playlist(stream_id, lambda seq: seq <= last)
        removed = 0
        while True:
            with engine.connect() as conn:
                batch = conn.execute(
                    text(
                        "SELECT event_id, object_key, bucket FROM segments"
                        " WHERE stream_id = :s AND sequence <= :last ORDER BY sequence LIMIT :n"
                    ),
                    {"s": stream_id, "last": last, "n": self.eraser.batch},
                ).all()
            if not batch:
                return removed
            keys = [key for _event, key, bucket in batch if bucket == self.eraser.bucket]
            self.eraser.store.remove_keys(self.eraser.bucket, keys)
            with engine.begin() as conn:
                conn.execute(
                    text("DELETE FROM segments WHERE event_id = ANY(:ids)"),
                    {"ids": [event for event, _key, _bucket in batch]},
                )
            removed += len(batch)

    def _expire_results(self, stream_id: str, cutoff: datetime) -> int:
        params = {"stream_id": stream_id, "cutoff": cutoff}
        rows = 0
        for table, column in _RESULT_TABLES:
            rows += self.eraser.delete_rows(
                table, f"stream_id = :stream_id AND {column} < :cutoff", params
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
