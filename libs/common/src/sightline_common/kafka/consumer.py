"""The consume → handle → commit-after-effect → dead-letter loop every consumer runs.

Offsets are committed only after the handler returned and everything it produced (and every
dead letter) is acknowledged by the broker, so a crash at any point redelivers rather than
loses. A `PermanentError` (or any unexpected exception) sends the message to `<topic>.dlq`
and the loop moves on; a `TransientError` rewinds to the first unfinished message and retries
with back-off, acknowledging nothing early.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog
from confluent_kafka import OFFSET_INVALID, Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka import Message as KafkaMessage
from pydantic import BaseModel

from sightline_common import metrics
from sightline_common.envelope import Message, decode
from sightline_common.errors import PermanentError, TransientError
from sightline_common.kafka.config import consumer_config
from sightline_common.kafka.dead_letter import dead_letter_envelope
from sightline_common.kafka.producer import EventProducer
from sightline_common.shutdown import stop_on_signals

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Received:
    """A decoded message with its position on the topic."""

    message: Message[Any]
    topic: str
    partition: int
    offset: int

    @property
    def payload(self) -> Any:
        """The typed payload (the schema's model)."""
        return self.message.payload

    @property
    def event_id(self) -> str:
        """The envelope's event id."""
        return self.message.event_id


Handler = Callable[[Received], None]
BatchHandler = Callable[[list[Received]], None]
PartitionsCallback = Callable[[list[TopicPartition]], None]


@dataclass
class _Batch:
    """One poll's worth of messages and what became of each."""

    messages: list[KafkaMessage]
    done: set[int] = field(default_factory=set)  # indexes whose effect is durable or dead-lettered

    def first_unfinished(self) -> dict[tuple[str, int], int]:
        """Per partition, the offset of the first message not yet done."""
        firsts: dict[tuple[str, int], int] = {}
        for index, msg in enumerate(self.messages):
            tp = (msg.topic() or "", msg.partition() or 0)
            if index not in self.done and tp not in firsts:
                firsts[tp] = msg.offset() or 0
        return firsts

    def commit_positions(self) -> dict[tuple[str, int], int]:
        """Per partition, the offset to commit: after the last done message before any gap."""
        positions: dict[tuple[str, int], int] = {}
        blocked: set[tuple[str, int]] = set()
        for index, msg in enumerate(self.messages):
            tp = (msg.topic() or "", msg.partition() or 0)
            if tp in blocked:
                continue
            if index in self.done:
                positions[tp] = (msg.offset() or 0) + 1
            else:
                blocked.add(tp)
        return positions


class ConsumerLoop:
    """Runs one consumer group member until `stop()` (or SIGTERM) and then leaves cleanly.

    `topics` maps each topic name to the payload model expected on it (None: any registered
    type). Give either `handler` (one message at a time) or `batch_handler` (a list: for sinks
    that write in bulk; a `PermanentError` from it re-runs the batch one message at a time to
    isolate the bad one).
    """

    def __init__(
        self,
        *,
        bootstrap: str,
        group_id: str,
        client_id: str,
        topics: Mapping[str, type[BaseModel] | None],
        producer: EventProducer,
        handler: Handler | None = None,
        batch_handler: BatchHandler | None = None,
        batch_size: int = 500,
        poll_timeout: float = 0.5,
        max_backoff: float = 10.0,
        on_assign: PartitionsCallback | None = None,
        on_revoke: PartitionsCallback | None = None,
        consumer_overrides: Mapping[str, Any] | None = None,
    ) -> None:
        if (handler is None) == (batch_handler is None):
            raise ValueError("give exactly one of handler or batch_handler")
        config = consumer_config(bootstrap, group_id, client_id)
        config.update(consumer_overrides or {})
        self._consumer = Consumer(config)
        self._group = group_id
        self._producer_id = client_id
        self._topics = dict(topics)
        self._producer = producer
        self._handler = handler
        self._batch_handler = batch_handler
        self._batch_size = batch_size
        self._poll_timeout = poll_timeout
        self._max_backoff = max_backoff
        self._on_assign = on_assign
        self._on_revoke = on_revoke
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._log = log.bind(group=group_id)

    @property
    def ready(self) -> bool:
        """True once the consumer reached the broker and joined its group."""
        return self._ready.is_set()

    @property
    def stop_requested(self) -> bool:
        """True once `stop()` was called (e.g. by SIGTERM), even before `run()`."""
        return self._stopping.is_set()

    def stop(self) -> None:
        """Ask the loop to finish the in-flight batch, commit and exit."""
        self._stopping.set()

    def install_signal_handlers(self) -> None:
        """Stop gracefully on SIGTERM and SIGINT (main thread only)."""
        stop_on_signals(self.stop, "consumer.stopping")

    def run(self) -> None:
        """Consume until stopped; always closes the consumer (leaving the group) on exit."""
        self._consumer.subscribe(
            list(self._topics), on_assign=self._assigned, on_revoke=self._revoked
        )
        backoff = 0.0
        try:
            while not self._stopping.is_set():
                if backoff:
                    self._stopping.wait(backoff)
                messages = self._consumer.consume(self._batch_size, self._poll_timeout)
                messages = [m for m in messages if not self._is_noise(m)]
                if not messages:
                    continue
                backoff = self._process(_Batch(messages), backoff)
        finally:
            self._producer.flush()
            self._consumer.close()
            metrics.CONSUMER_READY.labels(self._group).set(0)
            self._log.info("consumer.closed")

    def _process(self, batch: _Batch, backoff: float) -> float:
        """Handle one batch; returns the back-off before the next poll (0 when healthy)."""
        for msg in batch.messages:
            metrics.MESSAGES_CONSUMED.labels(msg.topic(), self._group).inc()
        started = time.perf_counter()
        try:
            received = self._decode_all(batch)
            self._handle(batch, received)
            self._producer.flush()
        except TransientError as exc:
            return self._rewind(batch, exc, backoff)
        finally:
            metrics.HANDLER_SECONDS.labels(self._group).observe(time.perf_counter() - started)
        self._commit(batch.commit_positions())
        for msg in batch.messages:
            metrics.MESSAGES_HANDLED.labels(msg.topic(), self._group).inc()
        return 0.0

    def _decode_all(self, batch: _Batch) -> list[tuple[int, Received]]:
        decoded: list[tuple[int, Received]] = []
        for index, msg in enumerate(batch.messages):
            topic = msg.topic() or ""
            try:
                message = decode(msg.value(), self._topics.get(topic))
            except PermanentError as exc:
                self._dead_letter(batch, index, exc.reason, type(exc).__name__)
                continue
            received = Received(message, topic, msg.partition() or 0, msg.offset() or 0)
            decoded.append((index, received))
        return decoded

    def _handle(self, batch: _Batch, received: list[tuple[int, Received]]) -> None:
        if not received:
            return
        if self._batch_handler is not None:
            try:
                self._batch_handler([r for _, r in received])
            except TransientError:
                raise
            except Exception as exc:  # noqa: BLE001 - isolated below, message by message
                self._log.warning("consumer.batch_failed_isolating", reason=str(exc))
            else:
                batch.done.update(index for index, _ in received)
                return
        for index, item in received:
            self._handle_one(batch, index, item)

    def _handle_one(self, batch: _Batch, index: int, item: Received) -> None:
        try:
            if self._handler is not None:
                self._handler(item)
            elif self._batch_handler is not None:
                self._batch_handler([item])
        except TransientError:
            raise
        except PermanentError as exc:
            self._dead_letter(batch, index, exc.reason, type(exc).__name__)
        except Exception as exc:  # noqa: BLE001 - an unexpected failure is a dead letter, logged
            self._log.exception("consumer.handler_crashed", event_id=item.event_id)
            self._dead_letter(batch, index, f"{type(exc).__name__}: {exc}", type(exc).__name__)
        else:
            batch.done.add(index)

    def _dead_letter(self, batch: _Batch, index: int, reason: str, error_type: str) -> None:
        msg = batch.messages[index]
        envelope = dead_letter_envelope(
            msg, group=self._group, reason=reason, error_type=error_type, producer=self._producer_id
        )
        topic = f"{msg.topic()}.dlq"
        self._producer.publish(topic, envelope)
        metrics.DEAD_LETTERS.labels(msg.topic(), error_type).inc()
        self._log.warning(
            "consumer.dead_lettered",
            topic=msg.topic(),
            partition=msg.partition(),
            offset=msg.offset(),
            event_id=envelope.payload.get("event_id"),
            reason=reason,
        )
        batch.done.add(index)

    def _rewind(self, batch: _Batch, exc: TransientError, backoff: float) -> float:
        """Commit what is done, seek back to the rest, and back off before retrying it."""
        metrics.HANDLER_RETRIES.labels(self._group).inc()
        next_backoff = min(max(backoff * 2, 0.5), self._max_backoff)
        self._log.warning("consumer.transient_failure", reason=str(exc), retry_in=next_backoff)
        try:
            self._producer.flush()
            self._commit(batch.commit_positions())
        except TransientError:
            batch.done.clear()  # nothing is known durable: replay the whole batch
        positions = batch.first_unfinished() if batch.done else _firsts(batch.messages)
        for (topic, partition), offset in positions.items():
            self._consumer.seek(TopicPartition(topic, partition, offset))
        return next_backoff

    def _commit(self, positions: Mapping[tuple[str, int], int]) -> None:
        """Commit `positions`. A failed commit (the group coordinator loading or moving while a
        broker restarts, a rebalance) is logged, not raised: the effects are already durable,
        so at worst they are redelivered to idempotent sinks, and a later commit covers them."""
        if not positions:
            return
        offsets = [TopicPartition(t, p, o) for (t, p), o in positions.items()]
        try:
            self._consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:
            self._log.warning("consumer.commit_failed", reason=str(exc))

    def _is_noise(self, msg: KafkaMessage) -> bool:
        error = msg.error()
        if error is None:
            return False
        if error.code() != KafkaError._PARTITION_EOF:
            self._log.warning("consumer.error", reason=error.str())
        return True

    def _assigned(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._ready.set()
        metrics.CONSUMER_READY.labels(self._group).set(1)
        self._log.info("consumer.assigned", partitions=_describe(partitions))
        if self._on_assign is not None:
            self._on_assign(partitions)

    def _revoked(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._log.info("consumer.revoked", partitions=_describe(partitions))
        if self._on_revoke is not None:
            self._on_revoke(partitions)


def _firsts(messages: Iterable[KafkaMessage]) -> dict[tuple[str, int], int]:
    firsts: dict[tuple[str, int], int] = {}
    for msg in messages:
        firsts.setdefault((msg.topic() or "", msg.partition() or 0), msg.offset() or 0)
    return firsts


def _describe(partitions: list[TopicPartition]) -> list[str]:
    return [
        f"{tp.topic}[{tp.partition}]" + (f"@{tp.offset}" if tp.offset != OFFSET_INVALID else "")
        for tp in partitions
    ]
