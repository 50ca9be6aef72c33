"""`/api/reanalysis`: start, follow, cancel and compare re-runs of the detectors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status

from sightline_results_api.api.deps import ContextDep, SessionDep
from sightline_results_api.api.routes.detections import to_public as detection_public
from sightline_results_api.api.schemas import (
    BrandExposureDelta,
    DetectionChange,
    ReanalysisCreate,
    ReanalysisRunPublic,
    RunDiffPublic,
)
from sightline_results_api.models import ReanalysisRun
from sightline_results_api.reanalysis import (
    DIFF_ROW_LIMIT,
    LIVE_RUN,
    ReanalysisRuns,
    RunNotFoundError,
    RunProgress,
)
from sightline_results_api.run_diff import diff_runs, exposure_deltas

router = APIRouter(prefix="/reanalysis", tags=["reanalysis"])


def get_runs(session: SessionDep, context: ContextDep) -> ReanalysisRuns:
    """The reanalysis runs for this request."""
    return ReanalysisRuns(session, context.publisher)


RunsDep = Annotated[ReanalysisRuns, Depends(get_runs)]


def to_public(run: ReanalysisRun, progress: RunProgress) -> ReanalysisRunPublic:
    """The API view of a run."""
    return ReanalysisRunPublic.model_validate(
        {
            "run_id": run.run_id,
            "stream_id": run.stream_id,
            "from": run.from_ts,
            "to": run.to_ts,
            "detectors": run.detectors,
            "status": progress.status,
            "progress": progress.progress,
            "segments_total": progress.segments_total,
            "segments_done": progress.segments_done,
            "rate": progress.rate,
            "eta_s": progress.eta_s,
            "error": progress.error,
            "created_at": run.created_at,
        }
    )


@router.post("", status_code=status.HTTP_202_ACCEPTED)
def start_run(body: ReanalysisCreate, runs: RunsDep) -> ReanalysisRunPublic:
    """Ask the detectors to re-run over [from, to) of the stream; follow it with GET."""
    if body.end <= body.start:
        raise HTTPException(
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail="time range reversed or empty: 'to' must be after 'from'",
        )
    run = runs.start(body.stream_id, body.start, body.end, body.detectors, body.config)
    return to_public(*runs.get(run.run_id))


@router.get("")
def list_runs(
    stream_id: Annotated[str, Query(min_length=1, max_length=64)],
    runs: RunsDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ReanalysisRunPublic]:
    """A stream's reanalysis runs, newest first (the live run is `live` and not listed)."""
    return [to_public(run, progress) for run, progress in runs.of_stream(stream_id, limit)]


@router.get("/{run_id}")
def get_run(run_id: str, runs: RunsDep) -> ReanalysisRunPublic:
    """A run's status and progress (segments done of those stored in its range)."""
    return to_public(*runs.get(run_id))


@router.post("/{run_id}/cancel")
def cancel_run(run_id: str, runs: RunsDep) -> ReanalysisRunPublic:
    """Stop a run; what it produced so far stays."""
    return to_public(*runs.cancel(run_id))


@router.get("/{run_id}/diff")
def diff_run(
    run_id: str,
    runs: RunsDep,
    against: Annotated[str, Query(min_length=1, max_length=64)] = LIVE_RUN,
) -> RunDiffPublic:
    """Detections the run added, removed or changed relative to `against` (a run id or live)."""
    run, _ = runs.get(run_id)
    if against != LIVE_RUN and runs.get(against)[0].stream_id != run.stream_id:
        raise RunNotFoundError(against)
    mine, theirs = runs.detections(run, run.run_id), runs.detections(run, against)
    diff = diff_runs(mine, theirs)
    return RunDiffPublic(
        run_id=run.run_id,
        against=against,
        added=[detection_public(row) for row in diff.added],
        removed=[detection_public(row) for row in diff.removed],
        changed=[
            DetectionChange(before=detection_public(a), after=detection_public(b))
            for a, b in diff.changed
        ],
        exposure=[
            BrandExposureDelta(
                brand=brand, screen_time=seconds, against_screen_time=before, delta=delta
            )
            for brand, seconds, before, delta in exposure_deltas(
                runs.screen_time(run, run.run_id), runs.screen_time(run, against)
            )
        ],
        truncated=DIFF_ROW_LIMIT in (len(mine), len(theirs)),
    )
