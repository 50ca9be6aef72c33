"""Reads the event topics and the token topic from Kafka in a thread, for the event loop.

The notifier is a fan-out, not a sink: every replica must see every event, so the feed joins
no consumer group and commits nothing. It assigns itself every partition, starting a little
before the end (`warm_start` messages per partition, to fill the resume buffers) and reads the
compacted token topic from the beginning. It reports "caught up" once it has read up to the
ends it found at start, so the notifier accepts clients only when it knows the tokens.
confluent-kafka blocks, so it runs in its own thread and hands decoded batches over through
`handoff` (the entry point makes that `loop.call_soon_threadsafe`).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import structlog
from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka import Message as KafkaMessage
from pydantic import BaseModel

from sightline_common.envelope import decode
from sightline_common.errors import InvalidMessageError
from sightline_common.kafka.security import client_security
from sightline_common.messages import ApiToken
from sightline_notifier import metrics
from sightline_notifier.frames import Event, event_from_message

log = structlog.get_logger(__name__)

# Small hand-off batches: the event loop fans each one out before taking the next.
BATCH_SIZE = 100
POLL_SECONDS = 0.2
METADATA_RETRY_SECONDS = 2.0


@dataclass(frozen=True)
class EventSource:
    """An event topic: the frame type its messages become and the payload model expected."""

    frame_type: str
    model: type[BaseModel]


@dataclass(frozen=True)
class TokenChange:
    """The latest state of one token, or None when its key was deleted (a tombstone)."""

    token_id: str
    record: ApiToken | None


FeedItem = Event | TokenChange


@dataclass(frozen=True)
class FeedBatch:
    """Items in topic order, and whether the feed has now read everything present at start."""

    items: list[FeedItem] = field(default_factory=list)
    caught_up: bool = False


Handoff = Callable[[FeedBatch], None]


class KafkaFeed:
    """One consumer over every partition of the event topics and the token topic."""

    def __init__(
        self,
        *,
        bootstrap: str,
        client_id: str,
        event_topics: Mapping[str, EventSource],
        tokens_topic: str,
        warm_start: int,
        handoff: Handoff,
        on_failure: Callable[[], None],
    ) -> None:
        self._bootstrap = bootstrap
        self._client_id = client_id
        self._event_topics = dict(event_topics)
        self._tokens_topic = tokens_topic
        self._warm_start = warm_start
        self._handoff = handoff
        self._on_failure = on_failure
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._guarded_run, name="kafka-feed", daemon=True)

    def start(self) -> None:
        """Start reading in the background."""
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop reading and close the consumer."""
        self._stopping.set()
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        """Whether the reading thread is still running."""
        return self._thread.is_alive()

    def _guarded_run(self) -> None:
        """A feed that died would leave clients connected to a silent notifier: report it."""
        try:
            self._run()
        # Whatever it is, a failure here must end the process (exit 1), not just this thread.
        except Exception:
            log.exception("feed.failed")
            self._on_failure()

    def _run(self) -> None:
        consumer = Consumer(
            {
                **client_security(),
                "bootstrap.servers": self._bootstrap,
                "client.id": self._client_id,
                # Required by librdkafka, never joined: partitions are assigned, not balanced.
                "group.id": f"{self._client_id}-{uuid.uuid4()}",
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                "isolation.level": "read_committed",
            }
        )
        try:
            pending = self._assign(consumer)
            if pending is None:
                return
            caught_up = not pending
            if caught_up:
                self._handoff(FeedBatch(caught_up=True))
            while not self._stopping.is_set():
                messages = _next_messages(consumer)
                items = [item for msg in messages if (item := self._convert(msg)) is not None]
                if not caught_up:
                    caught_up = _caught_up(consumer, pending)
                    if caught_up or items:
                        self._handoff(FeedBatch(items=items, caught_up=caught_up))
                elif items:
                    self._handoff(FeedBatch(items=items, caught_up=True))
        finally:
            consumer.close()
            log.info("feed.stopped")

    def _assign(self, consumer: Consumer) -> dict[tuple[str, int], int] | None:
        """Assign every partition; returns the end offsets still to reach (None: stopped)."""
        while not self._stopping.is_set():
            try:
                starts, ends = self._positions(consumer)
            except KafkaException as exc:
                log.warning("feed.metadata_unavailable", reason=str(exc))
                self._stopping.wait(METADATA_RETRY_SECONDS)
                continue
            consumer.assign(starts)
            log.info("feed.assigned", partitions=len(starts), warm_start=self._warm_start)
            return ends
        return None

    def _positions(
        self, consumer: Consumer
    ) -> tuple[list[TopicPartition], dict[tuple[str, int], int]]:
        starts: list[TopicPartition] = []
        ends: dict[tuple[str, int], int] = {}
        for topic in [*self._event_topics, self._tokens_topic]:
            metadata = consumer.list_topics(topic, timeout=10).topics[topic]
            if metadata.error is not None:
                raise KafkaException(metadata.error)
            for partition in metadata.partitions:
                low, high = consumer.get_watermark_offsets(
                    TopicPartition(topic, partition), timeout=10
                )
                back = high - low if topic == self._tokens_topic else self._warm_start
                start = max(low, high - back)
                starts.append(TopicPartition(topic, partition, start))
                if high > start:
                    ends[(topic, partition)] = high
        return starts, ends

    def _convert(self, msg: KafkaMessage) -> FeedItem | None:
        if msg.error() is not None:
            log.warning("feed.consume_error", reason=str(msg.error()))
            return None
        topic = msg.topic() or ""
        try:
            if topic == self._tokens_topic:
                return _token_change(msg)
            source = self._event_topics[topic]
            event = event_from_message(source.frame_type, decode(msg.value(), source.model))
        except InvalidMessageError as exc:
            # Not dead-lettered here: every replica reads the same message, and the sinks that
            # own these topics already dead-letter what they cannot process.
            metrics.INVALID_MESSAGES.labels(topic=topic).inc()
            log.warning("feed.invalid_message", topic=topic, offset=msg.offset(), reason=str(exc))
            return None
        metrics.EVENTS.labels(type=source.frame_type).inc()
        return event


def _next_messages(consumer: Consumer) -> list[KafkaMessage]:
    """Wait for one message, then take what else is already fetched, without waiting.

    `consume(n, timeout)` alone would hold a partial batch until the timeout: latency.
    """
    first = consumer.poll(POLL_SECONDS)
    if first is None:
        return []
    return [first, *consumer.consume(num_messages=BATCH_SIZE - 1, timeout=0)]


def _token_change(msg: KafkaMessage) -> TokenChange:
    key = (msg.key() or b"").decode()
    value = msg.value()
    if value is None:
        return TokenChange(token_id=key, record=None)
    record: ApiToken = decode(value, ApiToken).payload
    return TokenChange(token_id=record.token_id, record=record)


def _caught_up(consumer: Consumer, pending: dict[tuple[str, int], int]) -> bool:
    """Drop the partitions whose position passed their end at start; True when none is left.

    Positions, not message offsets, because compaction can remove the offsets just before
    the end.
    """
    positions = consumer.position([TopicPartition(t, p) for t, p in pending])
    for tp in positions:
        if tp.offset >= pending[(tp.topic, tp.partition)]:
            del pending[(tp.topic, tp.partition)]
    return not pending
