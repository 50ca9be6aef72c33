"""`/api/streams`: register, list, read, change and delete streams."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, status

from sightline_common.messages import AnalysisPolicy, Source, SourceKind
from sightline_results_api.api.deps import ContextDep, DeletionsDep, RegistryDep
from sightline_results_api.api.routes.deletions import to_public as job_public
from sightline_results_api.api.schemas import (
    DeletionJobPublic,
    RangeErase,
    Retention,
    StreamAnalysis,
    StreamCreate,
    StreamCreated,
    StreamPublic,
    StreamUpdate,
)
from sightline_results_api.models import Stream
from sightline_results_api.settings import ResultsApiSettings
from sightline_results_api.streams import LiveState, LiveStatus, RetentionChange, StreamChanges

router = APIRouter(prefix="/streams", tags=["streams"])


def to_public(
    stream: Stream, live: LiveState | LiveStatus, settings: ResultsApiSettings
) -> StreamPublic:
    """The API view of a stream row."""
    if isinstance(live, LiveStatus):
        live = LiveState(live)
    video, results = stream.video_retention_s, stream.results_retention_s
    return StreamPublic(
        id=stream.id,
        name=stream.name,
        source=Source(
            kind=SourceKind(stream.source_kind), uri=stream.source_uri, loop=stream.source_loop
        ),
        policy=AnalysisPolicy.model_validate(stream.policy),
        enabled=stream.enabled,
        status=live.status,
        status_reason=live.reason,
        analysis=StreamAnalysis(**asdict(live.analysis)) if live.analysis else None,
        rtmp_url=settings.rtmp_url,
        playlist_url=f"/api/streams/{stream.id}/playlist.m3u8",
        retention=Retention(video_s=video, results_s=results),
        effective_retention=Retention(
            video_s=settings.video_retention_s if video is None else video,
            results_s=settings.results_retention_s if results is None else results,
        ),
        video_kept_from=stream.video_kept_from,
        archived_at=stream.archived_at,
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
    return _with_key(to_public(stream, LiveStatus.idle, context.settings), key)


@router.get("")
def list_streams(
    registry: RegistryDep,
    context: ContextDep,
    *,
    archived: Annotated[
        bool, Query(description="include archived streams (on-air ones are always listed)")
    ] = False,
    name: Annotated[
        str | None, Query(max_length=200, description="only names containing this, any case")
    ] = None,
) -> list[StreamPublic]:
    """Streams with their live status, oldest first."""
    streams = registry.list(include_archived=archived, name=name)
    statuses = registry.statuses([s.id for s in streams])
    return [to_public(s, statuses[s.id], context.settings) for s in streams]


@router.get("/{stream_id}")
def get_stream(stream_id: str, registry: RegistryDep, context: ContextDep) -> StreamPublic:
    """One stream with its live status."""
    stream = registry.get(stream_id)
    live = registry.statuses([stream.id])[stream.id]
    return to_public(stream, live, context.settings)


@router.patch("/{stream_id}")
def update_stream(
    stream_id: str, body: StreamUpdate, registry: RegistryDep, context: ContextDep
) -> StreamPublic:
    """Change a stream's name, source, policy or enabled flag and publish the new config."""
    retention = (
        None
        if body.retention is None
        else RetentionChange(video_s=body.retention.video_s, results_s=body.retention.results_s)
    )
    changes = StreamChanges(
        name=body.name,
        source=body.source,
        policy=body.policy,
        enabled=body.enabled,
        retention=retention,
        archived=body.archived,
    )
    stream = registry.update(stream_id, changes)
    live = registry.statuses([stream.id])[stream.id]
    return to_public(stream, live, context.settings)


@router.post("/{stream_id}/key")
def rotate_stream_key(stream_id: str, registry: RegistryDep, context: ContextDep) -> StreamCreated:
    """Replace the stream's key (shown in this response only); the old key is refused from
    the next publish on."""
    stream, key = registry.rotate_key(stream_id)
    live = registry.statuses([stream.id])[stream.id]
    return _with_key(to_public(stream, live, context.settings), key)


@router.delete("/{stream_id}", status_code=status.HTTP_202_ACCEPTED)
def delete_stream(
    stream_id: str, deletions: DeletionsDep, context: ContextDep
) -> DeletionJobPublic:
    """Delete the stream everywhere: a durable job (follow it at `/api/deletions/{id}`).

    At once the stream answers 404 and ingest refuses its key; the job then removes its objects
    (segments, playlist), every row of it in every table, and tombstones its `stream-config`
    key. Asking again returns the same job.
    """
    job = deletions.delete_stream(stream_id)
    context.wake_storage()
    return job_public(job)


@router.post("/{stream_id}/erase", status_code=status.HTTP_202_ACCEPTED)
def erase_range(
    stream_id: str, body: RangeErase, deletions: DeletionsDep, context: ContextDep
) -> DeletionJobPublic:
    """Erase a range of the stream, keeping the stream: every stored segment overlapping it
    (objects, playlist lines, rows) and every result of those segments. 404 when nothing is
    stored there."""
    media = None if body.start is None or body.end is None else (body.start, body.end)
    wall = (
        None if body.wall_from is None or body.wall_to is None else (body.wall_from, body.wall_to)
    )
    job = deletions.erase_range(stream_id, media=media, wall=wall)
    context.wake_storage()
    return job_public(job)
