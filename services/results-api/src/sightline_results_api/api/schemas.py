"""Request and response bodies of the REST API (the contract the dashboard is generated from)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sightline_common.messages import AnalysisPolicy, Box, Source
from sightline_results_api.streams import LiveStatus

Name = Field(min_length=1, max_length=200)


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


class StreamPublic(BaseModel):
    """A stream as clients see it (never its key)."""

    id: str
    name: str
    source: Source
    policy: AnalysisPolicy
    enabled: bool
    status: LiveStatus = Field(description="live, stalled, stopped, or idle (never started)")
    rtmp_url: str = Field(description="RTMP server URL to publish to (OBS 'Server')")
    playlist_url: str = Field(description="HLS playlist of the stream, through this API")
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
