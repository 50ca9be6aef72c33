"""What the report reads from Postgres: measured exposures, detector versions, the library.

Sightings are merged into exposures and measured in Postgres (window functions over one index
range scan), so only one row per exposure reaches Python: a 1-hour stream with ~100k logo
detections is a few thousand rows (see `bench/report_exposure.py`).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy import func, text
from sqlmodel import Session, col, select

from sightline_results_api.models import DetectionRow, Logo
from sightline_results_api.report.exposures import Measured
from sightline_results_api.report.model import DetectorVersion, LogoLibraryVersion
from sightline_results_api.report.quality import EDGE

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


# Gaps and islands over the brand's sightings: one row per (stream, brand, frame) keeping the
# largest box; `others` counts the other brands in the frame; a sighting opens a new exposure
# when it starts more than :gap after the previous one's span ended; each exposure's measures
# are averaged over its sightings (sharpness over those that have one: older detectors did not
# measure it). EDGE and the 1e-6 slack match `quality.EDGE` / `EPSILON`.
_EXPOSURES = """
WITH s AS (
  SELECT DISTINCT ON (stream_id, label, media_ts)
    stream_id, label, media_ts, frame_span, confidence, event_id, item_index,
    CASE WHEN jsonb_typeof(attributes -> 'sharpness') = 'number'
      THEN (attributes ->> 'sharpness')::float END AS sharp,
    coalesce(box_x, 0) AS x, coalesce(box_y, 0) AS y,
    coalesce(box_w, 1) AS w, coalesce(box_h, 1) AS h
  FROM detections
  WHERE stream_id = ANY(:ids) AND run_id = :run AND kind = 'logo'
    AND media_ts >= :start AND media_ts < :end
  ORDER BY stream_id, label, media_ts, coalesce(box_w, 1) * coalesce(box_h, 1) DESC
), c AS (
  SELECT s.*,
    count(*) OVER (PARTITION BY stream_id, media_ts) - 1 AS others,
    CASE WHEN media_ts - lag(media_ts + frame_span) OVER brand > :gap + 1e-6
      THEN 1 ELSE 0 END AS opens
  FROM s WINDOW brand AS (PARTITION BY stream_id, label ORDER BY media_ts)
), g AS (
  SELECT c.*, sum(opens) OVER (PARTITION BY stream_id, label ORDER BY media_ts) AS island
  FROM c
)
SELECT stream_id, label, min(media_ts),
  (array_agg(media_ts + frame_span ORDER BY media_ts DESC))[1],
  count(*),
  avg(least(greatest(w * h, 0), 1)),
  avg(confidence),
  avg(sqrt(power(x + w / 2 - 0.5, 2) + power(y + h / 2 - 0.5, 2))),
  avg(CASE WHEN x > :edge AND y > :edge AND x + w < 1 - :edge AND y + h < 1 - :edge
      THEN 0 ELSE 1 END),
  avg(1.0 / (1 + others)),
  avg(sharp),
  (array_agg(ARRAY[event_id, item_index::text, media_ts::text, x::text, y::text, w::text,
                   h::text] ORDER BY w * h * confidence DESC, media_ts))[1:1]
FROM g GROUP BY stream_id, label, island
ORDER BY stream_id, label, min(media_ts)
"""


def exposures(
    session: Session,
    stream_ids: Sequence[str],
    run: str,
    start: float,
    end: float | None,
    *,
    gap_s: float,
) -> list[Measured]:
    """Every appearance of a brand on the streams in [start, end) of stream time (sightings
    at most `gap_s` apart merged), measured. A detection without a box (none is written so
    today) is taken as a whole-frame logo."""
    params = {
        "ids": list(stream_ids),
        "run": run,
        "start": start,
        "end": math.inf if end is None else end,
        "gap": gap_s,
        "edge": EDGE,
    }
    out = []
    for row in session.execute(text(_EXPOSURES), params):
        stream, brand, first, last, n, area, conf, dist, edge, solus, sharp, best = row
        [[event_id, item, ts, x, y, w, h]] = best
        out.append(
            Measured(
                stream_id=stream,
                brand=brand,
                start=first,
                end=last,
                sightings=n,
                mean_area=float(area),
                mean_confidence=float(conf),
                mean_centre_distance=float(dist),
                edge_share=float(edge),
                mean_solus=float(solus),
                mean_sharpness=None if sharp is None else float(sharp),
                best_event_id=event_id,
                best_item_index=int(item),
                best_media_ts=float(ts),
                best_box=(float(x), float(y), float(w), float(h)),
            )
        )
    return out


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
