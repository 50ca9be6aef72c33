"""Following a compacted topic (logo library, stream config) from its beginning, forever.

Every detector replica needs the whole table, so the follower reads all partitions without a
consumer group's assignment (no offsets committed) and hands each record to `apply`; a record
that fails to apply is logged and skipped, never stops the follower.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import structlog
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition
from pydantic import BaseModel

from sightline_common.envelope import decode
from sightline_common.errors import PermanentError

log = structlog.get_logger(__name__)

Apply = Callable[[str, Any], None]


class CompactedTopicFollower:
    """A daemon thread applying every record of `topic` (payload model `model`; a tombstone
    applies as None) in partition order. `caught_up` is set once the records present at start
    have been applied, so readiness can wait for the table."""

    def __init__(
        self, bootstrap: str, topic: str, model: type[BaseModel], apply: Apply, client_id: str
    ) -> None:
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"{client_id}-follower-{uuid.uuid4().hex[:8]}",
                "client.id": client_id,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "enable.partition.eof": True,
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
            pending = self._assign_with_retry()
            while not self._stopping.is_set():
                msg = self._consumer.poll(0.5)
                if msg is None:
                    continue
                error = msg.error()
                if error is None:
                    self._handle(msg.key(), msg.value())
                elif error.code() == KafkaError._PARTITION_EOF:
                    pending.discard(msg.partition() or 0)
                    if not pending:
                        self.caught_up.set()
                else:
                    self._log.warning("follower.consumer_error", reason=str(error))
        finally:
            self._consumer.close()

    def _assign_with_retry(self) -> set[int]:
        """Assign every partition, retrying while the broker cannot be reached (a detector
        started during a Kafka outage must not run on an empty table for good)."""
        backoff = 0.5
        while not self._stopping.is_set():
            try:
                return self._assign_all()
            except KafkaException as exc:
                self._log.warning("follower.assign_retry", reason=str(exc), backoff=backoff)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 10.0)
        return set()

    def _assign_all(self) -> set[int]:
        metadata = self._consumer.list_topics(self._topic, timeout=10).topics[self._topic]
        partitions = sorted(metadata.partitions)
        self._consumer.assign(
            [TopicPartition(self._topic, p, OFFSET_BEGINNING) for p in partitions]
        )
        return set(partitions)

    def _handle(self, key: bytes | None, value: bytes | None) -> None:
        text_key = key.decode(errors="replace") if key else ""
        try:
            payload = None if value is None else decode(value, self._model).payload
            self._apply(text_key, payload)
        except PermanentError as exc:
            self._log.warning("follower.record_skipped", key=text_key, reason=exc.reason)
        except Exception:  # noqa: BLE001 - one bad record must not stop the table from following
            self._log.exception("follower.apply_failed", key=text_key)
