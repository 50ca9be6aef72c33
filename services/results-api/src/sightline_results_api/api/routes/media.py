"""`/api/streams/{id}/playlist.m3u8` and its segments: HLS from object storage, proxied.

Proxying (rather than presigned storage URLs) keeps the browser on one origin with one CORS
policy and one auth, and keeps the storage endpoint private.
"""

from __future__ import annotations

import contextlib
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from sightline_common.hls import PLAYLIST_TYPE, PlaylistError
from sightline_common.media_layout import playlist_key
from sightline_common.removed_segments import load_removed
from sightline_results_api.api.deps import ContextDep, RegistryDep
from sightline_results_api.playlist import SEGMENT_NAME, rewrite_playlist, without_segments

router = APIRouter(prefix="/streams", tags=["media"])

SEGMENT_TYPE = "video/mp2t"


@router.get(
    "/{stream_id}/playlist.m3u8",
    response_class=Response,
    responses={200: {"content": {PLAYLIST_TYPE: {}}, "description": "HLS playlist"}},
)
def playlist(
    stream_id: str,
    request: Request,
    registry: RegistryDep,
    context: ContextDep,
) -> Response:
    """The stream's HLS playlist (live while it runs, VOD after), segments served below.

    Segments past the stream's video retention or in an erased range are not listed.
    """
    stream = registry.get(stream_id)
    bucket = context.settings.segments_bucket
    text = context.store.get_bytes(bucket, playlist_key(stream.id)).decode("utf-8", "replace")
    removed = load_removed(context.store, bucket, stream.id)
    if removed:
        with contextlib.suppress(PlaylistError):  # not a media playlist: served as stored
            text, _ = without_segments(text, removed)
    body = rewrite_playlist(text, request.query_params.get("access_token"))
    return Response(body, media_type=PLAYLIST_TYPE, headers={"Cache-Control": "no-cache"})


@router.get(
    "/{stream_id}/segments/{name}",
    response_class=Response,
    responses={200: {"content": {SEGMENT_TYPE: {}}, "description": "MPEG-TS segment"}},
)
def segment(
    stream_id: str,
    name: Annotated[str, Path(pattern=SEGMENT_NAME.pattern, description="e.g. 42.ts")],
    registry: RegistryDep,
    context: ContextDep,
) -> Response:
    """One stored segment of the stream (immutable once written); 404 once it expired or was
    erased (its object is deleted after the playlist stopped listing it).

    Cached by the browser only (`private`): a segment is behind a token, so a shared cache
    (a CDN, a corporate proxy) must never hand it to someone else.
    """
    stream = registry.get(stream_id)
    data = context.store.get_bytes(context.settings.segments_bucket, f"streams/{stream.id}/{name}")
    return Response(
        data, media_type=SEGMENT_TYPE, headers={"Cache-Control": "private, max-age=86400"}
    )
