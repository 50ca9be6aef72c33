"""Builds the exposure report: reads the facts (`report.query`), runs the math
(`report.assemble`), and returns the document every format renders."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session

from sightline_results_api.report import assemble, query, rate_cards
from sightline_results_api.report.assemble import CountingRules
from sightline_results_api.report.compare import compare_runs
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
    "Quality index q2 is the weighted mean of six factors in [0, 1]: size (sqrt of the mean "
    "area share over 5 %, capped), clarity (the logo detector's mean sharpness of the logo's "
    "region, 0.2 to 0.75 mapped to 0 to 1; its mean confidence for detections without one), "
    "position (1 "
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
    """What to report on: streams, run and a range of stream time; optional window length and
    a run to compare with (e.g. `live` when `run` is a reanalysis)."""

    stream_ids: Sequence[str]
    start: float = 0.0
    end: float | None = None
    run: str = "live"
    window: float | None = None
    compare_run: str | None = None


def rules_from(settings: ResultsApiSettings) -> CountingRules:
    """The counting rules the service is configured with."""
    return CountingRules(
        gap_s=settings.report_gap_s,
        min_duration_s=settings.report_min_exposure_s,
        weights=settings.report_quality_weights,
    )


@dataclass(frozen=True)
class BaselineFacts:
    """The run a report is compared with: its exposures and the detectors that made them."""

    run: str
    exposures: Sequence[Measured]
    detectors: list[DetectorVersion]


@dataclass(frozen=True)
class ReportFacts:
    """What the report is made from, as read from the database."""

    streams: Sequence[tuple[str, str]]  # (id, name)
    cards: Mapping[str, RateCardPublic]
    exposures: Sequence[Measured]
    detectors: list[DetectorVersion]
    logo_library: LogoLibraryVersion
    baseline: BaselineFacts | None = None


def _read_exposures(
    session: Session,
    *,
    ids: Sequence[str],
    run: str,
    request: ReportRequest,
    rules: CountingRules,
    progress: Callable[[], None],
) -> list[Measured]:
    found: list[Measured] = []
    for stream_id in ids:
        found.extend(
            query.exposures(
                session, [stream_id], run, request.start, request.end, gap_s=rules.gap_s
            )
        )
        progress()
    return found


def read_facts(
    session: Session,
    registry: StreamRegistry,
    request: ReportRequest,
    rules: CountingRules,
    progress: Callable[[int, int], None] | None = None,
) -> ReportFacts:
    """Everything the report is made from; raises StreamNotFoundError for an unknown stream.

    Exposures are read one stream (and run) at a time, `progress(done, total)` called after
    each.
    """
    streams = [registry.get(stream_id) for stream_id in dict.fromkeys(request.stream_ids)]
    ids = [s.id for s in streams]
    runs = [request.run] if request.compare_run is None else [request.run, request.compare_run]
    total = len(ids) * len(runs)
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    def versions(run: str) -> list[DetectorVersion]:
        return query.detector_versions(session, ids, run, request.start, request.end)

    baseline = None
    if request.compare_run is not None:
        baseline = BaselineFacts(
            run=request.compare_run,
            exposures=_read_exposures(
                session,
                ids=ids,
                run=request.compare_run,
                request=request,
                rules=rules,
                progress=step,
            ),
            detectors=versions(request.compare_run),
        )
    return ReportFacts(
        streams=[(s.id, s.name) for s in streams],
        cards=rate_cards.cards(session, ids),
        exposures=_read_exposures(
            session, ids=ids, run=request.run, request=request, rules=rules, progress=step
        ),
        detectors=versions(request.run),
        logo_library=query.logo_library(session),
        baseline=baseline,
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
        warnings=_warnings(facts),
        comparison=(
            None
            if facts.baseline is None
            else compare_runs(
                items,
                facts.baseline.run,
                assemble.exposures(facts.baseline.exposures, rules, rates),
                facts.baseline.detectors,
            )
        ),
    )


def _warnings(facts: ReportFacts) -> list[str]:
    """What a reader must know about the figures: streams not valued, a compared run that
    found nothing (a mistyped run id reads as "the new model found nothing")."""
    out = [
        f"stream {stream_id} ({name}) has no rate card: not valued"
        for stream_id, name in facts.streams
        if stream_id not in facts.cards
    ]
    if facts.baseline is not None and not facts.baseline.detectors:
        out.append(f"run {facts.baseline.run} has no logo detections on these streams and range")
    return out
