"""A report's run set beside another run of the same streams and range. Pure.

A reanalysis with a new model is judged by what it changes in the figures a sponsor pays for,
brand by brand: counted seconds, quality-weighted seconds and value, and which appearances
only one of the two runs found. Two counted exposures of the same brand on the same stream
are the same appearance when their time spans overlap.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sightline_results_api.report.assemble import Exposure, money
from sightline_results_api.report.model import BrandComparison, DetectorVersion, RunComparison
from sightline_results_api.report.value import NO_VALUE

Key = tuple[str, str]  # (stream id, brand)


def _by_key(items: Iterable[Exposure]) -> dict[Key, list[Exposure]]:
    out: dict[Key, list[Exposure]] = defaultdict(list)
    for e in items:
        if e.counted:
            out[(e.measured.stream_id, e.measured.brand)].append(e)
    return out


def _overlaps(e: Exposure, others: Sequence[Exposure]) -> bool:
    return any(e.measured.start < o.measured.end and o.measured.start < e.measured.end
               for o in others)  # fmt: skip


def _unmatched(items: Sequence[Exposure], others: Sequence[Exposure]) -> int:
    return sum(1 for e in items if not _overlaps(e, others))


def _brand(
    brand: str, here: dict[Key, list[Exposure]], there: dict[Key, list[Exposure]]
) -> BrandComparison:
    keys = [k for k in {*here, *there} if k[1] == brand]
    mine = [e for k in keys for e in here.get(k, [])]
    theirs = [e for k in keys for e in there.get(k, [])]
    seconds = sum(e.seconds for e in mine)
    baseline_seconds = sum(e.seconds for e in theirs)
    return BrandComparison(
        brand=brand,
        exposures=len(mine),
        baseline_exposures=len(theirs),
        seconds=round(seconds, 3),
        baseline_seconds=round(baseline_seconds, 3),
        delta_seconds=round(seconds - baseline_seconds, 3),
        quality_seconds=round(sum(e.seconds * e.quality for e in mine), 3),
        baseline_quality_seconds=round(sum(e.seconds * e.quality for e in theirs), 3),
        value=money(sum((e.value for e in mine), NO_VALUE)),
        baseline_value=money(sum((e.value for e in theirs), NO_VALUE)),
        only_here=sum(_unmatched(here.get(k, []), there.get(k, [])) for k in keys),
        only_baseline=sum(_unmatched(there.get(k, []), here.get(k, [])) for k in keys),
    )


def compare_runs(
    items: Iterable[Exposure],
    baseline_run: str,
    baseline: Iterable[Exposure],
    baseline_detectors: list[DetectorVersion],
) -> RunComparison:
    """Per brand, the report's run against `baseline_run`; largest change in seconds first."""
    here, there = _by_key(items), _by_key(baseline)
    brands = sorted({brand for _, brand in (*here, *there)})
    rows = [_brand(brand, here, there) for brand in brands]
    return RunComparison(
        baseline_run=baseline_run,
        baseline_detectors=baseline_detectors,
        brands=sorted(rows, key=lambda b: (-abs(b.delta_seconds), b.brand)),
    )
