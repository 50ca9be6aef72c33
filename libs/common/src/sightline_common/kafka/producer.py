"""An idempotent Kafka producer for envelopes, with delivery failures surfaced to the caller."""

from __future__ import annotations

import threading
from typing import Any

import structlog
from confluent_kafka import KafkaError, Message, Producer

from sightline_common.envelope import encode
from sightline_common.errors import DeliveryError
from sightline_common.kafka.config import producer_config
from sightline_common.messages import Envelope

log = structlog.get_logger(__name__)


class EventProducer:
    """Publishes envelopes keyed by their `key`; `flush` raises if any delivery failed.

    librdkafka retries internally (idempotence keeps that free of duplicates), so a failure seen
    here means the broker could not take the message within `delivery.timeout.ms`.
    """

    def __init__(self, bootstrap: str, client_id: str, **overrides: Any) -> None:
        config = producer_config(bootstrap, client_id)
        config.update(overrides)
        self._producer = Producer(config)
        self._lock = threading.Lock()
        # Every delivery failure, numbered: a caller that marks where its unit of work began
        # sees the unit's failures on every flush until it starts over (see `flush(since=)`).
        self._failed = 0
        self._reported = 0
        self._last_failure = ""

    def publish(self, topic: str, envelope: Envelope) -> None:
        """Queue one envelope; delivery is confirmed by `flush`."""
        self.publish_raw(topic, envelope.key.encode(), encode(envelope))

    def publish_raw(self, topic: str, key: bytes | None, value: bytes | None) -> None:
        """Queue raw bytes (dead letters, tombstones); delivery is confirmed by `flush`.

        Raises `KafkaException` when librdkafka refuses the message at once (e.g. larger than
        `message.max.bytes`): that message can never be produced as it is.
        """
        while True:
            try:
                self._producer.produce(topic, value=value, key=key, on_delivery=self._on_delivery)
                break
            except BufferError:
                # Local queue full: serve delivery reports to make room, then retry.
                self._producer.poll(0.5)
        self._producer.poll(0)

    def failure_mark(self) -> int:
        """A mark to pass to `flush(since=...)`: the failures recorded so far."""
        with self._lock:
            return self._failed

    def flush(self, timeout: float = 30.0, *, since: int | None = None) -> None:
        """Wait until everything queued is acknowledged by the broker.

        Raises `DeliveryError` if a message failed or the wait timed out, so a caller never
        commits input offsets for output that is not durable. Without `since` a failure is
        reported once (to the first flush after it); with `since` (a `failure_mark()` taken
        when a unit of work began) every flush raises while any failure after the mark stands,
        so a retry that flushes again cannot mistake the unit for delivered.
        """
        remaining = self._producer.flush(timeout)
        with self._lock:
            start = self._reported if since is None else since
            failures, last = self._failed - start, self._last_failure
            self._reported = self._failed
        if failures > 0:
            raise DeliveryError(f"{failures} message(s) not delivered: {last}")
        if remaining:
            raise DeliveryError(f"{remaining} message(s) still in flight after {timeout}s")

    def in_flight(self) -> int:
        """Messages (and protocol requests) librdkafka still holds; a message it gave up on no
        longer counts, so a caller whose `flush` raised can tell "still trying" (wait, > 0)
        from "gave up" (0: produce again)."""
        return len(self._producer)

    def close(self, timeout: float = 30.0) -> None:
        """Deliver what is queued, then release the client."""
        self.flush(timeout)

    def _on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            topic = _topic_of(msg)
            reason = f"{topic}: {err.str()}"
            log.error("kafka.delivery_failed", topic=topic, reason=err.str())
            with self._lock:
                self._failed += 1
                self._last_failure = reason


def _topic_of(msg: Message) -> str:
    """The failed message's topic for the record. After a fatal error (e.g. an idempotent
    producer refused by the cluster's authorizer) librdkafka reports messages whose `topic()`
    raises SystemError; raising here would escape `flush` and hide the failure being counted."""
    try:
        return msg.topic() or "?"
    except SystemError:
        return "?"
