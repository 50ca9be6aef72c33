"""The newest segment published for each stream, read from the tail of the segments topic.

Live shedding skips a stale segment only when a newer segment of the same stream is actually
waiting: skipping the last segment a stream published (its publisher stopped, or a short
hiccup delayed it) buys no freshness, it only delays that segment's results to a backfill.
The detector's own consumer cannot tell (it reads one record at a time, and a partition holds
many streams), so this follower reads every partition of `segments` outside the consumer group
(nothing committed), from `lookback_s` before it started, keeping per stream the highest
sequence published. Its records are a few hundred bytes every segment duration per stream.
"""

from __future__ import annotations

import threading
import time
import uuid

import structlog
from confluent_kafka import OFFSET_END, Consumer, KafkaException, TopicPartition
from confluent_kafka import Message as KafkaMessage

from sightline_common.envelope import decode
from sightline_common.errors import PermanentError
from sightline_common.kafka.security import client_security
from sightline_common.messages import SegmentReady

log = structlog.get_logger(__name__)

_TIMEOUT_S = 10.0


class NewestSegments:
    """A daemon thread following `topic`; `newer_than` answers from what it has read."""

    def __init__(
        self, bootstrap: str, topic: str, client_id: str, lookback_s: float = 300.0
    ) -> None:
        self._consumer = Consumer(
            {
                **client_security(),
                "bootstrap.servers": bootstrap,
                "group.id": f"{client_id}-newest-{uuid.uuid4().hex[:8]}",
                "client.id": client_id,
                "enable.auto.commit": False,
                "auto.offset.reset": "latest",
            }
        )
        self._topic = topic
        self._lookback_s = lookback_s
        self._newest: dict[str, int] = {}
        self._stored: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="newest-segments", daemon=True)

    def start(self) -> None:
        """Begin following in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop and close the consumer."""
        self._stopping.set()
        self._thread.join(timeout=10)

    def newer_than(self, stream_id: str, sequence: int) -> bool:
        """Whether a segment of `stream_id` after `sequence` has been published."""
        with self._lock:
            return self._newest.get(stream_id, -1) > sequence

    def latest(self, stream_id: str) -> tuple[int, float] | None:
        """The sequence of the newest segment of `stream_id` published and when ingest stored
        it (epoch seconds); None before any."""
        with self._lock:
            sequence = self._newest.get(stream_id)
            return None if sequence is None else (sequence, self._stored[stream_id])

    def seen(self, stream_id: str, sequence: int, stored: float = 0.0) -> None:
        """Note a segment of `stream_id` stored at `stored` (the follower's records)."""
        with self._lock:
            if sequence > self._newest.get(stream_id, -1):
                self._newest[stream_id] = sequence
                self._stored[stream_id] = stored

    def _run(self) -> None:
        try:
            self._assign_with_retry()
            while not self._stopping.is_set():
                msg = self._consumer.poll(0.5)
                if msg is None:
                    continue
                error = msg.error()
                if error is not None:
                    log.warning("newest.consumer_error", reason=str(error))
                    continue
                self._handle(msg)
        finally:
            self._consumer.close()

    def _assign_with_retry(self) -> None:
        backoff = 0.5
        while not self._stopping.is_set():
            try:
                self._assign_all()
            except KafkaException as exc:
                log.warning("newest.assign_retry", reason=str(exc), backoff=backoff)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 10.0)
            else:
                return

    def _assign_all(self) -> None:
        """Every partition from the first record of the last `lookback_s` (the end if none)."""
        metadata = self._consumer.list_topics(self._topic, timeout=_TIMEOUT_S)
        topic = metadata.topics.get(self._topic)
        if topic is None or topic.error is not None or not topic.partitions:
            raise KafkaException(topic.error if topic is not None else "topic not found")
        since_ms = int((time.time() - self._lookback_s) * 1000)
        wanted = [TopicPartition(self._topic, p, since_ms) for p in sorted(topic.partitions)]
        found = self._consumer.offsets_for_times(wanted, timeout=_TIMEOUT_S)
        start = [
            TopicPartition(tp.topic, tp.partition, tp.offset if tp.offset >= 0 else OFFSET_END)
            for tp in found
        ]
        self._consumer.assign(start)

    def _handle(self, msg: KafkaMessage) -> None:
        value = msg.value()
        if value is None:
            return
        try:
            segment = decode(value, SegmentReady).payload
        except PermanentError as exc:  # the detector's consumer dead-letters it; nothing newer
            log.warning("newest.record_skipped", offset=msg.offset(), reason=exc.reason)
            return
        self.seen(segment.stream_id, segment.sequence, segment.wall_clock.timestamp())
