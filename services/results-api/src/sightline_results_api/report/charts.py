"""The report's charts as PNG images (matplotlib, no pyplot: no global state, thread-safe).

Each function draws one chart from the report document and returns PNG bytes; the PDF embeds
them. At most `MAX_BRANDS` brands are drawn (most screen time first) so a chart stays legible.
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure

from sightline_results_api.report.model import BrandSummary, ExposureReportDocument

MAX_BRANDS = 12
DPI = 150
FULL = "#9db4d3"
QUALITY = "#1f4e8c"


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    return buf.getvalue()


def _top(brands: list[BrandSummary]) -> list[BrandSummary]:
    return list(reversed(brands[:MAX_BRANDS]))  # barh draws bottom-up: largest on top


def _paired_bars(
    labels: list[str],
    full: list[float],
    weighted: list[float],
    legend: tuple[str, str],
    xlabel: str,
) -> bytes:
    fig = Figure(figsize=(7.0, 0.35 * max(len(labels), 3) + 1.0))
    ax = fig.subplots()
    rows = range(len(labels))
    ax.barh([r + 0.2 for r in rows], full, height=0.4, color=FULL, label=legend[0])
    ax.barh([r - 0.2 for r in rows], weighted, height=0.4, color=QUALITY, label=legend[1])
    ax.set_yticks(list(rows), labels)
    ax.set_xlabel(xlabel)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    return _png(fig)


def screen_time_chart(doc: ExposureReportDocument) -> bytes:
    """Counted seconds and quality-weighted seconds per brand."""
    top = _top(doc.brands)
    return _paired_bars(
        [b.brand for b in top],
        [b.seconds for b in top],
        [b.quality_seconds for b in top],
        ("screen time", "quality-weighted"),
        "seconds",
    )


def value_chart(doc: ExposureReportDocument) -> bytes:
    """Full and quality-adjusted media value per brand (zero where a stream has no card)."""
    top = _top(doc.brands)
    return _paired_bars(
        [b.brand for b in top],
        [b.value.full or 0.0 for b in top],
        [b.value.quality or 0.0 for b in top],
        ("full value", "quality-adjusted"),
        doc.currency or "value",
    )


def timeline_chart(doc: ExposureReportDocument) -> bytes:
    """One lane per brand: each exposure a bar over its stream time, darker when better."""
    brands = [b.brand for b in _top(doc.brands)]
    lane = {brand: i for i, brand in enumerate(brands)}
    fig = Figure(figsize=(7.0, 0.35 * max(len(brands), 3) + 1.0))
    ax = fig.subplots()
    for e in doc.exposures:
        if e.brand in lane:
            ax.broken_barh(
                [(e.start, max(e.duration, 0.2))],
                (lane[e.brand] - 0.35, 0.7),
                facecolors=QUALITY,
                alpha=0.25 + 0.75 * e.quality,
            )
    ax.set_yticks(list(range(len(brands))), brands)
    ax.set_ylim(-0.7, max(len(brands), 1) - 0.3)
    end = doc.end if doc.end is not None else max((e.end for e in doc.exposures), default=1.0)
    ax.set_xlim(doc.start, max(end, doc.start + 1.0))
    ax.set_xlabel("stream time, seconds")
    ax.grid(axis="x", alpha=0.3)
    return _png(fig)
