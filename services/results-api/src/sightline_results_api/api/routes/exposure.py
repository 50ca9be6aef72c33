"""`/api/streams/{id}/exposure`: per-brand screen time, share of voice and prominence."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from sightline_results_api.api.deps import RegistryDep, SessionDep
from sightline_results_api.api.routes.detections import From, To, check_range
from sightline_results_api.api.schemas import (
    BrandExposurePublic,
    ExposureReport,
    ExposureWindowPublic,
    StreamedExposureWindow,
)
from sightline_results_api.exposure import BrandExposure, summarize, windows
from sightline_results_api.queries import exposure_frames, streamed_windows

router = APIRouter(prefix="/streams", tags=["exposure"])

MAX_WINDOWS = 10_000


def _public(brands: list[BrandExposure]) -> list[BrandExposurePublic]:
    return [BrandExposurePublic(**vars(b)) for b in brands]


@router.get("/{stream_id}/exposure")
def stream_exposure(
    stream_id: str,
    *,
    registry: RegistryDep,
    session: SessionDep,
    start: From = None,
    end: To = None,
    window: Annotated[
        float | None, Query(gt=0, le=1e9, description="Window length, seconds")
    ] = None,
    run: Annotated[str, Query(min_length=1, max_length=64)] = "live",
) -> ExposureReport:
    """Brand exposure from logo detections in [from, to): totals, and per window if given.

    Without `to`, the range ends after the last logo seen.
    """
    check_range(start, end)
    stream = registry.get(stream_id)
    lower = start or 0.0
    frames = exposure_frames(session, stream.id, run, lower, end)
    upper = end if end is not None else max((f.media_ts + f.span for f in frames), default=lower)
    per_window = []
    if window is not None:
        if math.ceil((upper - lower) / window) > MAX_WINDOWS:
            raise HTTPException(
                status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
                detail=f"window too small: more than {MAX_WINDOWS} windows in the range",
            )
        per_window = [
            ExposureWindowPublic(start=w.start, end=w.end, brands=_public(w.brands))
            for w in windows(frames, lower, upper, window)
        ]
    return ExposureReport(
        stream_id=stream.id,
        run=run,
        start=lower,
        end=upper,
        window=window,
        totals=_public(summarize(frames)),
        windows=per_window,
    )


@router.get("/{stream_id}/exposure/windows")
def streamed_exposure(
    stream_id: str,
    registry: RegistryDep,
    session: SessionDep,
    *,
    start: From = None,
    end: To = None,
    run: Annotated[str, Query(min_length=1, max_length=64)] = "live",
) -> list[StreamedExposureWindow]:
    """The exposure stream processor's fixed windows overlapping [from, to), as last updated
    (the same figures the notifier pushes live)."""
    check_range(start, end)
    stream = registry.get(stream_id)
    return [
        StreamedExposureWindow(
            start=row.window_start,
            end=row.window_end,
            detections=row.detections,
            brands=[BrandExposurePublic.model_validate(brand) for brand in row.brands],
        )
        for row in streamed_windows(session, stream.id, run, start, end)
    ]
