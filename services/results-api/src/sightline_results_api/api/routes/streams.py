"""`/api/streams`: register, list, read, change and delete streams."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from sightline_common.messages import AnalysisPolicy, Source, SourceKind
from sightline_results_api.api.deps import ContextDep, RegistryDep
from sightline_results_api.api.schemas import (
    StreamCreate,
    StreamCreated,
    StreamPublic,
    StreamUpdate,
)
from sightline_results_api.models import Stream
from sightline_results_api.streams import LiveStatus, StreamChanges

router = APIRouter(prefix="/streams", tags=["streams"])


def to_public(stream: Stream, live: LiveStatus, rtmp_url: str) -> StreamPublic:
    """The API view of a stream row."""
    return StreamPublic(
        id=stream.id,
        name=stream.name,
        source=Source(
            kind=SourceKind(stream.source_kind), uri=stream.source_uri, loop=stream.source_loop
        ),
        policy=AnalysisPolicy.model_validate(stream.policy),
        enabled=stream.enabled,
        status=live,
        rtmp_url=rtmp_url,
        playlist_url=f"/api/streams/{stream.id}/playlist.m3u8",
        created_at=stream.created_at,
        updated_at=stream.updated_at,
    )


def _with_key(public: StreamPublic, key: str) -> StreamCreated:
    """The stream's view with its key and publish URL, the one time the key is shown."""
    return StreamCreated(
        **public.model_dump(), stream_key=key, publish_url=f"{public.rtmp_url.rstrip('/')}/{key}"
    )


@router.post("", status_code=status.HTTP_201_CREATED)
def create_stream(body: StreamCreate, registry: RegistryDep, context: ContextDep) -> StreamCreated:
    """Register a stream and publish its configuration; the key is in this response only."""
    stream, key = registry.create(body.name, body.source, body.policy)
    return _with_key(to_public(stream, LiveStatus.idle, context.settings.rtmp_url), key)


@router.get("")
def list_streams(registry: RegistryDep, context: ContextDep) -> list[StreamPublic]:
    """Every stream with its live status."""
    streams = registry.list()
    statuses = registry.statuses([s.id for s in streams])
    return [to_public(s, statuses[s.id], context.settings.rtmp_url) for s in streams]


@router.get("/{stream_id}")
def get_stream(stream_id: str, registry: RegistryDep, context: ContextDep) -> StreamPublic:
    """One stream with its live status."""
    stream = registry.get(stream_id)
    live = registry.statuses([stream.id])[stream.id]
    return to_public(stream, live, context.settings.rtmp_url)


@router.patch("/{stream_id}")
def update_stream(
    stream_id: str, body: StreamUpdate, registry: RegistryDep, context: ContextDep
) -> StreamPublic:
    """Change a stream's name, source, policy or enabled flag and publish the new config."""
    changes = StreamChanges(
        name=body.name, source=body.source, policy=body.policy, enabled=body.enabled
    )
    stream = registry.update(stream_id, changes)
    live = registry.statuses([stream.id])[stream.id]
    return to_public(stream, live, context.settings.rtmp_url)


@router.post("/{stream_id}/key")
def rotate_stream_key(stream_id: str, registry: RegistryDep, context: ContextDep) -> StreamCreated:
    """Replace the stream's key (shown in this response only); the old key is refused from
    the next publish on."""
    stream, key = registry.rotate_key(stream_id)
    live = registry.statuses([stream.id])[stream.id]
    return _with_key(to_public(stream, live, context.settings.rtmp_url), key)


@router.delete("/{stream_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_stream(stream_id: str, registry: RegistryDep) -> Response:
    """Delete a stream; ingest stops accepting its key. Its stored detections are kept."""
    registry.delete(stream_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
