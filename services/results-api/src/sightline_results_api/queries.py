"""Read queries over the materialized tables: detections pages and exposure frames."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, tuple_
from sqlmodel import Session, col, select

from sightline_results_api.cursor import DetectionKey
from sightline_results_api.exposure import BrandFrame
from sightline_results_api.models import DetectionRow, ExposureWindowRow

LOGO_KIND = "logo"


@dataclass(frozen=True)
class DetectionFilter:
    """Which detections of a stream to list: run, media-time range [start, end), kind, label."""

    stream_id: str
    run_id: str = "live"
    start: float | None = None
    end: float | None = None
    kind: str | None = None
    label: str | None = None


def detection_page(
    session: Session, flt: DetectionFilter, limit: int, after: DetectionKey | None
) -> tuple[Sequence[DetectionRow], DetectionKey | None]:
    """Up to `limit` detections in media-time order after `after`, and the key to resume at
    (None on the last page). Keyset pagination: each page is one index range scan."""
    query = select(DetectionRow).where(
        DetectionRow.stream_id == flt.stream_id, DetectionRow.run_id == flt.run_id
    )
    if flt.start is not None:
        query = query.where(col(DetectionRow.media_ts) >= flt.start)
    if flt.end is not None:
        query = query.where(col(DetectionRow.media_ts) < flt.end)
    if flt.kind is not None:
        query = query.where(DetectionRow.kind == flt.kind)
    if flt.label is not None:
        query = query.where(DetectionRow.label == flt.label)
    sort = (col(DetectionRow.media_ts), col(DetectionRow.event_id), col(DetectionRow.item_index))
    if after is not None:
        query = query.where(
            tuple_(*sort) > tuple_(after.media_ts, after.event_id, after.item_index)
        )
    rows = session.exec(query.order_by(*sort).limit(limit + 1)).all()
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], DetectionKey(last.media_ts, last.event_id, last.item_index)


def exposure_frames(
    session: Session, stream_id: str, run_id: str, start: float, end: float | None
) -> list[BrandFrame]:
    """One BrandFrame per (brand, sampled frame) with a logo detection in [start, end).

    Several detections of one brand in one frame count once, with the largest area.
    """
    query = select(
        DetectionRow.label,
        DetectionRow.media_ts,
        func.max(DetectionRow.frame_span),
        func.max(DetectionRow.area_share),
    ).where(
        DetectionRow.stream_id == stream_id,
        DetectionRow.run_id == run_id,
        DetectionRow.kind == LOGO_KIND,
        col(DetectionRow.media_ts) >= start,
    )
    if end is not None:
        query = query.where(col(DetectionRow.media_ts) < end)
    query = query.group_by(col(DetectionRow.label), col(DetectionRow.media_ts))
    return [
        BrandFrame(brand=label, media_ts=ts, span=span, area_share=area)
        for label, ts, span, area in session.exec(query).all()
    ]


def streamed_windows(
    session: Session, stream_id: str, run_id: str, start: float | None, end: float | None
) -> Sequence[ExposureWindowRow]:
    """The exposure processor's windows of a stream and run overlapping [start, end)."""
    query = select(ExposureWindowRow).where(
        ExposureWindowRow.stream_id == stream_id, ExposureWindowRow.run_id == run_id
    )
    if start is not None:
        query = query.where(col(ExposureWindowRow.window_end) > start)
    if end is not None:
        query = query.where(col(ExposureWindowRow.window_start) < end)
    return session.exec(query.order_by(col(ExposureWindowRow.window_start))).all()
