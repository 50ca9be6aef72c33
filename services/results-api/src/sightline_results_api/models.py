"""The tables results-api owns (SQLModel); Alembic migrations create them.

Rows written by the materializer are keyed by the event id of the message they came from (plus
the item index for detections), so replaying a topic inserts nothing new: the effect of
at-least-once delivery is exactly-once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Index, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


def _tz(nullable: bool = False) -> Any:
    return Field(sa_type=DateTime(timezone=True), nullable=nullable)


class Stream(SQLModel, table=True):
    """A registered stream; its key is kept only as a SHA-256 hash."""

    __tablename__ = "streams"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    key_hash: str = Field(max_length=64, unique=True)
    source_kind: str = Field(max_length=16)
    source_uri: str | None = Field(default=None, max_length=2048)
    source_loop: bool = False
    policy: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    enabled: bool = True
    created_at: datetime = _tz()
    updated_at: datetime = _tz()
    # Per-stream lifetimes in seconds; None follows the global default (0 there: kept for ever).
    video_retention_s: float | None = None
    results_retention_s: float | None = None
    # Set when a deletion job is accepted: the stream answers 404 from then on.
    deleting: bool = False
    # Media time before which the retention sweeper removed the stream's video (None: nothing).
    video_kept_from: float | None = None
    # When it was archived: out of the default lists, everything kept (None: not archived).
    archived_at: datetime | None = _tz(nullable=True)


class LifecycleEvent(SQLModel, table=True):
    """A stream started / stopped / stalled / resumed / failed, as published by ingest."""

    __tablename__ = "lifecycle_events"
    __table_args__ = (Index("ix_lifecycle_stream_time", "stream_id", "occurred_at"),)

    event_id: str = Field(primary_key=True, max_length=36)
    stream_id: str
    status: str
    source_kind: str
    reason: str | None = None
    discontinuity: bool = False
    occurred_at: datetime = _tz()


class Segment(SQLModel, table=True):
    """A stored HLS segment (a reference to object storage, never the bytes)."""

    __tablename__ = "segments"
    __table_args__ = (Index("ix_segments_stream_sequence", "stream_id", "sequence"),)

    event_id: str = Field(primary_key=True, max_length=36)
    stream_id: str
    sequence: int
    bucket: str
    object_key: str
    playlist_key: str
    media_start: float
    duration: float
    wall_clock: datetime = _tz()
    size_bytes: int
    sha256: str = Field(max_length=64)
    width: int | None = None
    height: int | None = None
    codec: str | None = None
    discontinuity: bool = False


class DetectionRow(SQLModel, table=True):
    """One result item of one Detection message (a logo, a face, a shot change...).

    `frame_span` is the stream time one sampled frame stands for (segment duration / frames
    sampled), so screen time is a sum over frames without knowing the sampling rate.
    """

    __tablename__ = "detections"
    __table_args__ = (
        Index(
            "ix_detections_keyset",
            "stream_id",
            "run_id",
            "media_ts",
            "event_id",
            "item_index",
        ),
        Index("ix_detections_kind_label", "stream_id", "kind", "label"),
    )

    event_id: str = Field(primary_key=True, max_length=36)
    item_index: int = Field(primary_key=True)
    stream_id: str
    run_id: str
    detector_name: str
    detector_version: str
    config_hash: str
    executor_kind: str
    segment_sequence: int
    media_ts: float
    frame_span: float
    kind: str
    label: str
    confidence: float
    box_x: float | None = None
    box_y: float | None = None
    box_w: float | None = None
    box_h: float | None = None
    area_share: float | None = None
    attributes: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    occurred_at: datetime = _tz()


class ApiToken(SQLModel, table=True):
    """An operator-issued API token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: str = Field(primary_key=True, max_length=36)
    name: str = Field(max_length=100, unique=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _tz()
    revoked_at: datetime | None = _tz(nullable=True)
    # `read`: safe methods only; `write`: everything (tokens issued before scopes existed).
    scope: str = Field(default="write", max_length=16, sa_column_kwargs={"server_default": "write"})
    expires_at: datetime | None = _tz(nullable=True)  # None: until revoked


class Logo(SQLModel, table=True):
    """A brand's reference image in the logo library (the bytes live in object storage)."""

    __tablename__ = "logos"

    id: str = Field(primary_key=True, max_length=36)
    brand: str = Field(max_length=200)
    bucket: str
    object_key: str
    sha256: str = Field(max_length=64)
    content_type: str = Field(max_length=32)
    size_bytes: int
    created_at: datetime = _tz()


class ReanalysisRun(SQLModel, table=True):
    """A requested re-run of detectors over a stretch of a stream (served by the replay work)."""

    __tablename__ = "reanalysis_runs"
    run_id: str = Field(primary_key=True, max_length=64)
    stream_id: str = Field(max_length=64)
    from_ts: float
    to_ts: float
    detectors: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    # requested or cancelled; running / done are derived from the analysed segments.
    status: str = Field(max_length=16, default="requested")
    # When the range's last segment known at request was stored: the run covers up to there.
    stored_to: datetime | None = _tz(nullable=True)
    created_at: datetime = _tz()
    updated_at: datetime = _tz()


class ExposureWindowRow(SQLModel, table=True):
    """The latest `exposure.update` of one media-time window (from the exposure processor)."""

    __tablename__ = "exposure_windows"

    stream_id: str = Field(primary_key=True)
    run_id: str = Field(primary_key=True)
    window_start: float = Field(primary_key=True)
    window_end: float
    detections: int
    brands: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))
    event_id: str = Field(max_length=36)
    occurred_at: datetime = _tz()


