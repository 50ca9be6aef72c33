"""The report as a PDF a sponsor can read: summary, charts, top exposures, methodology.

fpdf2 lays out the text (a real text layer, DejaVu Sans from matplotlib's fonts so any brand
name prints) and embeds the charts from `report.charts`. Evidence thumbnails, when given by
exposure id, are placed beside the top exposures.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import matplotlib
from fpdf import FPDF

from sightline_results_api.report import charts
from sightline_results_api.report.assemble import top_exposures
from sightline_results_api.report.model import ExposureReportDocument, ReportExposure, RunComparison
from sightline_results_api.report.quality import FACTORS

_FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
WIDTH = 180  # mm of an A4 page inside the margins


def _money(amount: float | None, currency: str | None) -> str:
    return "-" if amount is None else f"{amount:,.2f} {currency or ''}".strip()


class _Document(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self.add_font("DejaVu", "", str(_FONTS / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(_FONTS / "DejaVuSans-Bold.ttf"))
        self.set_title(title)
        self.set_creator("Sightline")
        self.set_auto_page_break(auto=True, margin=15)
        self._title = title

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", "", 8)
        self.cell(0, 6, f"{self._title} - page {self.page_no()}", align="C")

    def heading(self, text: str) -> None:
        self.set_font("DejaVu", "B", 13)
        self.cell(0, 9, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font("DejaVu", "", 9)

    def para(self, text: str) -> None:
        self.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")

    def grid(self, header: list[str], rows: list[list[str]], widths: list[int]) -> None:
        self.set_font("DejaVu", "B", 8)
        for text, w in zip(header, widths, strict=True):
            self.cell(w, 6, text, border="B")
        self.ln()
        self.set_font("DejaVu", "", 8)
        for row in rows:
            for text, w in zip(row, widths, strict=True):
                self.cell(w, 5, text[:40])
            self.ln()
        self.set_font("DejaVu", "", 9)

    def chart(self, png: bytes) -> None:
        self.image(io.BytesIO(png), w=WIDTH)
        self.ln(2)


def render_pdf(doc: ExposureReportDocument, thumbnails: Mapping[str, bytes] | None = None) -> bytes:
    """The PDF bytes of the report; `thumbnails` maps exposure ids to JPEG/PNG evidence."""
    pdf = _Document("Sightline sponsor exposure report")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(0, 10, "Sponsor exposure report", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    end = "end" if doc.end is None else f"{doc.end:.1f} s"
    streams = ", ".join(f"{s.name} ({s.stream_id})" for s in doc.streams)
    pdf.para(
        f"Streams: {streams}\nRange: {doc.start:.1f} s to {end} of stream time, run {doc.run}\n"
        f"Generated {doc.generated_at:%Y-%m-%d %H:%M} UTC; report {doc.version}, quality "
        f"index {doc.methodology.quality_version}"
    )
    for warning in doc.warnings:
        pdf.para(f"Note: {warning}")
    pdf.ln(2)
    pdf.heading("Brands")
    pdf.grid(
        ["Brand", "Exposures", "Seconds", "Quality s", "Mean q.", "Share", "Value", "Q. value"],
        [
            [
                b.brand,
                str(b.exposures),
                f"{b.seconds:.1f}",
                f"{b.quality_seconds:.1f}",
                f"{b.mean_quality:.2f}",
                f"{b.share_of_voice:.0%}",
                _money(b.value.full, doc.currency),
                _money(b.value.quality, doc.currency),
            ]
            for b in doc.brands
        ],
        [40, 18, 18, 18, 16, 14, 28, 28],
    )
    pdf.ln(3)
    pdf.heading("Screen time per brand")
    pdf.chart(charts.screen_time_chart(doc))
    if doc.comparison is not None:
        _comparison(pdf, doc.run, doc.comparison)
    pdf.add_page()
    pdf.heading("Media value per brand")
    if doc.currency is None:
        pdf.para("No stream in this report has a rate card, so no value is shown.")
    else:
        pdf.chart(charts.value_chart(doc))
    pdf.heading("Exposure timeline")
    pdf.chart(charts.timeline_chart(doc))
    _top_exposures(pdf, doc, thumbnails or {})
    _methodology(pdf, doc)
    return bytes(pdf.output())


def _top_exposures(
    pdf: _Document, doc: ExposureReportDocument, thumbs: Mapping[str, bytes]
) -> None:
    pdf.add_page()
    pdf.heading("Top exposures")
    top = top_exposures(doc)
    if not top:
        pdf.para("No exposure in this range lasted the minimum duration.")
    for e in top:
        _exposure_line(pdf, e, doc.currency, thumbs.get(e.id))


def _exposure_line(
    pdf: _Document, e: ReportExposure, currency: str | None, thumb: bytes | None
) -> None:
    if pdf.will_page_break(26):
        pdf.add_page()
    y = pdf.get_y()
    text_x = pdf.l_margin
    if thumb is not None:
        pdf.image(io.BytesIO(thumb), x=pdf.l_margin, y=y, h=22)
        text_x += 42
    pdf.set_xy(text_x, y)
    pdf.set_font("DejaVu", "B", 9)
    pdf.cell(
        0,
        5,
        f"{e.brand}  {e.start:.1f}-{e.end:.1f} s ({e.duration:.1f} s) on {e.stream_id}",
        new_x="LEFT",
        new_y="NEXT",
    )
    pdf.set_font("DejaVu", "", 8)
    factors = ", ".join(f"{name} {e.factors[name]:.2f}" for name in FACTORS)
    pdf.multi_cell(
        WIDTH - (text_x - pdf.l_margin),
        4,
        f"quality {e.quality:.2f} ({factors})\nvalue "
        f"{_money(e.value.full, currency)}, quality-adjusted "
        f"{_money(e.value.quality, currency)}; {e.sightings} sampled frames",
        new_x="LEFT",
        new_y="NEXT",
    )
    pdf.set_xy(pdf.l_margin, max(pdf.get_y(), y + (24 if thumb is not None else 0)) + 2)


def _comparison(pdf: _Document, run: str, comparison: RunComparison) -> None:
    base = comparison.baseline_run
    pdf.add_page()
    pdf.heading(f"Run {run} compared with run {base}")
    pdf.para(
        f"Counted seconds per brand in each run; 'only {run}' / 'only {base}': appearances "
        "found by one run that overlap none of the other's."
    )
    pdf.grid(
        ["Brand", f"{run} s"[:14], f"{base} s"[:14], "Change s", "Exposures", "Only new",
         "Only base"],
        [
            [
                b.brand,
                f"{b.seconds:.1f}",
                f"{b.baseline_seconds:.1f}",
                f"{b.delta_seconds:+.1f}",
                f"{b.exposures} / {b.baseline_exposures}",
                str(b.only_here),
                str(b.only_baseline),
            ]
            for b in comparison.brands
        ],
        [40, 24, 24, 22, 24, 22, 24],
    )  # fmt: skip
    for d in comparison.baseline_detectors:
        pdf.para(f"Run {base}: detector {d.name} {d.version} (config {d.config_hash[:12]})")


def _methodology(pdf: _Document, doc: ExposureReportDocument) -> None:
    m = doc.methodology
    pdf.add_page()
    pdf.heading("Methodology")
    weights = ", ".join(f"{k} {v:g}" for k, v in m.weights.items())
    pdf.para(
        f"Gap tolerance {m.gap_s:g} s; minimum exposure {m.min_duration_s:g} s; quality "
        f"index {m.quality_version} weights: {weights}."
    )
    for note in m.notes:
        pdf.para(f"- {note}")
    pdf.ln(3)
    pdf.heading("Versions")
    for d in doc.detectors:
        pdf.para(f"Detector {d.name} {d.version} (config {d.config_hash[:12]})")
    if not doc.detectors:
        pdf.para("No logo detection in this range.")
    lib = doc.logo_library
    pdf.para(
        f"Logo library: {lib.logos} images of {lib.brands} brands, fingerprint "
        f"{lib.fingerprint} (as of the report, not of the detections)"
    )
