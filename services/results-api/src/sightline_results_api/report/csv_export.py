"""The report as CSV: one row per brand (totals, and per stream) or one row per exposure.

Per-exposure rows carry every quality factor, so a sponsor can recompute the index and audit
each exposure; amounts are in the report's currency.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from sightline_results_api.report.model import BrandSummary, ExposureReportDocument
from sightline_results_api.report.quality import FACTORS

BRAND_COLUMNS = [
    "stream_id",
    "brand",
    "exposures",
    "seconds",
    "quality_seconds",
    "mean_quality",
    "share_of_voice",
    "short_exposures",
    "short_seconds",
    "currency",
    "value_full",
    "value_quality",
    "value_audience",
]
COMPARISON_COLUMNS = [
    "brand",
    "run",
    "baseline_run",
    "exposures",
    "baseline_exposures",
    "seconds",
    "baseline_seconds",
    "delta_seconds",
    "quality_seconds",
    "baseline_quality_seconds",
    "currency",
    "value_quality",
    "baseline_value_quality",
    "only_in_run",
    "only_in_baseline",
]
EXPOSURE_COLUMNS = [
    "id",
    "stream_id",
    "brand",
    "start",
    "end",
    "duration",
    "sightings",
    *FACTORS,
    "quality",
    "currency",
    "value_full",
    "value_quality",
    "best_media_ts",
    "best_event_id",
    "best_item_index",
]


def _brand_row(scope: str, b: BrandSummary, currency: str | None) -> list[object]:
    return [
        _text(scope),
        _text(b.brand),
        b.exposures,
        b.seconds,
        b.quality_seconds,
        b.mean_quality,
        b.share_of_voice,
        b.short,
        b.short_seconds,
        currency or "",
        _amount(b.value.full),
        _amount(b.value.quality),
        _amount(b.value.audience),
    ]


def _text(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula (a brand named `=HYPERLINK(...)`)."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _amount(value: float | None) -> object:
    return "" if value is None else value


def brands_csv(doc: ExposureReportDocument) -> str:
    """Brand totals over all streams (stream_id `*`), then each stream's brands."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(BRAND_COLUMNS)
    for b in doc.brands:
        writer.writerow(_brand_row("*", b, doc.currency))
    for stream in doc.streams:
        for b in stream.brands:
            writer.writerow(_brand_row(stream.stream_id, b, doc.currency))
    return out.getvalue()


def exposures_csv(doc: ExposureReportDocument) -> str:
    """Every counted exposure with its factors, index and value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPOSURE_COLUMNS)
    for e in doc.exposures:
        writer.writerow(
            [
                _text(e.id),
                _text(e.stream_id),
                _text(e.brand),
                e.start,
                e.end,
                e.duration,
                e.sightings,
                *(e.factors[name] for name in FACTORS),
                e.quality,
                doc.currency or "",
                _amount(e.value.full),
                _amount(e.value.quality),
                e.best_media_ts,
                e.best_event_id,
                e.best_item_index,
            ]
        )
    return out.getvalue()


def comparison_csv(doc: ExposureReportDocument) -> str:
    """One row per brand: the report's run beside the compared run (header only without one)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COMPARISON_COLUMNS)
    comparison = doc.comparison
    brands = [] if comparison is None else comparison.brands
    base = "" if comparison is None else comparison.baseline_run
    writer.writerows(
        [
            _text(b.brand), _text(doc.run), _text(base), b.exposures, b.baseline_exposures,
            b.seconds, b.baseline_seconds, b.delta_seconds, b.quality_seconds,
            b.baseline_quality_seconds, doc.currency or "", _amount(b.value.quality),
            _amount(b.baseline_value.quality), b.only_here, b.only_baseline,
        ]
        for b in brands
    )  # fmt: skip
    return out.getvalue()


TABLES: dict[str, Callable[[ExposureReportDocument], str]] = {
    "brands": brands_csv,
    "exposures": exposures_csv,
    "comparison": comparison_csv,
}
