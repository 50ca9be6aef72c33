"""Request and response bodies of the REST API (the contract the dashboard is generated from)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from sightline_common.messages import AnalysisPolicy, Box, Source
from sightline_results_api.streams import LiveStatus

Name = Field(min_length=1, max_length=200)


class Retention(BaseModel):
    """How long a stream's video and results are kept, in seconds.

    null follows the global default (`SIGHTLINE_VIDEO_RETENTION_S`,
    `SIGHTLINE_RESULTS_RETENTION_S`); 0 keeps for ever.
    """

    model_config = ConfigDict(extra="forbid")

    video_s: float | None = Field(default=None, ge=0, description="segments and playlist")
    results_s: float | None = Field(
        default=None, ge=0, description="detections, exposure, analysed segments, runs"
    )


class StreamCreate(BaseModel):
    """A stream to register."""

    model_config = ConfigDict(extra="forbid")

    name: str = Name
    source: Source
    policy: AnalysisPolicy | None = None


class StreamUpdate(BaseModel):
    """Fields to change on a stream; omitted fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    source: Source | None = None
    policy: AnalysisPolicy | None = None
    enabled: bool | None = None
    retention: Retention | None = Field(
        default=None, description="replaces both lifetimes (a null one follows the default)"
    )
    archived: bool | None = Field(
        default=None,
        description="true archives a stream that is off air (409 while on air): it leaves the"
        " default lists, its video, results and reports are kept; false restores it",
    )


class StreamAnalysis(BaseModel):
    """What a stream's live detections say of their analysis."""

    degraded: bool = Field(
        description="a detector fell behind: stale segments are skipped (analysed later by a"
        " backfill) so that live results stay fresh"
    )
    skipped: int = Field(description="segments skipped live in the last hour")
    backfilled: int = Field(description="of those, segments backfill runs analysed since")


class StreamPublic(BaseModel):
    """A stream as clients see it (never its key)."""

    id: str
    name: str
    source: Source
    policy: AnalysisPolicy
    enabled: bool
    status: LiveStatus = Field(
        description="live, stalled, stopped, idle (never started), retrying (its source failed"
        " and is tried again) or failed (its source cannot run)"
    )
    status_reason: str | None = Field(
        default=None,
        description="why, for stalled / retrying / failed: e.g. ffmpeg's error and the next try",
    )
    analysis: StreamAnalysis | None = Field(
        default=None, description="live analysis as the detections report it (null: not yet)"
    )
    rtmp_url: str = Field(description="RTMP server URL to publish to (OBS 'Server')")
    playlist_url: str = Field(description="HLS playlist of the stream, through this API")
    retention: Retention = Field(description="the stream's own lifetimes (null: the default)")
    effective_retention: Retention = Field(
        description="the lifetimes applied, default included (0: kept for ever)"
    )
    archived_at: datetime | None = Field(
        default=None, description="when the stream was archived (null: not archived)"
    )
    video_kept_from: float | None = Field(
        default=None, description="media time before which the video expired (null: none)"
    )
    created_at: datetime
    updated_at: datetime


class StreamCreated(StreamPublic):
    """A newly registered stream, with its key: shown this once, stored only as a hash."""

    stream_key: str = Field(description="OBS 'Stream Key'; not retrievable later")
    publish_url: str = Field(description="rtmp_url/stream_key, for ffmpeg")


class DetectorPublic(BaseModel):
    """The detector that produced a result."""

    name: str
    version: str
    config_hash: str


class DetectionPublic(BaseModel):
    """One result item: something a detector saw in one frame."""

    event_id: str
    item_index: int
    run_id: str
    detector: DetectorPublic
    executor: str
    segment_sequence: int
    media_ts: float = Field(description="Stream time of the frame, seconds")
    kind: str
    label: str
    confidence: float
    box: Box | None
    area_share: float | None
    attributes: dict[str, Any]


class DetectionPage(BaseModel):
    """A page of detections in media-time order; pass `next_cursor` back as `cursor`."""

    items: list[DetectionPublic]
    next_cursor: str | None


class BrandExposurePublic(BaseModel):
    """A brand's exposure in a window."""

    brand: str
    screen_time: float = Field(description="Seconds on screen")
    share_of_voice: float = Field(description="Screen time / all brands' screen time, 0..1")
    prominence: float = Field(description="Time-weighted mean screen area while visible, 0..1")
    frames: int = Field(description="Sampled frames the brand appeared in")


class ExposureWindowPublic(BaseModel):
    """Exposure of every brand seen in [start, end)."""

    start: float
    end: float
    brands: list[BrandExposurePublic]


class ExposureReport(BaseModel):
    """Per-brand exposure over a media-time range, in total and per window."""

    stream_id: str
    run: str
    start: float
    end: float
    window: float | None
    totals: list[BrandExposurePublic]
    windows: list[ExposureWindowPublic]


class StreamedExposureWindow(ExposureWindowPublic):
    """A window as the exposure stream processor last published it (updated live)."""

    detections: int = Field(description="Detection messages folded into the window so far")


class LogoPublic(BaseModel):
    """A reference image in the logo library."""

    id: str
    brand: str
    content_type: str
    size_bytes: int
    sha256: str
    created_at: datetime
    image_url: str


class LogoDetectability(BaseModel):
    """How well the logo detector can find a reference, judged on upload."""

    detectable: bool = Field(description="Whether the detector can find it at all")
    features: int = Field(description="Distinctive keypoints on its opaque part")
    min_width_px: int | None = Field(
        description="Smallest on-screen width (px) it was found at; null if never"
    )
    width_px: int = Field(description="Width of its opaque content (transparent margin cropped)")
    height_px: int = Field(description="Height of its opaque content")
    transparent: bool = Field(description="Whether the image has a transparent part")
    opaque_share: float = Field(description="Share of the image that is opaque, 0..1")
    warnings: list[str] = Field(description="Problems in plain language; empty when none")


