"""What the report reads from Postgres: logo sightings, detector versions, the logo library.

One query per kind of fact; the sightings query returns only the columns the math needs, so a
1-hour stream with ~100k logo detections is read in one index range scan (see the bench).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, col, select

from sightline_results_api.models import DetectionRow, Logo
from sightline_results_api.report.exposures import Sighting, with_clutter
from sightline_results_api.report.model import DetectorVersion, LogoLibraryVersion

LOGO_KIND = "logo"


def _in_range(
    stream_ids: Sequence[str], run: str, start: float, end: float | None
) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = [
        col(DetectionRow.stream_id).in_(stream_ids),
        col(DetectionRow.run_id) == run,
        col(DetectionRow.kind) == LOGO_KIND,
        col(DetectionRow.media_ts) >= start,
    ]
    if end is not None:
        where.append(col(DetectionRow.media_ts) < end)
    return where


def sightings(
    session: Session,
    stream_ids: Sequence[str],
    run: str,
    start: float,
    end: float | None,
    *,
    clutter: bool = True,
) -> list[Sighting]:
    """Logo sightings of the streams in [start, end) of stream time, with clutter counted
    unless `clutter` is off (the caller counts it over all its reads).

    A detection without a box (none is written so today) is taken as a whole-frame logo.
    """
    # SQLAlchemy's own select: sqlmodel's is typed for at most four columns.
    query = sa.select(
        col(DetectionRow.stream_id),
        col(DetectionRow.label),
        col(DetectionRow.media_ts),
        col(DetectionRow.frame_span),
        col(DetectionRow.confidence),
        col(DetectionRow.box_x),
        col(DetectionRow.box_y),
        col(DetectionRow.box_w),
        col(DetectionRow.box_h),
        col(DetectionRow.event_id),
        col(DetectionRow.item_index),
    ).where(*_in_range(stream_ids, run, start, end))
    rows = session.execute(query).all()
    found = [
        Sighting(
            stream_id=stream,
            brand=label,
            media_ts=ts,
            span=span,
            confidence=conf,
            box_x=0.0 if x is None else x,
            box_y=0.0 if y is None else y,
            box_w=1.0 if w is None else w,
            box_h=1.0 if h is None else h,
            others=0,
            event_id=event_id,
            item_index=item_index,
        )
        for stream, label, ts, span, conf, x, y, w, h, event_id, item_index in rows
    ]
    return with_clutter(found) if clutter else found


def last_sighting(session: Session, stream_ids: Sequence[str], run: str) -> float | None:
    """Stream time of the streams' last logo sighting in the run (None: none)."""
    query = select(func.max(DetectionRow.media_ts)).where(
        col(DetectionRow.stream_id).in_(stream_ids),
        col(DetectionRow.run_id) == run,
        col(DetectionRow.kind) == LOGO_KIND,
    )
    last = session.exec(query).one()
    return None if last is None else float(last)


def detector_versions(
    session: Session, stream_ids: Sequence[str], run: str, start: float, end: float | None
) -> list[DetectorVersion]:
    """The detector builds (name, version, config) behind the sightings."""
    query = (
        select(DetectionRow.detector_name, DetectionRow.detector_version, DetectionRow.config_hash)
        .where(*_in_range(stream_ids, run, start, end))
        .distinct()
    )
    return sorted(
        (DetectorVersion(name=n, version=v, config_hash=c) for n, v, c in session.exec(query)),
        key=lambda d: (d.name, d.version, d.config_hash),
    )


def logo_library(session: Session) -> LogoLibraryVersion:
    """The logo library now: how many images and brands, and a hash over the images' hashes."""
    digests = sorted(session.exec(select(Logo.sha256)).all())
    brands = session.exec(select(func.count(func.distinct(Logo.brand)))).one()
    return LogoLibraryVersion(
        logos=len(digests),
        brands=int(brands),
        fingerprint=hashlib.sha256("".join(digests).encode()).hexdigest()[:16],
    )
