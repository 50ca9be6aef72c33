"""Uploads spooled segments to object storage in sequence order and announces them.

Per segment: put the `.ts` (same key on every retry), put the stream's playlist, publish
SegmentReady (same event id on every retry) and wait for the broker, then mark it published
and drop the spool file. A crash anywhere in between redoes the same steps with the same
names. While storage is down, segments wait in the spool and nothing is published.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import structlog

from sightline_common.hls import PLAYLIST_TYPE, StoredSegment, render_playlist
from sightline_common.kafka import EventProducer
from sightline_common.media_layout import playlist_key, segment_file_name, segment_object_key
from sightline_common.messages import StreamStatus
from sightline_common.storage import ObjectStore
from sightline_common.topics import Topic, TopicNames
from sightline_ingest import metrics
from sightline_ingest.delivery import deliver
from sightline_ingest.events import lifecycle_event, segment_ready
from sightline_ingest.spool import Spool
from sightline_ingest.state import SegmentRecord, StateStore, StreamState

log = structlog.get_logger(__name__)

SEGMENT_TYPE = "video/mp2t"


class SegmentUploader:
    """One pass (`upload_once`) uploads the next segment of every stream; driven by a loop."""

    def __init__(
        self,
        *,
        state: StateStore,
        spool: Spool,
        store: ObjectStore,
        new_producer: Callable[[], EventProducer],
        bucket: str,
        topics: TopicNames,
        producer_id: str,
        stopping: threading.Event,
        threads: int = 4,
    ) -> None:
        self._state = state
        self._spool = spool
        self._store = store
        self._new_producer = new_producer
        # One producer per upload thread: a delivery failure is then seen by the thread whose
        # event failed, never by another one that would wrongly mark its segment published.
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="upload")
        self._bucket = bucket
        self._topics = topics
        self._producer_id = producer_id
        self._stopping = stopping
        self._bucket_checked = False

    def upload_once(self) -> int:
        """Upload the lowest spooled segment of each stream (streams in parallel, each in
        sequence order), then end finished streams.

        Returns how many segments were published. Raises `StorageUnavailableError` when
        storage does not answer (the caller backs off; the spool keeps everything).
        """
        if not self._bucket_checked:
            self._store.ensure_bucket(self._bucket)
            self._bucket_checked = True
        done = sum(self._pool.map(self._upload, self._state.next_to_upload()))
        if not self._stopping.is_set():
            for stream in self._state.streams_to_finish():
                self._finish(stream)
        return done

    def _producer(self) -> EventProducer:
        producer: EventProducer | None = getattr(self._local, "producer", None)
        if producer is None:
            producer = self._local.producer = self._new_producer()
        return producer

    def _upload(self, record: SegmentRecord) -> bool:
        if self._stopping.is_set():
            return False
        try:
            data = self._spool.read(record.spool_name)
        except FileNotFoundError:
            log.exception(
                "upload.spool_file_missing", stream_id=record.stream_id, sequence=record.seq
            )
            raise
        key = segment_object_key(record.stream_id, record.seq)
        self._store.put_bytes(self._bucket, key, data, SEGMENT_TYPE)
        self._put_playlist(record.stream_id, [*self._state.published(record.stream_id), record])
        envelope = segment_ready(self._bucket, record, self._producer_id)
        segments_topic = self._topics.name(Topic.SEGMENTS)
        producer = self._producer()
        if not deliver(
            producer, lambda: producer.publish(segments_topic, envelope), self._stopping
        ):
            return False
        self._state.mark_published(record.stream_id, record.seq)
        self._spool.remove(record.spool_name)
        metrics.SEGMENTS_READY.inc()
        metrics.READY_SECONDS.observe(max(time.time() - record.wall_clock, 0.0))
        log.info(
            "upload.segment_ready",
            stream_id=record.stream_id,
            sequence=record.seq,
            object_key=key,
            event_id=str(envelope.event_id),
        )
        return True

    def _finish(self, stream: StreamState) -> None:
        """The stream stopped and everything is uploaded: store the VOD playlist, say stopped."""
        self._put_playlist(stream.stream_id, self._state.published(stream.stream_id), ended=True)
        event = lifecycle_event(
            self._topics,
            self._producer_id,
            stream_id=stream.stream_id,
            status=StreamStatus.stopped,
            source_kind=stream.source_kind,
            id_parts=(stream.sessions,),
        )
        self._state.mark_finished(stream.stream_id, [event])
        log.info("upload.stream_finished", stream_id=stream.stream_id, segments=stream.next_seq)

    def _put_playlist(
        self, stream_id: str, records: list[SegmentRecord], *, ended: bool = False
    ) -> None:
        text = render_playlist(
            [StoredSegment(segment_file_name(r.seq), r.duration, r.discontinuity) for r in records],
            ended=ended,
        )
        self._store.put_bytes(self._bucket, playlist_key(stream_id), text.encode(), PLAYLIST_TYPE)
