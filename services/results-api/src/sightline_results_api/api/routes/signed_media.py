"""`/api/hls/streams/{id}/playlist.m3u8` and its segments at signed URLs, with no token, for
video players (see `playback_urls`). Each request must carry `exp` and `sig` for
its own path; the playlist signs the segments it lists, each with a fresh expiry, so a segment
listed just before the playlist URL expires can still be fetched."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status

from sightline_common.hls import PLAYLIST_TYPE
from sightline_results_api.api.deps import ContextDep, RegistryDep
from sightline_results_api.api.routes.media import (
    SEGMENT_TYPE,
    SIGNED_PREFIX,
    SignerDep,
    segment_response,
)
from sightline_results_api.playlist import SEGMENT_NAME, rewrite_playlist, stored_playlist

Expiry = Annotated[str | None, Query(alias="exp", description="unix seconds")]
Signature = Annotated[str | None, Query(alias="sig", description="from /playback")]


def require_signature(
    request: Request, signer: SignerDep, exp: Expiry = None, sig: Signature = None
) -> None:
    """403 unless the URL carries this server's unexpired signature of its own path (checked
    before the stream is looked up, so an unsigned caller learns nothing about ids)."""
    if not signer.verify(request.url.path, exp, sig):
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN,
            detail="missing, invalid or expired playback signature",
        )


router = APIRouter(prefix=SIGNED_PREFIX, tags=["media"], dependencies=[Depends(require_signature)])


@router.get(
    "/{stream_id}/playlist.m3u8",
    response_class=Response,
    responses={200: {"content": {PLAYLIST_TYPE: {}}, "description": "HLS playlist"}},
)
def signed_playlist(
    stream_id: str, registry: RegistryDep, context: ContextDep, signer: SignerDep
) -> Response:
    """The stream's HLS playlist at a signed URL from `/api/streams/{id}/playback`."""
    stream = registry.get(stream_id)
    text = stored_playlist(context.store, context.settings.segments_bucket, stream.id)
    expires = signer.expiry()
    body = rewrite_playlist(
        text, lambda name: signer.query(f"{SIGNED_PREFIX}/{stream.id}/segments/{name}", expires)
    )
    return Response(body, media_type=PLAYLIST_TYPE, headers={"Cache-Control": "private, no-cache"})


@router.get(
    "/{stream_id}/segments/{name}",
    response_class=Response,
    responses={200: {"content": {SEGMENT_TYPE: {}}, "description": "MPEG-TS segment"}},
)
def signed_segment(
    stream_id: str,
    name: Annotated[str, Path(pattern=SEGMENT_NAME.pattern, description="e.g. 42.ts")],
    registry: RegistryDep,
    context: ContextDep,
) -> Response:
    """One segment at the signed URL its playlist listed."""
    stream = registry.get(stream_id)
    return segment_response(context, stream.id, name)
