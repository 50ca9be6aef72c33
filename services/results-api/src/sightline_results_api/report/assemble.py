"""From measured exposures to the report's figures: quality, value, per-brand sums, windows. Pure.

What the database supplies (measured exposures, stream names, rate cards, versions) comes in
as plain values; `report.build` does the reading.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sightline_results_api.report import quality
from sightline_results_api.report.exposures import Measured, counted
from sightline_results_api.report.model import (
    BrandSummary,
    ExposureReportDocument,
    MoneyFigures,
    ReportExposure,
    WindowSummary,
)
from sightline_results_api.report.value import NO_VALUE, Rate, Value, price


class MixedCurrencyError(ValueError):
    """The streams of one report are priced in different currencies."""


@dataclass(frozen=True)
class CountingRules:
    """How appearances become exposures and how they are weighted."""

    gap_s: float = 1.0
    min_duration_s: float = 1.0
    weights: quality.QualityWeights = field(default_factory=quality.QualityWeights)


@dataclass(frozen=True, slots=True)
class Exposure:
    """A counted (or too short) exposure with its factors, index and value."""

    measured: Measured
    factors: quality.Factors
    quality: float
    value: Value
    counted: bool

    @property
    def seconds(self) -> float:
        """The exposure's duration."""
        return self.measured.duration


def exposures(
    measured: Iterable[Measured], rules: CountingRules, rates: Mapping[str, Rate]
) -> list[Exposure]:
    """Every measured exposure scored and priced (too-short ones marked, no value)."""
    out = []
    for m in measured:
        f = quality.factors(m)
        q = quality.index(f, rules.weights)
        ok = counted(m, rules.min_duration_s)
        value = price(m.duration, q, rates.get(m.stream_id)) if ok else NO_VALUE
        out.append(Exposure(m, f, q, value, ok))
    return out


def currency(rates: Mapping[str, Rate], stream_ids: Sequence[str]) -> str | None:
    """The one currency the streams are priced in (None when none has a rate card)."""
    found = {rates[s].currency for s in stream_ids if s in rates}
    if len(found) > 1:
        raise MixedCurrencyError(f"the streams are priced in {', '.join(sorted(found))}")
    return found.pop() if found else None


def money(value: Value) -> MoneyFigures:
    """Value rounded to cents."""
    return MoneyFigures(
        full=_cents(value.full), quality=_cents(value.quality), audience=_cents(value.audience)
    )


def _cents(amount: float | None) -> float | None:
    return None if amount is None else round(amount, 2)


def brand_summaries(items: Iterable[Exposure]) -> list[BrandSummary]:
    """Per-brand sums, most counted seconds first; share of voice among the brands given."""
    listed_all = list(items)
    by_brand: dict[str, list[Exposure]] = defaultdict(list)
    for e in listed_all:
        by_brand[e.measured.brand].append(e)
    total = sum(e.seconds for e in _counted(listed_all))
    out = []
    for brand, listed in by_brand.items():
        good = _counted(listed)
        short = [e for e in listed if not e.counted]
        seconds = sum(e.seconds for e in good)
        q_seconds = sum(e.seconds * e.quality for e in good)
        value = sum((e.value for e in good), NO_VALUE)
        out.append(
            BrandSummary(
                brand=brand,
                exposures=len(good),
                seconds=round(seconds, 3),
                quality_seconds=round(q_seconds, 3),
                mean_quality=round(q_seconds / seconds, 4) if seconds > 0 else 0.0,
                share_of_voice=round(seconds / total, 4) if total > 0 else 0.0,
                short=len(short),
                short_seconds=round(sum(e.seconds for e in short), 3),
                value=money(value),
            )
        )
    return sorted(out, key=lambda b: (-b.seconds, b.brand))


def _counted(items: Iterable[Exposure]) -> list[Exposure]:
    return [e for e in items if e.counted]


def window_summaries(
    items: Sequence[Exposure], start: float, end: float, window: float, limit: int
) -> list[WindowSummary]:
    """Per-window brand sums over [start, end); an exposure counts where it starts."""
    if window <= 0 or end < start:
        raise ValueError("window must be positive and end not before start")
    count = max(math.ceil((end - start) / window), 1)
    if count > limit:
        raise ValueError(f"window too small: more than {limit} windows in the range")
    buckets: list[list[Exposure]] = [[] for _ in range(count)]
    for e in items:
        at = e.measured.start
        if start <= at < end:
            buckets[min(int((at - start) // window), count - 1)].append(e)
    return [
        WindowSummary(
            start=start + i * window,
            end=min(start + (i + 1) * window, end),
            brands=brand_summaries(bucket),
        )
        for i, bucket in enumerate(buckets)
    ]


def public_exposure(e: Exposure) -> ReportExposure:
    """An exposure as listed in the report, its best frame named for the evidence."""
    m = e.measured
    return ReportExposure(
        id=f"{m.stream_id}/{m.brand}/{m.start:.3f}",
        stream_id=m.stream_id,
        brand=m.brand,
        start=round(m.start, 3),
        end=round(m.end, 3),
        duration=round(m.duration, 3),
        sightings=m.sightings,
        factors=e.factors.as_dict(),
        quality=round(e.quality, 4),
        value=money(e.value),
        best_event_id=m.best_event_id,
        best_item_index=m.best_item_index,
        best_media_ts=m.best_media_ts,
        best_box=[round(v, 4) for v in m.best_box],
    )


TOP_EXPOSURES = 15


def top_exposures(doc: ExposureReportDocument, count: int = TOP_EXPOSURES) -> list[ReportExposure]:
    """The exposures a report details (with evidence): most quality-weighted seconds first."""
    return sorted(doc.exposures, key=lambda e: -(e.duration * e.quality))[:count]
