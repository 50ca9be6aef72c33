"""The consumer loop's delivery and liveness holes (#16 §1), each against the real broker.

Each test reproduces a path where the loop once lost data or stopped for good: a batch
committed although its output was never delivered, a dead letter too large to produce, a
dead-letter topic's own poison, a transient failure retried forever, a partition's retry
stalling the others, and a member that lost the broker for longer than its session timeout.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from pydantic import BaseModel

from sightline_common.envelope import encode, wrap
from sightline_common.errors import TransientError
from sightline_common.kafka import ConsumerLoop, EventProducer, Received
from sightline_common.kafka.retry import RetryPolicy
from sightline_common.messages import DeadLetter, Envelope, StreamLifecycle
from sightline_common.topics import Topic
from sightline_testkit.kafka import read_all, read_messages
from sightline_testkit.kafka_proxy import KafkaProxy
from sightline_testkit.plugin import Isolated

# Production partition counts (testkit's default is 1): one partition retrying beside the others.
pytestmark = [pytest.mark.integration, pytest.mark.topic_partitions(None)]


def lifecycle(stream_id: str) -> Envelope:
    payload = StreamLifecycle.model_validate(
        {"stream_id": stream_id, "status": "started", "source_kind": "test"}
    )
    return wrap(payload, key=stream_id, producer="test")


def produce_to(bootstrap: str, topic: str, partition: int, *values: bytes) -> None:
    producer = Producer({"bootstrap.servers": bootstrap})
    for value in values:
        producer.produce(topic, value=value, key=b"k", partition=partition)
    assert producer.flush(30) == 0


class Running:
    """A loop on a thread; `stop()` waits for it and re-raises nothing (see `crashed`)."""

    def __init__(self, loop: ConsumerLoop) -> None:
        self.loop = loop
        self.crashed: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.loop.run()
        except BaseException as exc:  # noqa: BLE001 - the test asserts on it
            self.crashed = exc

    def stop(self) -> None:
        self.loop.stop()
        self.thread.join(60)


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, run: Running) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert run.crashed is None, f"the consumer loop died: {run.crashed!r}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def committed(bootstrap: str, group: str, topic: str, partition: int = 0) -> int:
    reader = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        (tp,) = reader.committed([TopicPartition(topic, partition)], timeout=10)
        return int(tp.offset)
    finally:
        reader.close()


def loop_on(
    iso: Isolated,
    topic: str,
    handler: Callable[[Received], None],
    *,
    group: str | None = None,
    model: type[BaseModel] | None = StreamLifecycle,
    producer: EventProducer | None = None,
    bootstrap: str | None = None,
    retry: RetryPolicy | None = None,
    consumer_overrides: dict[str, Any] | None = None,
) -> ConsumerLoop:
    return ConsumerLoop(
        bootstrap=bootstrap or iso.bootstrap,
        group_id=group or f"g-{uuid.uuid4().hex[:8]}",
        client_id="test",
        topics={topic: model},
        producer=producer or EventProducer(iso.bootstrap, "test-out"),
        handler=handler,
        retry=retry,
        consumer_overrides=consumer_overrides,
    )


def test_a_batch_whose_output_failed_delivery_is_handled_again_not_committed(
    isolated: Isolated,
) -> None:
    """The first attempt's output cannot be delivered (its topic does not exist, so it times
    out like a broker outage longer than the delivery timeout): the input must come again."""
    topic = isolated.topics.name(Topic.STREAMS)
    out_topic = isolated.topics.name(Topic.DETECTIONS)
    source = lifecycle("s1")
    produce_to(isolated.bootstrap, topic, 0, encode(source))
    producer = EventProducer(isolated.bootstrap, "test-out", **{"message.timeout.ms": 3000})
    attempts: list[str] = []

    def handler(item: Received) -> None:
        attempts.append(item.event_id)
        target = f"{isolated.topics.prefix}missing" if len(attempts) == 1 else out_topic
        producer.publish(target, lifecycle("out"))

    group = f"g-{uuid.uuid4().hex[:8]}"
    run = Running(loop_on(isolated, topic, handler, group=group, producer=producer))
    try:
        wait_for(lambda: len(attempts) >= 2, 30, "the input to be handled again", run)
        wait_for(lambda: committed(isolated.bootstrap, group, topic) == 1, 30, "commit", run)
    finally:
        run.stop()
    assert attempts == [str(source.event_id)] * 2
    assert len(read_all(isolated.bootstrap, out_topic)) == 1


def test_a_dead_letter_too_large_to_produce_is_cut_and_the_loop_goes_on(
    isolated: Isolated,
) -> None:
    topic = isolated.topics.name(Topic.STREAMS)
    huge = b"\x00" + os.urandom(900_000)  # not an envelope; base64 of it is over 1 MB
    good = lifecycle("s1")
    produce_to(isolated.bootstrap, topic, 0, huge, encode(good))
    seen: list[str] = []

    run = Running(loop_on(isolated, topic, lambda item: seen.append(item.event_id)))
    try:
        wait_for(lambda: bool(seen), 60, "the message after the huge one", run)
    finally:
        run.stop()
    assert run.crashed is None
    assert seen == [str(good.event_id)]
    (letter,) = read_messages(isolated.bootstrap, isolated.topics.dlq(topic))
    payload = letter.payload
    assert isinstance(payload, DeadLetter)
    assert payload.original_truncated
    assert payload.original_size == len(huge)
    assert payload.original_sha256 == hashlib.sha256(huge).hexdigest()
    assert huge.startswith(base64.b64decode(payload.original_b64))


def test_a_dead_letter_topics_own_poison_is_skipped_and_committed(isolated: Isolated) -> None:
    """`reanalysis.dlq` is consumed (results-api); its unprocessable records must neither stop
    the loop nor go to a `.dlq.dlq` topic that nobody creates."""
    dlq = isolated.topics.dlq(isolated.topics.name(Topic.REANALYSIS))
    letter = DeadLetter.model_validate(
        {
            "source_topic": "x",
            "partition": 0,
            "offset": 0,
            "consumer_group": "g",
            "reason": "r",
            "error_type": "E",
            "original_b64": "",
        }
    )
    good = wrap(letter, key="k", producer="test")
    produce_to(isolated.bootstrap, dlq, 0, b"\x00poison", encode(good))
    seen: list[str] = []
    group = f"g-{uuid.uuid4().hex[:8]}"

    loop = loop_on(isolated, dlq, lambda item: seen.append(item.event_id), group=group, model=None)
    run = Running(loop)
    try:
        wait_for(lambda: committed(isolated.bootstrap, group, dlq) == 2, 25, "commit", run)
    finally:
        run.stop()
    assert seen == [str(good.event_id)]


def test_a_transient_failure_that_never_clears_is_dead_lettered_after_the_policy(
    isolated: Isolated,
) -> None:
    topic = isolated.topics.name(Topic.STREAMS)
    stuck, after = lifecycle("stuck"), lifecycle("after")
    produce_to(isolated.bootstrap, topic, 0, encode(stuck), encode(after))
    attempts: list[str] = []
    seen: list[str] = []

    def handler(item: Received) -> None:
        if item.payload.stream_id == "stuck":
            attempts.append(item.event_id)
            raise TransientError("label too long for the index")
        seen.append(item.event_id)

    policy = RetryPolicy(max_attempts=3, max_age_s=0, initial_backoff_s=0.1, max_backoff_s=0.2)
    run = Running(loop_on(isolated, topic, handler, retry=policy))
    try:
        wait_for(lambda: bool(seen), 60, "the message behind the stuck one", run)
    finally:
        run.stop()
    assert seen == [str(after.event_id)]
    assert len(attempts) == 4  # three retried attempts, then the one that gave up
    (letter,) = read_messages(isolated.bootstrap, isolated.topics.dlq(topic))
    assert letter.payload.error_type == "TransientError"
    assert "gave up after 4 transient failures" in letter.payload.reason
    assert letter.payload.event_id == str(stuck.event_id)


def test_a_partition_retrying_does_not_hold_back_the_others(isolated: Isolated) -> None:
    topic = isolated.topics.name(Topic.STREAMS)
    stuck, other = lifecycle("stuck"), lifecycle("other")
    produce_to(isolated.bootstrap, topic, 0, encode(stuck))
    attempts: list[float] = []
    seen: list[str] = []

    def handler(item: Received) -> None:
        if item.payload.stream_id == "stuck":
            attempts.append(time.monotonic())
            raise TransientError("storage down")
        seen.append(item.event_id)

    policy = RetryPolicy(max_attempts=1000, initial_backoff_s=5.0, max_backoff_s=5.0)
    run = Running(loop_on(isolated, topic, handler, retry=policy))
    try:
        wait_for(lambda: bool(attempts), 60, "the first failure", run)
        produce_to(isolated.bootstrap, topic, 1, encode(other))
        sent = time.monotonic()
        wait_for(lambda: bool(seen), 30, "the other partition's message", run)
        waited = time.monotonic() - sent
    finally:
        run.stop()
    assert seen == [str(other.event_id)]
    assert waited < 4.0, "the other partition waited for the stuck one's back-off"


def test_a_member_cut_off_past_its_session_timeout_rejoins_and_catches_up(
    isolated: Isolated,
) -> None:
    """The chaos stall: the broker went away mid-batch for longer than the session timeout;
    the member was evicted and must be assigned again and go on, not wait forever."""
    topic = isolated.topics.name(Topic.STREAMS)
    first = lifecycle("first")
    produce_to(isolated.bootstrap, topic, 0, encode(first))
    seen: list[str] = []
    in_handler = threading.Event()
    release = threading.Event()

    def handler(item: Received) -> None:
        if item.payload.stream_id == "slow":
            in_handler.set()
            release.wait(30)
        seen.append(item.event_id)

    group = f"g-{uuid.uuid4().hex[:8]}"
    with KafkaProxy(isolated.bootstrap) as proxy:
        overrides = {
            "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 1000,
            "max.poll.interval.ms": 60_000,
        }
        loop = loop_on(
            isolated,
            topic,
            handler,
            group=group,
            bootstrap=proxy.bootstrap,
            consumer_overrides=overrides,
        )
        run = Running(loop)
        try:
            wait_for(lambda: bool(seen), 60, "the first message", run)
            slow = lifecycle("slow")
            produce_to(isolated.bootstrap, topic, 0, encode(slow))
            wait_for(in_handler.is_set, 30, "the slow message", run)
            with proxy.outage():
                release.set()  # the batch ends and its offset is stored while cut off
                time.sleep(12)  # twice the session timeout: the broker evicts the member
            after = lifecycle("after")
            produce_to(isolated.bootstrap, topic, 0, encode(after))
            wait_for(lambda: str(after.event_id) in seen, 60, "a message after the outage", run)
            wait_for(lambda: committed(isolated.bootstrap, group, topic) == 3, 30, "commit", run)
            assert loop.alive()
        finally:
            run.stop()
    assert run.crashed is None
