"""Following a compacted topic (stream config, logo library) from its beginning, forever.

Every replica needs the whole table, so the follower reads all partitions without a consumer
group's assignment (nothing committed; the group id is a throwaway librdkafka insists on) and
hands each record to `apply(key, payload)` — a tombstone as None. `caught_up` is set once the
records present at start have been applied, so readiness can wait for the table. A record that
fails to apply is logged and skipped (the table is re-read on every start: a dead letter would
repeat forever); a broker that cannot be reached at start is retried, never given up on.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import structlog
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition
from confluent_kafka import Message as KafkaMessage
from pydantic import BaseModel

from sightline_common.envelope import decode
from sightline_common.errors import PermanentError
from sightline_common.kafka.security import client_security

log = structlog.get_logger(__name__)

Apply = Callable[[str, Any], None]
_TIMEOUT_S = 10.0


class CompactedTopicFollower:
    """A daemon thread applying every record of `topic` (payload model `model`) in partition
    order until `stop()`."""

    def __init__(
        self, bootstrap: str, topic: str, model: type[BaseModel], apply: Apply, client_id: str
    ) -> None:
        self._consumer = Consumer(
            {
                **client_security(),
                "bootstrap.servers": bootstrap,
                "group.id": f"{client_id}-follower-{uuid.uuid4().hex[:8]}",
                "client.id": client_id,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "isolation.level": "read_committed",
            }
        )
        self._topic = topic
        self._model = model
        self._apply = apply
        self._stopping = threading.Event()
        self.caught_up = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"follow-{topic}", daemon=True)
        self._log = log.bind(topic=topic)

    def start(self) -> None:
        """Begin following in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop and close the consumer."""
        self._stopping.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        try:
            ends = self._assign_with_retry()
            while not self._stopping.is_set():
                if not ends and not self.caught_up.is_set():
                    self.caught_up.set()
                    self._log.info("follower.caught_up")
                msg = self._consumer.poll(0.5)
                if msg is None:
                    continue
                error = msg.error()
                if error is not None:
                    self._log.warning("follower.consumer_error", reason=str(error))
                    continue
                self._handle(msg)
                partition = msg.partition() or 0
                if (msg.offset() or 0) + 1 >= ends.get(partition, -1):
                    ends.pop(partition, None)
        finally:
            self._consumer.close()

    def _assign_with_retry(self) -> dict[int, int]:
        """Assign every partition from its beginning; returns partition -> end offset at start.

        Retried while the broker cannot be reached: a service started during a Kafka outage
        must not run on an empty table for good."""
        backoff = 0.5
        while not self._stopping.is_set():
            try:
                return self._assign_all()
            except KafkaException as exc:
                self._log.warning("follower.assign_retry", reason=str(exc), backoff=backoff)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 10.0)
        return {}

    def _assign_all(self) -> dict[int, int]:
        metadata = self._consumer.list_topics(self._topic, timeout=_TIMEOUT_S)
        topic = metadata.topics.get(self._topic)
        if topic is None or topic.error is not None or not topic.partitions:
            raise KafkaException(topic.error if topic is not None else "topic not found")
        ends: dict[int, int] = {}
        for partition in sorted(topic.partitions):
            low, high = self._consumer.get_watermark_offsets(
                TopicPartition(self._topic, partition), timeout=_TIMEOUT_S
            )
            if high > low:
                ends[partition] = high
        self._consumer.assign(
            [TopicPartition(self._topic, p, OFFSET_BEGINNING) for p in topic.partitions]
        )
        return ends

    def _handle(self, msg: KafkaMessage) -> None:
        key = msg.key()
        text_key = key.decode(errors="replace") if key else ""
        value = msg.value()
        try:
            payload = None if value is None else decode(value, self._model).payload
            self._apply(text_key, payload)
        except PermanentError as exc:
            self._log.warning(
                "follower.record_skipped", key=text_key, offset=msg.offset(), reason=exc.reason
            )
        except Exception:  # noqa: BLE001 - one bad record must not stop the table from following
            self._log.exception("follower.apply_failed", key=text_key, offset=msg.offset())
