"""The consume → handle → store-after-effect → dead-letter loop every consumer runs.

An offset is stored only after the handler returned and everything it produced (and every
dead letter) is acknowledged by the broker; librdkafka commits stored offsets in the
background and on revoke and close, so the polling thread never waits on the group
coordinator (a synchronous commit while the group is re-forming after a broker restart blocked
the only thread that could serve the re-assignment, and the member stalled for good). A crash
at any point redelivers rather than loses.

A `PermanentError` (or any unexpected exception) sends the message to `<topic>.dlq` and the loop
moves on; a `TransientError` pauses the batch's partitions at their first unfinished message
and retries after a back-off (other partitions keep flowing), until `RetryPolicy` gives up and
dead-letters the message. A dead-letter topic's own unprocessable records are logged, counted
and skipped (see `dead_letter_topic`).
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
from collections.abc import Callable, Mapping
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
from sightline_common.kafka.dead_letter import dead_letter_envelope, dead_letter_topic
from sightline_common.kafka.group import group_progress
from sightline_common.kafka.producer import EventProducer
from sightline_common.kafka.retry import RetryLedger, RetryPolicy
from sightline_common.kafka.turns import Turns
from sightline_common.kafka.watchdog import LoopWatchdog
from sightline_common.shutdown import stop_on_signals

log = structlog.get_logger(__name__)

TP = tuple[str, int]
_LOOKAHEAD = 64
_SETTLE_POLL_S = 0.05  # consume's wait while handlers are in flight
# With concurrency a partition is paused while its message is handled. Resumed, it is fetched
# again only when the broker answers the fetch already waiting for the other partitions, which
# holds up to fetch.wait.max.ms (librdkafka: 500) when they have nothing new: a segment that
# came while its stream's previous one was analysed waited 0.2 s on average (measured against
# the local broker, up to 0.5 s) more before its analysis began.
_CONCURRENT_FETCH_WAIT_MS = 100


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
InlineHandler = Callable[[Received], bool]
BatchHandler = Callable[[list[Received]], None]
PartitionsCallback = Callable[[list[TopicPartition]], None]


def _tp(msg: KafkaMessage) -> TP:
    return (msg.topic() or "", msg.partition() or 0)


@dataclass
class _Batch:
    """One poll's worth of messages and what became of each."""

    messages: list[KafkaMessage]
    done: set[int] = field(default_factory=set)  # indexes whose effect is durable or dead-lettered
    failure_mark: int = 0  # the producer's failure count when the batch began

    def first_unfinished(self) -> dict[TP, int]:
        """Per partition, the offset of the first message not yet done."""
        firsts: dict[TP, int] = {}
        for index, msg in enumerate(self.messages):
            if index not in self.done and _tp(msg) not in firsts:
                firsts[_tp(msg)] = msg.offset() or 0
        return firsts

    def commit_positions(self) -> dict[TP, int]:
        """Per partition, the offset to commit: after the last done message before any gap."""
        positions: dict[TP, int] = {}
        blocked: set[TP] = set()
        for index, msg in enumerate(self.messages):
            tp = _tp(msg)
            if tp in blocked:
                continue
            if index in self.done:
                positions[tp] = (msg.offset() or 0) + 1
            else:
                blocked.add(tp)
        return positions


@dataclass(frozen=True)
class _InFlight:
    """A message handled on a pool thread: its batch of one, the handler's outcome, since
    when, and where its partition resumes."""

    batch: _Batch
    future: concurrent.futures.Future[TransientError | None]
    started: float
    next_offset: int


