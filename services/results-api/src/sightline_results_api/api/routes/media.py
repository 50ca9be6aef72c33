"""HLS from object storage, proxied: `/api/streams/{id}/playlist.m3u8` and its segments for
clients that send the API token in `Authorization`, and `/api/streams/{id}/playback`, the
signed URL a video player uses instead (served by `signed_media`).

Proxying (rather than presigned storage URLs) keeps the browser on one origin with one CORS
policy and one auth, and keeps the storage endpoint private.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, Field

from sightline_common.hls import PLAYLIST_TYPE
from sightline_results_api.api.deps import ContextDep, RegistryDep
from sightline_results_api.playback_urls import PlaybackSigner
from sightline_results_api.playlist import SEGMENT_NAME, rewrite_playlist, stored_playlist

router = APIRouter(prefix="/streams", tags=["media"])

SEGMENT_TYPE = "video/mp2t"
# Where `signed_media` serves the signed playlist and segments: under /api so that every proxy
# in front of the API (dashboard nginx, ingress) routes them, but outside the token check.
SIGNED_PREFIX = "/api/hls/streams"


def get_signer(context: ContextDep) -> PlaybackSigner:
    """The playback URL signer (its key was checked when the API started)."""
    settings = context.settings
    return PlaybackSigner(settings.playback_key(), settings.playback_url_ttl_s)


SignerDep = Annotated[PlaybackSigner, Depends(get_signer)]


class PlaybackUrl(BaseModel):
    """Where a video player loads the stream's HLS without an API token."""

    playlist_url: str = Field(
        description="Path (from the API's base URL) of the signed playlist; its segments are "
        "signed in it. Ask again before `expires_at` to keep playing."
    )
    expires_at: datetime


@router.get("/{stream_id}/playback")
def playback(stream_id: str, registry: RegistryDep, signer: SignerDep) -> PlaybackUrl:
    """A short-lived signed URL of the stream's HLS playlist, for players that cannot send the
    token in a header (a URL with the API token in it would end up in logs and history)."""
    stream = registry.get(stream_id)
    path = f"{SIGNED_PREFIX}/{stream.id}/playlist.m3u8"
    expires = signer.expiry()
    return PlaybackUrl(
        playlist_url=f"{path}?{signer.query(path, expires)}",
        expires_at=datetime.fromtimestamp(expires, UTC),
    )


@router.get(
    "/{stream_id}/playlist.m3u8",
    response_class=Response,
    responses={200: {"content": {PLAYLIST_TYPE: {}}, "description": "HLS playlist"}},
)
def playlist(stream_id: str, registry: RegistryDep, context: ContextDep) -> Response:
    """The stream's HLS playlist (live while it runs, VOD after), segments served below.

    Segments past the stream's video retention or in an erased range are not listed.
    """
    stream = registry.get(stream_id)
    text = stored_playlist(context.store, context.settings.segments_bucket, stream.id)
    return Response(
        rewrite_playlist(text),
        media_type=PLAYLIST_TYPE,
        headers={"Cache-Control": "private, no-cache"},
    )


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
    return segment_response(context, stream.id, name)


def segment_response(context: ContextDep, stream_id: str, name: str) -> Response:
    """A stored segment's bytes, cached by the browser only."""
    data = context.store.get_bytes(context.settings.segments_bucket, f"streams/{stream_id}/{name}")
    return Response(
        data, media_type=SEGMENT_TYPE, headers={"Cache-Control": "private, max-age=86400"}
    )
