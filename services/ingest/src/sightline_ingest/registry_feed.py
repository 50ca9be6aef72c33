"""Feeds the stream registry from the compacted `stream-config` topic, from its beginning.

Every instance reads the whole topic (no consumer group offsets: partitions are assigned from
offset 0), so the view is complete after each start; `ready` is set once the partitions' ends,
as they were at start, have been reached.
"""

from __future__ import annotations

import threading
import uuid

import structlog
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition
from confluent_kafka import Message as KafkaMessage

from sightline_common.envelope import decode
from sightline_common.errors import PermanentError
from sightline_common.messages import StreamConfig
from sightline_ingest.registry import StreamRegistry

log = structlog.get_logger(__name__)


class RegistryFeed:
    """Reads `topic` into `registry` in its own thread until `stop()`."""

    def __init__(
        self, bootstrap: str, topic: str, registry: StreamRegistry, client_id: str
    ) -> None:
        self._topic = topic
        self._registry = registry
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "client.id": client_id,
                # Never committed: a throwaway group only because librdkafka wants one.
                "group.id": f"ingest-registry-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "isolation.level": "read_committed",
            }
        )
        self._ready = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="registry-feed", daemon=True)

    @property
    def ready(self) -> bool:
        """True once everything on the topic at start has been applied."""
        return self._ready.is_set()

    def wait_ready(self, timeout: float) -> bool:
        """Block until caught up (or `timeout`); returns whether it is."""
        return self._ready.wait(timeout)

    def start(self) -> None:
        """Start reading in a daemon thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop reading and close the consumer."""
        self._stopping.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        try:
            ends = self._assign_from_beginning()
            while not self._stopping.is_set():
                msg = self._consumer.poll(0.5)
                if msg is not None and msg.error() is None:
                    self._apply(msg)
                    if _reached(msg, ends):
                        ends.pop(msg.partition() or 0)
                if not ends and not self._ready.is_set():
                    self._ready.set()
                    log.info("registry.caught_up", streams=len(self._registry.all()))
        finally:
            self._consumer.close()

    def _assign_from_beginning(self) -> dict[int, int]:
        """Assign every partition at offset 0; returns partition -> end offset to reach."""
        while not self._stopping.is_set():
            try:
                return self._try_assign()
            except KafkaException as exc:
                log.warning("registry.broker_unavailable", topic=self._topic, reason=str(exc))
                self._stopping.wait(1.0)
        return {}

    def _try_assign(self) -> dict[int, int]:
        meta = self._consumer.list_topics(self._topic, timeout=5).topics.get(self._topic)
        if meta is None or meta.error is not None or not meta.partitions:
            raise KafkaException(meta.error if meta is not None else "topic not found")
        ends: dict[int, int] = {}
        for partition in meta.partitions:
            low, high = self._consumer.get_watermark_offsets(
                TopicPartition(self._topic, partition), timeout=5
            )
            if high > low:
                ends[partition] = high
        self._consumer.assign(
            [TopicPartition(self._topic, p, OFFSET_BEGINNING) for p in meta.partitions]
        )
        return ends

    def _apply(self, msg: KafkaMessage) -> None:
        key = msg.key()
        if msg.value() is None:
            if key:
                self._registry.remove(key.decode(errors="replace"))
            return
        try:
            config = decode(msg.value(), StreamConfig).payload
        except PermanentError as exc:
            # Compacted state is re-read on every start: a dead letter here would repeat forever.
            log.warning(
                "registry.invalid_config",
                partition=msg.partition(),
                offset=msg.offset(),
                reason=exc.reason,
            )
            return
        self._registry.apply(config)


def _reached(msg: KafkaMessage, ends: dict[int, int]) -> bool:
    end = ends.get(msg.partition() or 0)
    return end is not None and (msg.offset() or 0) + 1 >= end