class LogoCreated(LogoPublic):
    """A logo just added, with how detectable it is."""

    detectability: LogoDetectability


DetectorName = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class ReanalysisCreate(BaseModel):
    """A re-run of detectors over [from, to) of a stream's stored segments."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    stream_id: str = Field(min_length=1, max_length=64)
    start: float = Field(alias="from", ge=0, le=1e9, description="Stream seconds")
    end: float = Field(alias="to", ge=0, le=1e9, description="Stream seconds")
    detectors: list[DetectorName] = Field(default=["logo"], min_length=1, max_length=10)
    config: dict[str, Any] = Field(default_factory=dict, description="Detector overrides")


class ReanalysisRunPublic(BaseModel):
    """A run and its progress (status: requested, running, done, cancelled, or failed when a
    detector refused it: `error` says why)."""

    model_config = ConfigDict(populate_by_name=True)

    run_id: str
    stream_id: str
    start: float = Field(alias="from")
    end: float = Field(alias="to")
    detectors: list[str]
    status: str
    progress: float = Field(description="0..1")
    segments_total: int
    segments_done: int
    rate: float | None = Field(description="Media seconds analysed per wall-clock second")
    eta_s: float | None
    created_at: datetime
    error: str | None = None


class DetectionChange(BaseModel):
    """A detection found by both runs whose confidence or box moved."""

    before: DetectionPublic
    after: DetectionPublic


class BrandExposureDelta(BaseModel):
    """A brand's logo screen time in a run beside the run it is compared against (seconds)."""

    brand: str
    screen_time: float
    against_screen_time: float
    delta: float


class RunDiffPublic(BaseModel):
    """What a run found differently from another run (or live) over the same range."""

    run_id: str
    against: str
    added: list[DetectionPublic]
    removed: list[DetectionPublic]
    changed: list[DetectionChange]
    exposure: list[BrandExposureDelta] = Field(
        description="Per brand seen in either run, its screen time in each and the change"
    )
    truncated: bool = Field(description="True when a run had more detections than compared")


class DeletionJobPublic(BaseModel):
    """A deletion job: a whole stream, or a range of it, removed from every store."""

    id: str
    stream_id: str
    kind: str = Field(description="stream (everything of it) or range (segments and results)")
    status: str = Field(description="pending or done; `error` says why a pending job waits")
    step: str = Field(description="the last step finished")
    seq_from: int | None = Field(default=None, description="first segment erased (range)")
    seq_to: int | None = Field(default=None, description="last segment erased (range)")
    media_from: float | None = None
    media_to: float | None = None
    objects_deleted: int
    rows_deleted: int
    error: str | None = None
    created_at: datetime
    finished_at: datetime | None = None


class RangeErase(BaseModel):
    """A range to erase: media time (`from`, `to`) or storage time (`wall_from`, `wall_to`).

    Every stored segment overlapping it is erased whole, with its results.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    start: float | None = Field(default=None, alias="from", ge=0, le=1e9, description="Stream s")
    end: float | None = Field(default=None, alias="to", ge=0, le=1e9, description="Stream s")
    wall_from: datetime | None = None
    wall_to: datetime | None = None

    @model_validator(mode="after")
    def _one_whole_range(self) -> RangeErase:
        media = (self.start, self.end)
        wall = (self.wall_from, self.wall_to)
        if all(v is None for v in (*media, *wall)):
            raise ValueError("give from/to (media seconds) or wall_from/wall_to")
        for low, high, name in ((*media, "from/to"), (*wall, "wall_from/wall_to")):
            if (low is None) != (high is None):
                raise ValueError(f"{name} go together")
            if low is not None and high is not None and not low < high:  # type: ignore[operator]
                raise ValueError(f"{name}: the range is empty or reversed")
        return self


class PinCreate(BaseModel):
    """A stretch of the stream to keep past its retention (media seconds, [from, to))."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    start: float = Field(alias="from", ge=0, le=1e9, description="Stream s")
    end: float = Field(alias="to", ge=0, le=1e9, description="Stream s")
    reason: str = Field(default="", max_length=500, description="e.g. sponsor report evidence")

    @model_validator(mode="after")
    def _not_empty(self) -> PinCreate:
        if not self.start < self.end:
            raise ValueError("from/to: the range is empty or reversed")
        return self


class PinPublic(BaseModel):
    """A pin: every segment overlapping [from, to) is kept until the pin is deleted."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    id: str
    stream_id: str
    start: float = Field(alias="from")
    end: float = Field(alias="to")
    reason: str
    created_at: datetime


class StoreSpace(BaseModel):
    """The object store's space."""

    used_bytes: int
    total_bytes: int
    free_bytes: int
    fill: float = Field(description="used / total")
    source: str = Field(description="'object store drives' or 'capacity setting'")


class StreamStorage(BaseModel):
    """One stream's stored video and its retention."""

    stream_id: str
    name: str
    bytes: int
    segments: int
    oldest: datetime | None = Field(description="when its oldest stored segment was stored")
    newest: datetime | None
    retention: Retention = Field(description="its own lifetimes (null: the default)")
    effective_retention: Retention
    video_kept_from: float | None = Field(description="stream s before which video expired")
    pins: int


class StorageReport(BaseModel):
    """What storage holds, how full it is, and what happens when it fills."""

    store: StoreSpace
    warn_fraction: float
    evict_fraction: float
    video_min_retention_s: float
    warning: str | None = Field(description="set from warn_fraction on, says what happens next")
    streams: list[StreamStorage]
