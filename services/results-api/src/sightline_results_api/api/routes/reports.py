"""`/api/reports/exposure`: the sponsor exposure report over streams and a range, as JSON,
CSV or PDF."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Response, status

from sightline_results_api.api.deps import ContextDep, RegistryDep, SessionDep
from sightline_results_api.api.routes.detections import From, To, check_range
from sightline_results_api.report.assemble import MixedCurrencyError, top_exposures
from sightline_results_api.report.build import ReportRequest, build_report, rules_from
from sightline_results_api.report.csv_export import TABLES
from sightline_results_api.report.model import ExposureReportDocument

router = APIRouter(prefix="/reports", tags=["reports"])

MAX_STREAMS = 50


class ReportFormat(StrEnum):
    """How the report is delivered."""

    JSON = "json"
    CSV = "csv"
    PDF = "pdf"


class CsvTable(StrEnum):
    """Which rows the CSV holds."""

    BRANDS = "brands"
    EXPOSURES = "exposures"
    COMPARISON = "comparison"


def _stream_ids(streams: list[str]) -> list[str]:
    ids = [s.strip() for value in streams for s in value.split(",") if s.strip()]
    if not ids or len(ids) > MAX_STREAMS:
        raise HTTPException(
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"name 1 to {MAX_STREAMS} streams",
        )
    return ids


@router.get(
    "/exposure",
    response_model=ExposureReportDocument,
    responses={
        200: {
            "content": {"text/csv": {}, "application/pdf": {}},
            "description": "The report (JSON, or CSV / PDF with `format`)",
        }
    },
)
def exposure_report(
    context: ContextDep,
    registry: RegistryDep,
    session: SessionDep,
    streams: Annotated[
        list[str], Query(description="Stream ids, comma-separated or repeated", max_length=50)
    ],
    *,
    start: From = None,
    end: To = None,
    run: Annotated[str, Query(min_length=1, max_length=64)] = "live",
    compare: Annotated[
        str | None,
        Query(min_length=1, max_length=64, description="Another run to compare with, e.g. live"),
    ] = None,
    window: Annotated[
        float | None, Query(gt=0, le=1e9, description="Per-window sums, seconds")
    ] = None,
    format: Annotated[ReportFormat, Query()] = ReportFormat.JSON,
    table: Annotated[CsvTable, Query(description="CSV rows")] = CsvTable.BRANDS,
) -> ExposureReportDocument | Response:
    """Exposures of every brand on the streams in [from, to) of stream time: quality-weighted
    seconds, share of voice and media value per brand, per stream and (with `window`) per
    window; every counted exposure with its quality factors; methodology and versions. With
    `compare`, each brand's figures beside those of the other run (`table=comparison` as CSV)."""
    check_range(start, end)
    if compare == run:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "compare with another run")
    if table is CsvTable.COMPARISON and compare is None:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "table=comparison needs a run to compare"
        )
    request = ReportRequest(_stream_ids(streams), start or 0.0, end, run, window, compare)
    try:
        doc = build_report(session, registry, request, rules_from(context.settings))
    except MixedCurrencyError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    except ValueError as exc:  # too many windows
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    if format is ReportFormat.JSON:
        return doc
    name = f"exposure-report-{doc.generated_at:%Y%m%dT%H%M%S}"
    if format is ReportFormat.CSV:
        body = TABLES[table.value](doc)
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}-{table}.csv"'},
        )
    # fpdf and matplotlib cost ~1.8 CPU-s to import: only a PDF request pays it, not every start.
    from sightline_results_api.report.evidence import thumbnails_for  # noqa: PLC0415
    from sightline_results_api.report.pdf import render_pdf  # noqa: PLC0415

    bucket = context.settings.segments_bucket
    thumbs = thumbnails_for(session, context.store, bucket, top_exposures(doc))
    return Response(
        render_pdf(doc, thumbs),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
    )


@router.get(
    "/evidence/{event_id}/{item_index}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}, "description": "JPEG thumbnail"}},
)
def evidence(
    event_id: Annotated[str, Path(min_length=1, max_length=36)],
    item_index: Annotated[int, Path(ge=0, le=100_000)],
    context: ContextDep,
    session: SessionDep,
) -> Response:
    """The frame of a detection (an exposure's `best_event_id` / `best_item_index`) with the
    logo's box drawn: made from the stored segment on first request, then kept. 404 when the
    detection or its video is gone (erased, expired)."""
    # OpenCV is imported on the first thumbnail, not at app import (as the PDF renderer).
    from sightline_results_api.report.evidence import (  # noqa: PLC0415
        EvidenceUnavailableError,
        FrameDecodeError,
        thumbnail,
    )

    try:
        jpeg = thumbnail(
            session, context.store, context.settings.segments_bucket, event_id, item_index
        )
    except EvidenceUnavailableError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except FrameDecodeError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"video: {exc}") from exc
    return Response(
        jpeg, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"}
    )
