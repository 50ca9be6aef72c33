"""The exposure report as served (JSON) and rendered (CSV, PDF): pydantic models."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

REPORT_VERSION = "exposure-report/1"


class RateCardPublic(BaseModel):
    """What a 30-s spot costs on a stream; audience and CPM optional."""

    currency: str = Field(min_length=3, max_length=3, pattern="^[A-Z]{3}$")
    cost_per_30s: float = Field(ge=0, le=1e12)
    audience: int | None = Field(default=None, ge=0, le=10**12)
    cpm: float | None = Field(default=None, ge=0, le=1e9)


class MoneyFigures(BaseModel):
    """Media value in the report's currency (null without a rate card)."""

    full: float | None = None
    quality: float | None = None
    audience: float | None = None


class ReportExposure(BaseModel):
    """One exposure: a continuous appearance of a brand, with what its quality came from.

    `best_*` name the detection of its best frame (the evidence thumbnail)."""

    id: str
    stream_id: str
    brand: str
    start: float
    end: float
    duration: float
    sightings: int
    factors: dict[str, float]
    quality: float
    value: MoneyFigures
    best_event_id: str
    best_item_index: int
    best_media_ts: float
    best_box: list[float]


class BrandSummary(BaseModel):
    """A brand's counted exposures over a stream, a window or the whole report.

    `seconds`: counted exposure time; `quality_seconds`: the same weighted by quality;
    `short`: appearances below the minimum duration, not counted anywhere else."""

    brand: str
    exposures: int
    seconds: float
    quality_seconds: float
    mean_quality: float
    share_of_voice: float
    short: int
    short_seconds: float
    value: MoneyFigures


class StreamSummary(BaseModel):
    """One stream's brands and the rate card they were priced with."""

    stream_id: str
    name: str
    rate_card: RateCardPublic | None
    brands: list[BrandSummary]


class WindowSummary(BaseModel):
    """Brands over [start, end) of stream time (an exposure counts in the window it starts)."""

    start: float
    end: float
    brands: list[BrandSummary]


class DetectorVersion(BaseModel):
    """A detector build whose logo detections the report counts."""

    name: str
    version: str
    config_hash: str


class LogoLibraryVersion(BaseModel):
    """The logo library as it is now: size and a fingerprint of its images."""

    logos: int
    brands: int
    fingerprint: str


class Methodology(BaseModel):
    """How exposures were counted and weighted; enough to recompute every figure."""

    quality_version: str
    weights: dict[str, float]
    gap_s: float
    min_duration_s: float
    notes: list[str]


class BrandComparison(BaseModel):
    """A brand's counted exposures in the report's run and in the baseline run.

    `only_here` / `only_baseline`: appearances (exposures) one run found that overlap no
    exposure of the same brand and stream in the other."""

    brand: str
    exposures: int
    baseline_exposures: int
    seconds: float
    baseline_seconds: float
    delta_seconds: float
    quality_seconds: float
    baseline_quality_seconds: float
    value: MoneyFigures
    baseline_value: MoneyFigures
    only_here: int
    only_baseline: int


class RunComparison(BaseModel):
    """The report's run beside another run of the same streams and range (e.g. a reanalysis
    with a new model against live), with the detectors the baseline was made by."""

    baseline_run: str
    baseline_detectors: list[DetectorVersion]
    brands: list[BrandComparison]


class ExposureReportDocument(BaseModel):
    """The sponsor exposure report over a set of streams and a range of stream time."""

    version: str = REPORT_VERSION
    generated_at: datetime
    run: str
    start: float
    end: float | None
    currency: str | None
    streams: list[StreamSummary]
    brands: list[BrandSummary]
    windows: list[WindowSummary]
    exposures: list[ReportExposure]
    methodology: Methodology
    detectors: list[DetectorVersion]
    logo_library: LogoLibraryVersion
    warnings: list[str]
    comparison: RunComparison | None = None
