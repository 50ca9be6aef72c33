"""`/api/streams/{id}/snapshot`: a still of the stream's newest stored video (to draw zones on)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response, status

from sightline_results_api.api.deps import ContextDep, RegistryDep, SessionDep

router = APIRouter(prefix="/streams", tags=["media"])


@router.get(
    "/{stream_id}/snapshot",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {}}, "description": "JPEG, 480 px wide"},
        404: {"description": "No such stream, or no stored video yet"},
    },
)
def snapshot(
    stream_id: str, context: ContextDep, registry: RegistryDep, session: SessionDep
) -> Response:
    """The first frame of the stream's newest stored segment, as JPEG: the picture the
    dashboard's rule editor draws an alert zone on (zones are in normalised frame coordinates,
    so the still's size does not matter)."""
    # OpenCV is imported on the first still, not at app import (as the evidence thumbnails).
    from sightline_results_api.report.evidence import (  # noqa: PLC0415
        EvidenceUnavailableError,
        FrameDecodeError,
    )
    from sightline_results_api.snapshot import latest_frame  # noqa: PLC0415

    stream = registry.get(stream_id)
    try:
        jpeg = latest_frame(session, context.store, stream.id)
    except EvidenceUnavailableError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except FrameDecodeError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"video: {exc}") from exc
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "private, no-store"})
