"""`/api/streams/{id}/detections`: what detectors found, by media time, page by page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from sightline_common.messages import Box
from sightline_results_api.api.deps import RegistryDep, SessionDep
from sightline_results_api.api.schemas import DetectionPage, DetectionPublic, DetectorPublic
from sightline_results_api.cursor import decode_cursor, encode_cursor
from sightline_results_api.models import DetectionRow
from sightline_results_api.queries import DetectionFilter, detection_page

router = APIRouter(prefix="/streams", tags=["detections"])

From = Annotated[
    float | None, Query(alias="from", ge=0, le=1e9, description="Start, stream seconds")
]
To = Annotated[float | None, Query(alias="to", ge=0, le=1e9, description="End, stream seconds")]


def check_range(start: float | None, end: float | None) -> None:
    """422 when a time range is reversed."""
    if start is not None and end is not None and end < start:
        raise HTTPException(
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail="time range reversed: 'to' is before 'from'",
        )


def to_public(row: DetectionRow) -> DetectionPublic:
    """The API view of a detection row."""
    x, y, w, h = row.box_x, row.box_y, row.box_w, row.box_h
    box = None
    if x is not None and y is not None and w is not None and h is not None:
        box = Box(x=x, y=y, w=w, h=h)
    return DetectionPublic(
        event_id=row.event_id,
        item_index=row.item_index,
        run_id=row.run_id,
        detector=DetectorPublic(
            name=row.detector_name, version=row.detector_version, config_hash=row.config_hash
        ),
        executor=row.executor_kind,
        segment_sequence=row.segment_sequence,
        media_ts=row.media_ts,
        kind=row.kind,
        label=row.label,
        confidence=row.confidence,
        box=box,
        area_share=row.area_share,
        attributes=row.attributes,
    )


@router.get("/{stream_id}/detections")
def list_detections(
    stream_id: str,
    *,
    registry: RegistryDep,
    session: SessionDep,
    start: From = None,
    end: To = None,
    kind: Annotated[str | None, Query(max_length=64)] = None,
    label: Annotated[str | None, Query(max_length=200)] = None,
    run: Annotated[str, Query(min_length=1, max_length=64)] = "live",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> DetectionPage:
    """Detections with media time in [from, to), oldest first; follow `next_cursor` for more."""
    check_range(start, end)
    stream = registry.get(stream_id)
    after = decode_cursor(cursor) if cursor else None
    flt = DetectionFilter(stream.id, run, start, end, kind, label)
    rows, next_key = detection_page(session, flt, limit, after)
    return DetectionPage(
        items=[to_public(row) for row in rows],
        next_cursor=encode_cursor(next_key) if next_key else None,
    )