class AnalysedSegment(SQLModel, table=True):
    """One Detection message: a detector finished a segment for a run (even with no results).

    Detection rows exist only for things found; this records coverage, which is what a run's
    progress is measured by.
    """

    __tablename__ = "analysed_segments"
    __table_args__ = (
        Index("ix_analysed_run", "stream_id", "run_id", "segment_sequence"),
        # A segment is analysed live once per detector: a second live analysis (a new config
        # hash, hence a new event id, after a rolling deploy) is dropped by the materializer.
        Index(
            "ux_analysed_live_segment",
            "stream_id",
            "segment_sequence",
            "detector_name",
            unique=True,
            postgresql_where=text("run_id = 'live'"),
        ),
    )

    event_id: str = Field(primary_key=True, max_length=36)
    stream_id: str
    run_id: str
    segment_sequence: int
    media_start: float
    detector_name: str
    detector_version: str
    occurred_at: datetime = _tz()
    # How it was made (the Detection's `analysis`): full, degraded, backfill; None before #15.
    analysis_mode: str | None = Field(default=None, max_length=16)
    shed_before: int = 0


class ReanalysisFailure(SQLModel, table=True):
    """A detector refused a run (its request went to `reanalysis.dlq` with this reason)."""

    __tablename__ = "reanalysis_failures"
    __table_args__ = (Index("ix_reanalysis_failures_run", "run_id"),)

    event_id: str = Field(primary_key=True, max_length=36)
    run_id: str
    reason: str
    occurred_at: datetime = _tz()


class DeletionJob(SQLModel, table=True):
    """A durable request to delete a stream, or a range of it, everywhere it is stored.

    The job row outlives a whole-stream deletion on purpose: it is the record of the erasure,
    and the materializer refuses rows for a stream with one (late or replayed messages).
    A range is resolved to whole segments (`seq_from`..`seq_to`) when the job is accepted, so a
    resumed job erases exactly what the first attempt meant to.
    """

    __tablename__ = "deletion_jobs"
    __table_args__ = (Index("ix_deletion_jobs_stream", "stream_id", "kind"),)

    id: str = Field(primary_key=True, max_length=36)
    stream_id: str = Field(max_length=64)
    kind: str = Field(max_length=16)  # stream | range
    # pending -> done (or failed with `error`, retried on the next pass).
    status: str = Field(max_length=16, default="pending")
    step: str = Field(max_length=32, default="accepted")
    seq_from: int | None = None
    seq_to: int | None = None
    media_from: float | None = None
    media_to: float | None = None
    objects_deleted: int = 0
    rows_deleted: int = 0
    error: str | None = None
    created_at: datetime = _tz()
    updated_at: datetime = _tz()
    finished_at: datetime | None = _tz(nullable=True)


class Pin(SQLModel, table=True):
    """A stretch of a stream (media seconds) whose video outlives the stream's retention and
    a full store's eviction until the pin is deleted: evidence for a report, an alert, a claim.
    Every segment overlapping [media_from, media_to) is kept whole."""

    __tablename__ = "pins"
    __table_args__ = (Index("ix_pins_stream", "stream_id", "media_from"),)

    id: str = Field(primary_key=True, max_length=36)
    stream_id: str = Field(max_length=64)
    media_from: float
    media_to: float
    reason: str = Field(max_length=500, default="")
    created_at: datetime = _tz()
