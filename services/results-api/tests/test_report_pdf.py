"""The report PDF opens, its pages render, the charts are drawn (not blank, with the bars'
colour) and the brand names are in the text layer; the CSV is parseable and formula-safe.

The PDF renderer (fpdf and matplotlib, ~1 CPU-s to import) comes from the `render` fixture, not
an import at collection, which every xdist worker of `make test` does."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import numpy as np
import pypdfium2
import pypdfium2.raw as pdfium_c
import pytest
from PIL import Image

from sightline_results_api.report.assemble import CountingRules
from sightline_results_api.report.build import ReportFacts, ReportRequest, compose
from sightline_results_api.report.csv_export import brands_csv, exposures_csv
from sightline_results_api.report.exposures import Measured
from sightline_results_api.report.model import (
    ExposureReportDocument,
    LogoLibraryVersion,
    RateCardPublic,
)

BRANDS = ["Acme Cola", "Globex", "Ünïcode Bräu", "=HYPERLINK(1)"]


def _exposure(brand: str, start: float, seconds: float, area: float) -> Measured:
    return Measured(
        stream_id="s1", brand=brand, start=start, end=start + seconds, sightings=int(seconds * 2),
        mean_area=area, mean_confidence=0.8, mean_centre_distance=0.1, edge_share=0.0,
        mean_solus=1.0, best_event_id=f"{brand}{start}", best_item_index=0,
        best_media_ts=start, best_box=(0.4, 0.4, 0.2, 0.2),
    )  # fmt: skip


@pytest.fixture(scope="module")
def document() -> ExposureReportDocument:
    exposures = [
        _exposure(BRANDS[0], 0.0, 10.0, 0.09),
        _exposure(BRANDS[0], 30.0, 3.0, 0.04),
        _exposure(BRANDS[1], 12.0, 4.0, 0.01),
        _exposure(BRANDS[2], 40.0, 2.0, 0.02),
        _exposure(BRANDS[3], 50.0, 1.5, 0.01),
    ]
    facts = ReportFacts(
        streams=[("s1", "Final, camera 1")],
        cards={"s1": RateCardPublic(currency="EUR", cost_per_30s=3000.0)},
        exposures=exposures,
        detectors=[],
        logo_library=LogoLibraryVersion(logos=4, brands=4, fingerprint="abc"),
    )
    return compose(ReportRequest(stream_ids=["s1"], end=60.0), facts, CountingRules())


@pytest.fixture(scope="module")
def render() -> Callable[..., bytes]:
    """`render_pdf(document, thumbnails=None)`: the PDF bytes."""
    from sightline_results_api.report.pdf import render_pdf  # noqa: PLC0415 - see the docstring

    return render_pdf


def _chart_crops(page: pypdfium2.PdfPage, scale: float) -> list[Image.Image]:
    """The rendered page cut to each embedded image's box (the charts)."""
    bitmap = page.render(scale=scale).to_pil().convert("RGB")
    height = page.get_height()
    crops = []
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]):
        left, bottom, right, top = obj.get_bounds()
        box = (left * scale, (height - top) * scale, right * scale, (height - bottom) * scale)
        crops.append(bitmap.crop(tuple(round(v) for v in box)))
    return crops


def _not_white(image: Image.Image) -> float:
    pixels = np.asarray(image)
    return float((pixels != 255).any(axis=2).mean())


def _dark_blue(image: Image.Image) -> float:
    """Share of the quality bars' colour (#1f4e8c, blended by anti-aliasing)."""
    r, g, b = (np.asarray(image)[..., i].astype(int) for i in range(3))
    return float(((b > 110) & (r < 90) & (g < 120)).mean())


def test_the_pdf_renders_with_drawn_charts_and_brand_names_in_its_text(
    document: ExposureReportDocument, render: Callable[..., bytes]
) -> None:
    pdf = pypdfium2.PdfDocument(render(document))
    assert len(pdf) >= 4
    text = "\n".join(page.get_textpage().get_text_range() for page in pdf)
    for brand in BRANDS:
        assert brand in text
    for needed in (
        "Screen time per brand",
        "Media value per brand",
        "Exposure timeline",
        "Top exposures",
        "Methodology",
        "Logo library",
        "EUR",
    ):
        assert needed in text
    crops = [crop for page in pdf for crop in _chart_crops(page, scale=1.5)]
    assert len(crops) == 3  # screen time, value, timeline
    for crop in crops:
        assert crop.width > 300
        assert _not_white(crop) > 0.05
        assert _dark_blue(crop) > 0.002


def test_the_pdf_embeds_evidence_thumbnails_beside_top_exposures(
    document: ExposureReportDocument, render: Callable[..., bytes]
) -> None:
    thumb = io.BytesIO()
    Image.new("RGB", (160, 90), (200, 30, 30)).save(thumb, format="JPEG")
    pdf = pypdfium2.PdfDocument(render(document, {document.exposures[0].id: thumb.getvalue()}))
    images = sum(len(list(p.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]))) for p in pdf)
    assert images == 4


def test_a_report_without_rate_cards_says_so_instead_of_a_value_chart(
    document: ExposureReportDocument, render: Callable[..., bytes]
) -> None:
    bare = document.model_copy(update={"currency": None})
    text = "".join(p.get_textpage().get_text_range() for p in pypdfium2.PdfDocument(render(bare)))
    assert "no value is shown" in text


def test_csv_lists_brands_and_exposures_with_their_factors(
    document: ExposureReportDocument,
) -> None:
    brands = list(csv.DictReader(io.StringIO(brands_csv(document))))
    assert next(r["brand"] for r in brands if r["stream_id"] == "*") == "Acme Cola"
    assert "'=HYPERLINK(1)" in [r["brand"] for r in brands]  # not run as a formula
    acme = next(r for r in brands if r["brand"] == "Acme Cola" and r["stream_id"] == "*")
    assert float(acme["seconds"]) == pytest.approx(13.0)
    assert float(acme["value_full"]) == pytest.approx(13.0 * 100)
    rows = list(csv.DictReader(io.StringIO(exposures_csv(document))))
    assert len(rows) == len(document.exposures) == 5
    assert {"size", "clarity", "position", "visibility", "solus", "duration"} <= set(rows[0])
