"""Uploads spooled segments to object storage in sequence order and announces them.

Per segment: put the `.ts` (same key on every retry), put the stream's playlist, publish
SegmentReady (same event id on every retry) and wait for the broker, then mark it published
and drop the spool file. A crash anywhere in between redoes the same steps with the same
names. While storage is down, segments wait in the spool and nothing is published.

Before the first upload of a stream this state file has not seen before, storage is asked what
it already holds of the stream: after a lost or moved-aside state file, sequences continue
after the highest one stored instead of overwriting objects and reusing event ids. A spool file
that vanished is dead-lettered and skipped (the stream goes on); unreadable segments' bytes are
stored under the stream's `quarantine/` folder before their dead letter is sent.

The playlist leaves out the segments results-api removed (`removed.json`, see
`sightline_common.removed_segments`). A deleted stream's segments still spooled (its publish
was running when it was deleted) are dropped, and its playlist is not written again, so nothing
of it reappears in storage.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import structlog

from sightline_common.errors import MissingObjectError
from sightline_common.hls import (
    PLAYLIST_TYPE,
    PlaylistError,
    StoredSegment,
    parse_media_playlist,
)
from sightline_common.kafka import EventProducer
from sightline_common.media_layout import (
    playlist_key,
    segment_file_name,
    segment_object_key,
    sequence_of,
)
from sightline_common.messages import StreamStatus
from sightline_common.removed_segments import RemovedSegments, load_removed, render_kept
from sightline_common.storage import ObjectStore
from sightline_common.topics import Topic, TopicNames
from sightline_ingest import metrics
from sightline_ingest.delivery import deliver
from sightline_ingest.events import dead_segment_event, lifecycle_event, segment_ready
from sightline_ingest.spool import Spool
from sightline_ingest.state import (
    QuarantinedFile,
    SegmentRecord,
    StateStore,
    StoredEntry,
    StreamState,
)

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
        deleted: Callable[[str], bool] = lambda _stream_id: False,
        threads: int = 4,
    ) -> None:
        self._state = state
        self._spool = spool
        self._store = store
        # One producer per upload thread: a delivery failure is then seen by the thread whose
        # event failed, never by another one that would wrongly mark its segment published.
        # They are made now, not at a thread's first segment: an idempotent producer has its
        # producer id from the broker only ~0.5 s after it is made, and its first publish waits
        # for that (measured: 0.51 s for a producer made just before, 0.006 s a second later),
        # which made every first segment after a start half a second late.
        self._spare_producers: queue.SimpleQueue[EventProducer] = queue.SimpleQueue()
        for _ in range(threads):
            self._spare_producers.put(new_producer())
        self._local = threading.local()
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="upload")
        self._bucket = bucket
        self._topics = topics
        self._producer_id = producer_id
        self._stopping = stopping
        self._deleted = deleted
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
        for file in self._state.pending_quarantine():
            self._quarantine(file)
        done = sum(self._pool.map(self._upload, self._state.next_to_upload()))
        if not self._stopping.is_set():
            for stream in self._state.streams_to_finish():
                if self._deleted(stream.stream_id):
                    self._state.mark_finished(stream.stream_id, [])
                else:
                    self._finish(stream)
        return done

    def _producer(self) -> EventProducer:
        producer: EventProducer | None = getattr(self._local, "producer", None)
        if producer is None:
            producer = self._local.producer = self._spare_producers.get_nowait()
        return producer

    def _upload(self, record: SegmentRecord) -> bool:
        if self._stopping.is_set():
            return False
        if self._deleted(record.stream_id):
            self._drop_deleted(record)
            return False
        stream = self._state.stream(record.stream_id)
        if (
            stream is not None
            and not stream.origin_checked
            and self._adopted_stored(record.stream_id)
        ):
            return False  # renumbered: its segments go in the next pass
        try:
            data = self._spool.read(record.spool_name)
        except FileNotFoundError:
            self._skip_missing(record)
            return False
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

    def _adopted_stored(self, stream_id: str) -> bool:
        """Compare a stream new to this state file with what storage holds of it (see the
        module docstring). True when storage held some: the stream's segments were renumbered
        after them. A stream storage knows nothing of uploads its first segment in this same
        pass, not one pass interval later."""
        prefix = f"streams/{stream_id}/"
        stored = [
            seq
            for key in self._store.list_keys(self._bucket, prefix)
            if "/" not in key[len(prefix) :]
            and (seq := sequence_of(key[len(prefix) :])) is not None
        ]
        if not stored:
            self._state.mark_origin_checked(stream_id)
            return False
        entries: list[StoredEntry] = []
        try:
            text = self._store.get_bytes(self._bucket, playlist_key(stream_id)).decode()
            for listed in parse_media_playlist(text):
                seq = sequence_of(listed.name)
                if seq is not None:
                    entries.append(StoredEntry(seq, listed.duration, listed.discontinuity))
        except (MissingObjectError, PlaylistError, UnicodeDecodeError):
            log.warning("upload.stored_playlist_unreadable", stream_id=stream_id)
        highest = max(stored)
        self._state.adopt_stored(stream_id, entries, highest)
        log.warning(
            "upload.stream_continues_stored",
            stream_id=stream_id,
            stored_up_to=highest,
            reason="this state file did not know the stream; storage already holds segments",
        )
        return True

    def _drop_deleted(self, record: SegmentRecord) -> None:
        """The stream was deleted: its spooled segment goes, unannounced and not stored."""
        self._state.mark_lost(record.stream_id, record.seq)
        self._spool.remove(record.spool_name)
        log.info("upload.deleted_stream_dropped", stream_id=record.stream_id, sequence=record.seq)

    def _skip_missing(self, record: SegmentRecord) -> None:
        """The spooled file is gone (deleted by hand, a lost volume): dead-letter the segment,
        skip it, and let the stream carry on."""
        metrics.SPOOL_FILES_MISSING.inc()
        reason = f"spool file of segment {record.seq} is missing; segment skipped"
        event = dead_segment_event(
            self._topics,
            self._producer_id,
            stream_id=record.stream_id,
            fingerprint=record.fingerprint,
            file_name=record.spool_name,
            size_bytes=record.size_bytes,
            reason=reason,
            error_type="FileNotFoundError",
        )
        self._state.mark_lost(record.stream_id, record.seq, [event])
        log.error(
            "upload.spool_file_missing",
            stream_id=record.stream_id,
            sequence=record.seq,
            spool_name=record.spool_name,
        )

    def _quarantine(self, file: QuarantinedFile) -> None:
        """Store an unreadable segment's bytes for inspection, then send its dead letter."""
        try:
            data = self._spool.read(file.spool_name)
        except FileNotFoundError:
            log.exception("upload.quarantine_file_missing", stream_id=file.stream_id)
        else:
            self._store.put_bytes(self._bucket, file.object_key, data, SEGMENT_TYPE)
            metrics.SEGMENTS_QUARANTINED.inc()
        self._state.quarantine_stored(file)
        self._spool.remove(file.spool_name)
        log.warning(
            "upload.segment_quarantined", stream_id=file.stream_id, object_key=file.object_key
        )

    def _finish(self, stream: StreamState) -> None:
        """The stream stopped and everything is uploaded: store the VOD playlist, say stopped."""
        self._put_playlist(stream.stream_id, self._state.published(stream.stream_id), ended=True)
        event = lifecycle_event(
            self._topics,
            self._producer_id,
            stream_id=stream.stream_id,
            status=StreamStatus.stopped,
            source_kind=stream.source_kind,
            id_parts=self._state.id_parts(stream.sessions),
        )
        self._state.mark_finished(stream.stream_id, [event])
        log.info("upload.stream_finished", stream_id=stream.stream_id, segments=stream.next_seq)

    def _put_playlist(
        self, stream_id: str, records: list[SegmentRecord], *, ended: bool = False
    ) -> None:
        """Store the playlist of `records` less what results-api removed (retention, erasure,
        a full store), so playback of what is left keeps working."""
        try:
            removed = load_removed(self._store, self._bucket, stream_id)
        except ValueError:
            log.exception("upload.removed_marker_unreadable", stream_id=stream_id)
            removed = RemovedSegments()
        text = render_kept(
            [StoredSegment(segment_file_name(r.seq), r.duration, r.discontinuity) for r in records],
            removed,
            ended=ended,
        )
        self._store.put_bytes(self._bucket, playlist_key(stream_id), text.encode(), PLAYLIST_TYPE)
