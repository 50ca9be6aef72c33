"""From sightings to the report's figures: exposures, per-brand sums, windows, value. Pure.

What the database supplies (sightings, stream names, rate cards, versions) comes in as plain
values; `report.build` does the reading.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sightline_results_api.report import quality
from sightline_results_api.report.exposures import Appearance, Sighting, counted, merge
from sightline_results_api.report.model import (
    BrandSummary,
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
    """A counted (or too short) appearance with its factors, index and value."""

    appearance: Appearance
    factors: quality.Factors
    quality: float
    value: Value
    counted: bool

    @property
    def seconds(self) -> float:
        """The exposure's duration."""
        return self.appearance.duration


def exposures(
    sightings: Iterable[Sighting], rules: CountingRules, rates: Mapping[str, Rate]
) -> list[Exposure]:
    """Every appearance of every brand, scored and priced (too-short ones marked, value 0)."""
    out = []
    for appearance in merge(sightings, rules.gap_s):
        f = quality.factors(appearance.sightings, appearance.duration)
        q = quality.index(f, rules.weights)
        ok = counted(appearance, rules.min_duration_s)
        value = price(appearance.duration, q, rates.get(appearance.stream_id)) if ok else NO_VALUE
        out.append(Exposure(appearance, f, q, value, ok))
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
        by_brand[e.appearance.brand].append(e)
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
        at = e.appearance.start
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
    a = e.appearance
    best = max(a.sightings, key=quality.sighting_score)
    return ReportExposure(
        id=f"{a.stream_id}/{a.brand}/{a.start:.3f}",
        stream_id=a.stream_id,
        brand=a.brand,
        start=round(a.start, 3),
        end=round(a.end, 3),
        duration=round(a.duration, 3),
        sightings=len(a.sightings),
        factors=e.factors.as_dict(),
        quality=round(e.quality, 4),
        value=money(e.value),
        best_event_id=best.event_id,
        best_item_index=best.item_index,
        best_media_ts=best.media_ts,
        best_box=[round(v, 4) for v in (best.box_x, best.box_y, best.box_w, best.box_h)],
    )
