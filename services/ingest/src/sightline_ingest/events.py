"""The events ingest publishes, built as outbox entries or envelopes with stable event ids.

Every id is derived from what the event is about (stream, publish number, sequence), so an
event produced again after a crash carries the same id and consumers deduplicate it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime

from sightline_common.envelope import deterministic_event_id, encode, wrap
from sightline_common.media_layout import playlist_key, segment_object_key
from sightline_common.messages import (
    DeadLetter,
    Envelope,
    SegmentReady,
    SourceKind,
    StreamLifecycle,
    StreamStatus,
)
from sightline_common.topics import Topic, TopicNames
from sightline_ingest.state import OutboxEvent, SegmentRecord

CONSUMER_GROUP = "ingest"


def lifecycle_event(
    topics: TopicNames,
    producer: str,
    *,
    stream_id: str,
    status: StreamStatus,
    source_kind: str,
    id_parts: tuple[object, ...],
    discontinuity: bool = False,
    reason: str | None = None,
    attempt: int | None = None,
    retry_at: datetime | None = None,
) -> OutboxEvent:
    """A `stream.lifecycle` event for the outbox, its id derived from `id_parts`."""
    payload = StreamLifecycle(
        stream_id=stream_id,
        status=status,
        source_kind=SourceKind(source_kind),
        reason=reason,
        discontinuity=discontinuity,
        attempt=attempt,
        retry_at=retry_at,
    )
    envelope = wrap(
        payload,
        key=stream_id,
        producer=producer,
        event_id=deterministic_event_id("lifecycle", stream_id, status.value, *id_parts),
    )
    return OutboxEvent(topics.name(Topic.STREAMS), stream_id, encode(envelope))


def segment_ready(bucket: str, record: SegmentRecord, producer: str) -> Envelope:
    """The SegmentReady envelope of a stored segment (same id on every retry)."""
    payload = SegmentReady(
        stream_id=record.stream_id,
        sequence=record.seq,
        bucket=bucket,
        object_key=segment_object_key(record.stream_id, record.seq),
        playlist_key=playlist_key(record.stream_id),
        media_start=round(record.media_start, 6),
        duration=record.duration,
        wall_clock=datetime.fromtimestamp(record.wall_clock, UTC),
        size_bytes=record.size_bytes,
        sha256=record.sha256,
        width=record.width,
        height=record.height,
        codec=record.codec,
        discontinuity=record.discontinuity,
    )
    return wrap(
        payload,
        key=record.stream_id,
        producer=producer,
        event_id=deterministic_event_id("segment", record.stream_id, record.seq),
    )


def dead_segment_event(
    topics: TopicNames,
    producer: str,
    *,
    stream_id: str,
    fingerprint: str,
    file_name: str,
    size_bytes: int,
    reason: str,
    error_type: str,
    kept_at: tuple[str, str] | None = None,
) -> OutboxEvent:
    """A dead letter on `segments.dlq` for a segment file that cannot be read.

    The original "message" is a small JSON description of the file, never the video bytes;
    `kept_at` (bucket, key) says where its bytes are kept, also named in the reason.
    """
    segments = topics.name(Topic.SEGMENTS)
    description: dict[str, object] = {
        "stream_id": stream_id, "file": file_name, "size_bytes": size_bytes,
    }  # fmt: skip
    if kept_at is not None:
        description["quarantine"] = {"bucket": kept_at[0], "key": kept_at[1]}
        reason = f"{reason} (bytes kept at s3://{kept_at[0]}/{kept_at[1]})"
    original = json.dumps(description).encode()
    payload = DeadLetter(
        source_topic=segments,
        partition=0,
        offset=0,
        consumer_group=CONSUMER_GROUP,
        original_key=stream_id,
        reason=reason[:2000],
        error_type=error_type,
        original_b64=base64.b64encode(original).decode(),
        original_size=len(original),
        original_sha256=hashlib.sha256(original).hexdigest(),
        original_truncated=False,
        event_id=None,
    )
    envelope = wrap(
        payload,
        key=stream_id,
        producer=producer,
        event_id=deterministic_event_id("segment-dead", stream_id, fingerprint),
    )
    return OutboxEvent(topics.dlq(segments), stream_id, encode(envelope))