class ConsumerLoop:
    """Runs one consumer group member until `stop()` (or SIGTERM) and then leaves cleanly.

    `topics` maps each topic name to the payload model expected on it (None: any registered
    type). Give either `handler` (one message at a time) or `batch_handler` (a list: for sinks
    that write in bulk; a `PermanentError` from it re-runs the batch one message at a time to
    isolate the bad one). `ready` says the member owns partitions; `alive` (for `/healthz`)
    turns False when the loop is stuck or stalled (see `LoopWatchdog`).

    `concurrency` > 1 (with `handler`): up to that many messages, of different partitions, are
    handled at once on as many threads while the loop goes on polling; a partition is paused
    while its message is in flight (and sought to the message after it), so each partition's
    messages are still handled one at a time, in order, each stored only after its effects are
    durable; a free thread takes the partition whose next message's key (its stream) was
    served least recently (`Turns`; the partition's own turn for unkeyed messages). For
    handlers that take long and release the GIL (segment analysis): records are keyed by
    stream, so a member owns the streams its partitions happen to hold, and one at a time it
    used at most ~1.2 cores however many segments of its other streams waited (issue #15).

    `inline` (with `handler`; the loop then hands messages to its `concurrency` threads even
    when that is 1, so the thread's next message is chosen as above): asked on the loop's
    thread, when a thread is free, for each
    fetched message of a partition not in flight, in order, whether it handled the message at
    once (True) or it needs a thread; what it handled is stored after one producer flush, and
    the partition's first message left is its head. For messages that need no work (a live
    detector's stale segment, shed): through the threads, each took a whole turn, so a
    partition that fell behind was served one such message per freed thread while others'
    long analyses took every turn, and its stream was never analysed live again (issue #15).
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
        retry: RetryPolicy | None = None,
        on_assign: PartitionsCallback | None = None,
        on_revoke: PartitionsCallback | None = None,
        consumer_overrides: Mapping[str, Any] | None = None,
        concurrency: int = 1,
        inline: InlineHandler | None = None,
    ) -> None:
        if (handler is None) == (batch_handler is None):
            raise ValueError("give exactly one of handler or batch_handler")
        if (concurrency > 1 or inline is not None) and handler is None:
            raise ValueError("concurrency and inline apply to a per-message handler")
        config = consumer_config(bootstrap, group_id, client_id)
        # Offsets are stored by the loop once effects are durable and committed by librdkafka
        # in the background (and on revoke / close): never a blocking commit on this thread.
        config.update({"enable.auto.commit": True, "auto.commit.interval.ms": 1000})
        threaded = concurrency > 1 or inline is not None
        if threaded:
            config["fetch.wait.max.ms"] = _CONCURRENT_FETCH_WAIT_MS
        config.update(consumer_overrides or {})
        self._consumer = Consumer(config)
        self._group = group_id
        self._producer_id = client_id
        self._topics = dict(topics)
        self._producer = producer
        self._handler = handler
        self._batch_handler = batch_handler
        self._inline = inline
        # With concurrency, read ahead to find the heads of other partitions (what is not
        # taken is read again): at most `concurrency` messages are in flight.
        self._batch_size = max(batch_size, _LOOKAHEAD) if threaded else batch_size
        self._concurrency = max(1, concurrency)
        self._in_flight: dict[TP, _InFlight] = {}
        self._turns = Turns()  # which stream (or unkeyed partition) a free thread takes
        self._pool = (
            concurrent.futures.ThreadPoolExecutor(self._concurrency, thread_name_prefix="handler")
            if threaded
            else None
        )
        self._poll_timeout = poll_timeout
        self._retry = retry or RetryPolicy(max_backoff_s=max_backoff)
        self._retries = RetryLedger(self._retry)
        self._on_assign = on_assign
        self._on_revoke = on_revoke
        self._owned: set[TP] = set()
        self._paused: dict[TP, float] = {}  # partition -> monotonic time to resume it
        self._fresh: list[TopicPartition] = []  # assigned since the last turn
        self._stopping = threading.Event()
        self._ready = threading.Event()
        session_s = float(config.get("session.timeout.ms", 45_000)) / 1000
        poll_interval_s = float(config.get("max.poll.interval.ms", 300_000)) / 1000
        self._watchdog = LoopWatchdog(
            stuck_after_s=poll_interval_s + session_s, unassigned_grace_s=2 * session_s
        )
        self._log = log.bind(group=group_id)

    @property
    def ready(self) -> bool:
        """True once the member joined its group (first assignment), while it is alive."""
        return self._ready.is_set() and self._watchdog.alive()

    def alive(self) -> bool:
        """False when the loop is stuck or stalled unassigned while work waits (restart it)."""
        return self._watchdog.alive()

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
            list(self._topics),
            on_assign=self._assigned,
            on_revoke=self._revoked,
            on_lost=self._lost,
        )
        try:
            while not self._stopping.is_set():
                self._turn()
        finally:
            try:
                while self._in_flight:  # in-flight messages finish and are stored first
                    self._settle(wait=True)
                self._producer.flush()
            except TransientError as exc:
                self._log.warning("consumer.final_flush_failed", reason=str(exc))
            finally:
                if self._pool is not None:
                    self._pool.shutdown()
                self._consumer.close()  # commits the stored offsets, leaves the group
                self._ready.clear()
                metrics.CONSUMER_READY.labels(self._group).set(0)
                self._log.info("consumer.closed")

    def _turn(self) -> None:
        # A handler that never returns holds its partition for good: with handlers in flight
        # the loop turns on regardless, so it stops beating once one is stuck.
        oldest = min((f.started for f in self._in_flight.values()), default=time.monotonic())
        if time.monotonic() - oldest < self._watchdog.stuck_after_s:
            self._watchdog.beat(assigned=bool(self._owned))
            metrics.CONSUMER_LOOP_HEARTBEAT.labels(self._group).set(time.time())
        if self._watchdog.wants_sample():
            self._watchdog.sampled(group_progress(self._consumer, list(self._topics)))
        self._resume_due()
        if self._pool is not None:
            self._settle(wait=len(self._in_flight) >= self._concurrency)
            if len(self._in_flight) >= self._concurrency:
                return  # every thread busy: poll again once one is free
        messages = self._consume()
        if self._fresh:
            self._resume_fresh()
        # Messages of partitions revoked (or paused) meanwhile are another member's now, or
        # will be read again from the stored position.
        messages = [m for m in messages if not self._is_noise(m) and self._mine(_tp(m))]
        if self._pool is not None:
            self._dispatch(messages)
        elif messages:
            self._process(_Batch(messages, failure_mark=self._producer.failure_mark()))

    def _consume(self) -> list[KafkaMessage]:
        """The next messages. With concurrency, waits only for the first one (briefly while
        handlers are in flight, to settle them soon) and takes what else is fetched already:
        `consume(n, timeout)` waits out the whole timeout while fewer than n are there."""
        if self._pool is None:
            return self._consumer.consume(self._batch_size, self._poll_timeout)
        timeout = _SETTLE_POLL_S if self._in_flight else self._poll_timeout
        first = self._consumer.consume(1, timeout)
        return first + self._consumer.consume(self._batch_size - 1, 0) if first else first

    def _dispatch(self, messages: list[KafkaMessage]) -> None:
        """Start the first message of partitions not in flight, the stream (key) served least
        recently first (fetch order alone could starve a partition behind busier ones, and
        turns per partition starve streams that share one), on free threads.
        A started partition is paused and sought to the message after it; every other
        partition in `messages` is sought back to its first message not started, to be read
        again (one in flight stays paused). With `inline`, the messages it handles at once go
        first, and a partition's head is its first message left."""
        heads: dict[TP, KafkaMessage] = {}
        for msg in self._handle_inline(messages) if self._inline else messages:
            heads.setdefault(_tp(msg), msg)
        idle = [tp for tp in heads if tp not in self._in_flight]
        free = self._concurrency - len(self._in_flight)
        for tp in self._turns.order({tp: heads[tp] for tp in idle})[:free]:
            self._start(heads.pop(tp))
        for tp, msg in heads.items():
            flight = self._in_flight.get(tp)
            if flight is None:
                self._seek(tp, msg.offset() or 0, pause=False)
            else:  # read again (e.g. assigned back meanwhile): skip the one being handled
                self._seek(tp, flight.next_offset, pause=True)

    def _handle_inline(self, messages: list[KafkaMessage]) -> list[KafkaMessage]:
        """Offer each partition's messages (partitions not in flight), in order, to `inline`
        up to the first it does not handle; store what it handled once the producer flushed
        (a failed flush retries those partitions from there, as a handler's transient failure
        does). The messages left, in order."""
        assert self._inline is not None
        batch = _Batch([], failure_mark=self._producer.failure_mark())
        left: list[KafkaMessage] = []
        stopped: set[TP] = set(self._in_flight)
        for msg in messages:
            tp = _tp(msg)
            if tp not in stopped:
                index = len(batch.messages)
                batch.messages.append(msg)
                received = self._decode_all(_Batch([msg]))  # undecodable: dead-lettered
                if not received or self._handled_inline(batch, index, received[0][1]):
                    batch.done.add(index)
                    continue
                batch.messages.pop()
                stopped.add(tp)
            left.append(msg)
        if not batch.messages:
            return left
        for msg in batch.messages:
            metrics.MESSAGES_CONSUMED.labels(msg.topic(), self._group).inc()
        try:
            self._producer.flush(since=batch.failure_mark)
        except TransientError as exc:
            self._retry_later(batch, exc)
            held = {_tp(m) for m in batch.messages}
            return [m for m in left if _tp(m) not in held]
        self._store(batch.commit_positions())
        for msg in batch.messages:
            metrics.MESSAGES_HANDLED.labels(msg.topic(), self._group).inc()
        return left

    def _handled_inline(self, batch: _Batch, index: int, item: Received) -> bool:
        """`inline`'s answer; a failure leaves the message to a thread, where the handler
        meets it again (and the loop's retries and dead letters apply)."""
        assert self._inline is not None
        try:
            return self._inline(item)
        except Exception as exc:  # noqa: BLE001 - the handler's turn decides what it is
            self._log.warning(
                "consumer.inline_failed", offset=batch.messages[index].offset(), reason=str(exc)
            )
            return False

    def _start(self, msg: KafkaMessage) -> None:
        """Hand `msg` to a thread; its partition waits, paused, until it is settled."""
        tp = _tp(msg)
        batch = _Batch([msg], failure_mark=self._producer.failure_mark())
        metrics.MESSAGES_CONSUMED.labels(msg.topic(), self._group).inc()
        self._turns.took(msg)
        next_offset = (msg.offset() or 0) + 1
        self._seek(tp, next_offset, pause=True)
        received = self._decode_all(batch)  # a message that cannot be decoded is dead-lettered
        assert self._pool is not None
        future = self._pool.submit(self._handle_chain, batch, received)
        self._in_flight[tp] = _InFlight(batch, future, time.monotonic(), next_offset)

    def _seek(self, tp: TP, offset: int, *, pause: bool) -> None:
        part = TopicPartition(tp[0], tp[1], offset)
        try:
            if pause:
                self._consumer.pause([part])
            self._consumer.seek(part)
        except KafkaException as exc:
            # The partition went away under us (lost, or not yet fetching): the stored offset
            # is where its next owner, maybe this member, starts again.
            self._log.warning("consumer.seek_failed", partition=_describe([part]), reason=str(exc))

    def _settle(self, *, wait: bool) -> None:
        """Finish the in-flight messages whose handler returned (after waiting for one when
        `wait`): store each whose effects are durable and resume its partition, or rewind
        and pause it to retry."""
        if not self._in_flight:
            return
        if wait:
            futures = [f.future for f in self._in_flight.values()]
            concurrent.futures.wait(futures, return_when=concurrent.futures.FIRST_COMPLETED)
        for tp in [tp for tp, f in self._in_flight.items() if f.future.done()]:
            flight = self._in_flight.pop(tp)
            try:
                failure = flight.future.result()
                if failure is not None:
                    raise failure
                self._producer.flush(since=flight.batch.failure_mark)
            except TransientError as exc:
                self._retry_later(flight.batch, exc)
                continue
            finally:
                elapsed = time.monotonic() - flight.started
                metrics.HANDLER_SECONDS.labels(self._group).observe(elapsed)
            self._store(flight.batch.commit_positions())
            metrics.MESSAGES_HANDLED.labels(tp[0], self._group).inc()
            if tp in self._owned and tp not in self._paused:
                try:
                    self._consumer.resume([TopicPartition(*tp)])
                except KafkaException as exc:
                    self._log.warning("consumer.resume_failed", reason=str(exc))

    def _mine(self, tp: TP) -> bool:
        return tp in self._owned and tp not in self._paused

    def _process(self, batch: _Batch) -> None:
        """Handle one batch: store its offsets, or pause its partitions to retry it."""
        for msg in batch.messages:
            metrics.MESSAGES_CONSUMED.labels(msg.topic(), self._group).inc()
        started = time.perf_counter()
        try:
            received = self._decode_all(batch)
            self._handle(batch, received)
            self._producer.flush(since=batch.failure_mark)
        except TransientError as exc:
            self._retry_later(batch, exc)
            return
        finally:
            metrics.HANDLER_SECONDS.labels(self._group).observe(time.perf_counter() - started)
        self._store(batch.commit_positions())
        for msg in batch.messages:
            metrics.MESSAGES_HANDLED.labels(msg.topic(), self._group).inc()

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
        # A batch holding a message out of retries runs one message at a time, so only that
        # message is given up on.
        isolate = any(
            self._retries.exhausted((r.topic, r.partition, r.offset)) for _, r in received
        )
        if self._batch_handler is not None and not isolate:
            try:
                self._batch_handler([r for _, r in received])
            except TransientError:
                raise
            except Exception as exc:  # noqa: BLE001 - isolated below, message by message
                self._log.warning("consumer.batch_failed_isolating", reason=str(exc))
            else:
                batch.done.update(index for index, _ in received)
                return
        # Each partition's messages in order; a transient failure holds back its partition
        # only: the others' messages go on.
        chains: dict[TP, list[tuple[int, Received]]] = {}
        for index, item in received:
            chains.setdefault((item.topic, item.partition), []).append((index, item))
        for chain in chains.values():
            failure = self._handle_chain(batch, chain)
            if failure is not None:
                raise failure

    def _handle_chain(
        self, batch: _Batch, chain: list[tuple[int, Received]]
    ) -> TransientError | None:
        """Handle one partition's messages in order, up to the first to be retried (its
        failure is returned); on a pool thread with concurrency."""
        for index, item in chain:
            try:
                self._handle_one(batch, index, item)
            except TransientError as exc:
                return exc
        return None

    def _handle_one(self, batch: _Batch, index: int, item: Received) -> None:
        try:
            if self._handler is not None:
                self._handler(item)
            elif self._batch_handler is not None:
                self._batch_handler([item])
        except Exception as exc:  # noqa: BLE001 - retried, or a dead letter, logged
            self._failed(batch, index, item, exc)
        else:
            batch.done.add(index)

    def _failed(self, batch: _Batch, index: int, item: Received, exc: Exception) -> None:
        """Re-raise a transient failure with retries left; dead-letter anything else (called
        while handling `exc`)."""
        if isinstance(exc, TransientError):
            position = (item.topic, item.partition, item.offset)
            if not self._retries.exhausted(position):
                raise exc
            self._retries.failed(position, str(exc))
            metrics.RETRIES_EXHAUSTED.labels(item.topic, self._group).inc()
            self._dead_letter(batch, index, self._retries.describe(position), type(exc).__name__)
        elif isinstance(exc, PermanentError):
            self._dead_letter(batch, index, exc.reason, type(exc).__name__)
        else:
            self._log.exception("consumer.handler_crashed", event_id=item.event_id)
            self._dead_letter(batch, index, f"{type(exc).__name__}: {exc}", type(exc).__name__)

    def _dead_letter(self, batch: _Batch, index: int, reason: str, error_type: str) -> None:
        """Route message `index` to its dead-letter topic and mark it done.

        A dead letter librdkafka refuses at once (too large even when cut) and a record of a
        dead-letter topic are logged and counted instead: nothing could ever take them, and
        holding the partition for them would stop everything behind.
        """
        msg = batch.messages[index]
        source = msg.topic() or ""
        where = {"topic": source, "partition": msg.partition(), "offset": msg.offset()}
        envelope = dead_letter_envelope(
            msg, group=self._group, reason=reason, error_type=error_type, producer=self._producer_id
        )
        target = dead_letter_topic(source)
        refused = "the source is a dead-letter topic" if target is None else None
        if target is not None:
            try:
                self._producer.publish(target, envelope)
            except KafkaException as exc:
                refused = str(exc)
        if refused is not None:
            metrics.DEAD_LETTERS_DROPPED.labels(source, error_type).inc()
            self._log.error(
                "consumer.unprocessable_skipped",
                **where,
                reason=reason,
                not_dead_lettered_because=refused,
                original_sha256=envelope.payload.get("original_sha256"),
                original_size=envelope.payload.get("original_size"),
            )
        else:
            metrics.DEAD_LETTERS.labels(source, error_type).inc()
            self._log.warning(
                "consumer.dead_lettered",
                **where,
                event_id=envelope.payload.get("event_id"),
                reason=reason,
            )
        batch.done.add(index)

    def _retry_later(self, batch: _Batch, exc: TransientError) -> None:
        """Store what is durable, then rewind the batch's partitions to their first unfinished
        message and pause them for a back-off; the rest of the assignment keeps flowing."""
        metrics.HANDLER_RETRIES.labels(self._group).inc()
        try:
            # `since`: a delivery failure of this batch (reported by the flush that raised)
            # still counts, so nothing of the batch is taken as durable.
            self._producer.flush(since=batch.failure_mark)
        except TransientError:
            batch.done.clear()
        else:
            self._store(batch.commit_positions())
        firsts = batch.first_unfinished() if batch.done else _firsts(batch.messages)
        now = time.monotonic()
        for (topic, partition), offset in firsts.items():
            attempts = self._retries.failed((topic, partition, offset), str(exc))
            delay = self._retry.backoff(attempts)
            self._log.warning(
                "consumer.transient_failure",
                topic=topic,
                partition=partition,
                offset=offset,
                attempt=attempts,
                retry_in=delay,
                reason=str(exc),
            )
            self._rewind_and_pause((topic, partition), offset, now + delay)

    def _rewind_and_pause(self, tp: TP, offset: int, resume_at: float) -> None:
        if tp not in self._owned:
            return  # revoked meanwhile: the new owner starts from the stored offset
        part = TopicPartition(tp[0], tp[1], offset)
        try:
            self._consumer.pause([part])
            self._consumer.seek(part)
        except KafkaException as exc:
            # The partition went away under us (lost, or not yet fetching): the stored offset
            # is where its next owner, maybe this member, starts again.
            self._log.warning(
                "consumer.rewind_failed", partition=_describe([part]), reason=str(exc)
            )
        self._paused[tp] = resume_at

    def _resume_due(self) -> None:
        now = time.monotonic()
        due = [tp for tp, at in self._paused.items() if at <= now]
        if not due:
            return
        for tp in due:
            del self._paused[tp]
        parts = [TopicPartition(t, p) for t, p in due if (t, p) in self._owned]
        if parts:
            try:
                self._consumer.resume(parts)
            except KafkaException as exc:
                self._log.warning("consumer.resume_failed", reason=str(exc))

    def _resume_fresh(self) -> None:
        """A partition paused here, revoked and assigned back must not stay paused: resume
        every newly assigned partition (a no-op for one that never was)."""
        fresh, self._fresh = (
            [tp for tp in self._fresh if (tp.topic, tp.partition) in self._owned],
            [],
        )
        if fresh:
            try:
                self._consumer.resume(fresh)
            except KafkaException as exc:
                self._log.warning("consumer.resume_failed", reason=str(exc))

    def _store(self, positions: Mapping[TP, int]) -> None:
        """Store `positions` for the background commit. A partition revoked or lost meanwhile
        is skipped: its effects are durable, so at worst its next owner redelivers them to
        idempotent sinks."""
        offsets = [
            TopicPartition(t, p, o) for (t, p), o in positions.items() if (t, p) in self._owned
        ]
        for part in offsets:
            self._retries.passed(part.topic, part.partition, part.offset)
        if not offsets:
            return
        try:
            self._consumer.store_offsets(offsets=offsets)
        except KafkaException as exc:
            self._log.warning("consumer.store_failed", reason=str(exc))

    def _is_noise(self, msg: KafkaMessage) -> bool:
        error = msg.error()
        if error is None:
            return False
        if error.code() != KafkaError._PARTITION_EOF:
            self._log.warning("consumer.error", reason=error.str())
        return True

    # Rebalance callbacks run on the polling thread inside consume(): they only update state,
    # never wait (librdkafka commits the stored offsets of revoked partitions itself).
    def _assigned(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._owned.update((tp.topic, tp.partition) for tp in partitions)
        self._fresh.extend(TopicPartition(tp.topic, tp.partition) for tp in partitions)
        if self._owned:
            self._ready.set()
            metrics.CONSUMER_READY.labels(self._group).set(1)
        self._log.info("consumer.assigned", partitions=_describe(partitions))
        if self._on_assign is not None:
            self._on_assign(partitions)

    def _revoked(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._disown(partitions)
        self._log.info("consumer.revoked", partitions=_describe(partitions))
        if self._on_revoke is not None:
            self._on_revoke(partitions)

    def _lost(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._disown(partitions)
        self._log.warning("consumer.partitions_lost", partitions=_describe(partitions))
        if self._on_revoke is not None:
            self._on_revoke(partitions)

    def _disown(self, partitions: list[TopicPartition]) -> None:
        for tp in partitions:
            key = (tp.topic, tp.partition)
            self._owned.discard(key)
            self._paused.pop(key, None)
            self._turns.forget(key)
            self._retries.forget_partition(*key)


def _firsts(messages: list[KafkaMessage]) -> dict[TP, int]:
    firsts: dict[TP, int] = {}
    for msg in messages:
        firsts.setdefault(_tp(msg), msg.offset() or 0)
    return firsts


def _describe(partitions: list[TopicPartition]) -> list[str]:
    return [
        f"{tp.topic}[{tp.partition}]" + (f"@{tp.offset}" if tp.offset != OFFSET_INVALID else "")
        for tp in partitions
    ]
