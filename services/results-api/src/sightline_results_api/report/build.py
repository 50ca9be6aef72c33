"""Builds the exposure report: reads the facts (`report.query`), runs the math
(`report.assemble`), and returns the document every format renders."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session

from sightline_results_api.report import assemble, query, rate_cards
from sightline_results_api.report.assemble import CountingRules
from sightline_results_api.report.exposures import Measured
from sightline_results_api.report.model import (
    DetectorVersion,
    ExposureReportDocument,
    LogoLibraryVersion,
    Methodology,
    RateCardPublic,
    StreamSummary,
)
from sightline_results_api.report.quality import VERSION as QUALITY_VERSION
from sightline_results_api.settings import ResultsApiSettings
from sightline_results_api.streams import StreamRegistry

MAX_WINDOWS = 10_000

NOTES = [
    "An exposure is a continuous appearance of a brand on a stream: sightings in sampled "
    "frames at most the gap tolerance apart are merged; each sighting stands for the stream "
    "time its frame was sampled for.",
    "Exposures shorter than the minimum duration are not counted (listed as short).",
    "Quality index q1 is the weighted mean of six factors in [0, 1]: size (sqrt of the mean "
    "area share over 5 %, capped), clarity (the logo detector's mean confidence), position (1 "
    "at the centre, 0 at a corner), visibility (share of frames whose box is not cut by the "
    "frame edge), solus (mean 1 / (1 + other brands in the frame)) and duration (seconds over "
    "5 s, capped).",
    "Media value = exposure seconds / 30 x the stream's cost of a 30-s spot; quality-adjusted "
    "value multiplies each exposure by its quality index; audience value = audience / 1000 x "
    "CPM x quality-weighted seconds / 30.",
    "Share of voice = a brand's counted seconds over all brands' counted seconds.",
]


@dataclass(frozen=True)
class ReportRequest:
    """What to report on: streams, run and a range of stream time; optional window length."""

    stream_ids: Sequence[str]
    start: float = 0.0
    end: float | None = None
    run: str = "live"
    window: float | None = None


def rules_from(settings: ResultsApiSettings) -> CountingRules:
    """The counting rules the service is configured with."""
    return CountingRules(
        gap_s=settings.report_gap_s,
        min_duration_s=settings.report_min_exposure_s,
        weights=settings.report_quality_weights,
    )


@dataclass(frozen=True)
class ReportFacts:
    """What the report is made from, as read from the database."""

    streams: Sequence[tuple[str, str]]  # (id, name)
    cards: Mapping[str, RateCardPublic]
    exposures: Sequence[Measured]
    detectors: list[DetectorVersion]
    logo_library: LogoLibraryVersion


def read_facts(
    session: Session,
    registry: StreamRegistry,
    request: ReportRequest,
    rules: CountingRules,
    progress: Callable[[int, int], None] | None = None,
) -> ReportFacts:
    """Everything the report is made from; raises StreamNotFoundError for an unknown stream.

    Exposures are read one stream at a time, `progress(done, total)` called after each.
    """
    streams = [registry.get(stream_id) for stream_id in dict.fromkeys(request.stream_ids)]
    ids = [s.id for s in streams]
    found: list[Measured] = []
    for done, stream_id in enumerate(ids, start=1):
        found.extend(
            query.exposures(
                session, [stream_id], request.run, request.start, request.end, gap_s=rules.gap_s
            )
        )
        if progress is not None:
            progress(done, len(ids))
    return ReportFacts(
        streams=[(s.id, s.name) for s in streams],
        cards=rate_cards.cards(session, ids),
        exposures=found,
        detectors=query.detector_versions(session, ids, request.run, request.start, request.end),
        logo_library=query.logo_library(session),
    )


def build_report(
    session: Session, registry: StreamRegistry, request: ReportRequest, rules: CountingRules
) -> ExposureReportDocument:
    """The report; raises StreamNotFoundError for an unknown stream, MixedCurrencyError when
    the streams are priced in different currencies, ValueError for too many windows."""
    return compose(request, read_facts(session, registry, request, rules), rules)


def compose(
    request: ReportRequest, facts: ReportFacts, rules: CountingRules
) -> ExposureReportDocument:
    """The report document from its facts (pure; raises as `build_report`)."""
    ids = [stream_id for stream_id, _ in facts.streams]
    rates = {stream_id: rate_cards.rate(card) for stream_id, card in facts.cards.items()}
    currency = assemble.currency(rates, ids)
    items = assemble.exposures(facts.exposures, rules, rates)
    end = request.end
    if end is None:
        end = max((e.measured.end for e in items), default=request.start)
    windows = (
        assemble.window_summaries(items, request.start, end, request.window, MAX_WINDOWS)
        if request.window is not None
        else []
    )
    counted = sorted(
        (e for e in items if e.counted),
        key=lambda e: (e.measured.start, e.measured.stream_id, e.measured.brand),
    )
    return ExposureReportDocument(
        generated_at=datetime.now(UTC),
        run=request.run,
        start=request.start,
        end=request.end,
        currency=currency,
        streams=[
            StreamSummary(
                stream_id=stream_id,
                name=name,
                rate_card=facts.cards.get(stream_id),
                brands=assemble.brand_summaries(
                    e for e in items if e.measured.stream_id == stream_id
                ),
            )
            for stream_id, name in facts.streams
        ],
        brands=assemble.brand_summaries(items),
        windows=windows,
        exposures=[assemble.public_exposure(e) for e in counted],
        methodology=Methodology(
            quality_version=QUALITY_VERSION,
            weights=rules.weights.model_dump(),
            gap_s=rules.gap_s,
            min_duration_s=rules.min_duration_s,
            notes=NOTES,
        ),
        detectors=facts.detectors,
        logo_library=facts.logo_library,
        warnings=[
            f"stream {stream_id} ({name}) has no rate card: not valued"
            for stream_id, name in facts.streams
            if stream_id not in facts.cards
        ],
    )
