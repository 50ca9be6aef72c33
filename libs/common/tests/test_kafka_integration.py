"""The shared Kafka I/O against the real broker: delivery, dead letters, retries, crashes."""

from __future__ import annotations

import base64
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from sightline_common.envelope import wrap
from sightline_common.errors import TransientError
from sightline_common.kafka import ConsumerLoop, EventProducer, Received
from sightline_common.messages import DeadLetter, StreamLifecycle
from sightline_common.topics import Topic
from sightline_testkit.kafka import read_all, read_messages
from sightline_testkit.plugin import Isolated
from sightline_testkit.processes import ChildProcess

pytestmark = pytest.mark.integration
# Tests of order across keys, group members taking over partitions or concurrency 2 ask for the
# production partition counts (testkit's default is 1); one message's fate needs one partition.
SPREAD = pytest.mark.topic_partitions(None)

HERE = Path(__file__).parent


def lifecycle(stream_id: str, status: str = "started") -> StreamLifecycle:
    return StreamLifecycle.model_validate(
        {"stream_id": stream_id, "status": status, "source_kind": "test"}
    )


def run_loop_until(loop: ConsumerLoop, done: Callable[[], bool], timeout: float = 30.0) -> None:
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    try:
        while not done():
            assert time.monotonic() < deadline, "consumer did not finish in time"
            time.sleep(0.1)
    finally:
        loop.stop()
        thread.join(30)
    assert not thread.is_alive()


def make_loop(iso: Isolated, topic: str, handler: Callable[[Received], None]) -> ConsumerLoop:
    return ConsumerLoop(
        bootstrap=iso.bootstrap,
        group_id=f"g-{uuid.uuid4().hex[:8]}",
        client_id="test",
        topics={topic: StreamLifecycle},
        producer=EventProducer(iso.bootstrap, "test-dlq"),
        handler=handler,
    )


@SPREAD
def test_envelopes_flow_through_the_broker_in_order_per_stream(isolated: Isolated) -> None:
    topic = isolated.topics.name(Topic.STREAMS)
    producer = EventProducer(isolated.bootstrap, "test")
    sent = []
    for i in range(20):
        envelope = wrap(lifecycle(f"s{i % 3}"), key=f"s{i % 3}", producer="test")
        producer.publish(topic, envelope)
        sent.append(envelope)
    producer.flush()

    seen: list[Received] = []
    run_loop_until(make_loop(isolated, topic, seen.append), lambda: len(seen) >= 20)

    assert sorted(r.event_id for r in seen) == sorted(str(e.event_id) for e in sent)
    for stream in ("s0", "s1", "s2"):
        expected = [str(e.event_id) for e in sent if e.key == stream]
        assert [r.event_id for r in seen if r.payload.stream_id == stream] == expected


def test_malformed_message_is_dead_lettered_and_the_next_one_handled(isolated: Isolated) -> None:
    topic = isolated.topics.name(Topic.STREAMS)
    producer = EventProducer(isolated.bootstrap, "test")
    producer.publish_raw(topic, b"s1", b"\x00not json at all")
    good = wrap(lifecycle("s1"), key="s1", producer="test")
    producer.publish(topic, good)
    producer.flush()

    seen: list[Received] = []
    run_loop_until(make_loop(isolated, topic, seen.append), lambda: len(seen) >= 1)

    assert [r.event_id for r in seen] == [str(good.event_id)]
    dead = read_messages(isolated.bootstrap, isolated.topics.dlq(topic))
    assert len(dead) == 1
    letter = dead[0].payload
    assert isinstance(letter, DeadLetter)
    assert "not a valid envelope" in letter.reason
    assert base64.b64decode(letter.original_b64) == b"\x00not json at all"
    assert letter.source_topic == topic


def test_handler_crash_is_dead_lettered_with_its_reason(isolated: Isolated) -> None:
    topic = isolated.topics.name(Topic.STREAMS)
    producer = EventProducer(isolated.bootstrap, "test")
    bad = wrap(lifecycle("boom"), key="boom", producer="test")
    good = wrap(lifecycle("fine"), key="boom", producer="test")
    producer.publish(topic, bad)
    producer.publish(topic, good)
    producer.flush()

    seen: list[str] = []

    def handler(item: Received) -> None:
        if item.payload.stream_id == "boom":
            raise ValueError("analyzer exploded")
        seen.append(item.event_id)

    run_loop_until(make_loop(isolated, topic, handler), lambda: len(seen) >= 1)

    assert seen == [str(good.event_id)]
    (letter,) = read_messages(isolated.bootstrap, isolated.topics.dlq(topic))
    assert letter.payload.reason == "ValueError: analyzer exploded"
    assert letter.payload.event_id == str(bad.event_id)


def test_transient_failure_is_retried_and_never_dead_lettered(isolated: Isolated) -> None:
    topic = isolated.topics.name(Topic.STREAMS)
    producer = EventProducer(isolated.bootstrap, "test")
    envelope = wrap(lifecycle("s1"), key="s1", producer="test")
    producer.publish(topic, envelope)
    producer.flush()

    attempts: list[str] = []

    def flaky(item: Received) -> None:
        attempts.append(item.event_id)
        if len(attempts) < 3:
            raise TransientError("storage down")

    run_loop_until(make_loop(isolated, topic, flaky), lambda: len(attempts) >= 3)

    assert attempts == [str(envelope.event_id)] * 3
    assert read_all(isolated.bootstrap, isolated.topics.dlq(topic)) == []


def _consumer_child(
    iso: Isolated, topic: str, group: str, record: Path, **env: str
) -> ChildProcess:
    return ChildProcess(
        [sys.executable, str(HERE / "consumer_process.py")],
        {"BOOTSTRAP": iso.bootstrap, "TOPIC": topic, "GROUP": group, "RECORD": str(record), **env},
        iso.tmp / "logs" / f"consumer-{len(iso.children)}.log",
        "consumer",
    )


def _wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@SPREAD
@pytest.mark.parametrize("concurrency", ["1", "2"])
def test_sigkill_between_handle_and_commit_redelivers(isolated: Isolated, concurrency: str) -> None:
    topic = isolated.topics.name(Topic.STREAMS)
    producer = EventProducer(isolated.bootstrap, "test")
    first = wrap(lifecycle("s1"), key="s1", producer="test")
    second = wrap(lifecycle("s1", "stopped"), key="s1", producer="test")
    producer.publish(topic, first)
    producer.publish(topic, second)
    producer.flush()
    record = isolated.tmp / "record.txt"
    group = f"g-{uuid.uuid4().hex[:8]}"
    # The broker's shortest session (group.min.session.timeout.ms), not the services' 30 s: the
    # survivor gets the partition once the killed member's session has expired, and what is
    # tested (the uncommitted message comes again) does not depend on how long that takes.
    session = {"SESSION_TIMEOUT_MS": "6000", "CONCURRENCY": concurrency}

    victim = _consumer_child(isolated, topic, group, record, KILL_ON=str(first.event_id), **session)
    isolated.children.append(victim)
    victim.start()
    assert victim.wait(60) == -signal.SIGKILL
    assert record.read_text().splitlines() == [f"handled {first.event_id}"]

    survivor = _consumer_child(isolated, topic, group, record, **session)
    isolated.children.append(survivor)
    survivor.start()
    # Not before the killed member's session has expired; the bound only caps a hang (it would
    # also cover the services' 30-s session on a loaded machine).
    _wait_for(lambda: f"handled {second.event_id}" in record.read_text(), 180, "redelivery")
    assert record.read_text().splitlines() == [
        f"handled {first.event_id}",
        f"handled {first.event_id}",  # seen again: it was never committed
        f"handled {second.event_id}",
    ]


@SPREAD
@pytest.mark.parametrize("concurrency", ["1", "2"])
def test_sigterm_finishes_the_in_flight_message_and_commits_it(
    isolated: Isolated, concurrency: str
) -> None:
    topic = isolated.topics.name(Topic.STREAMS)
    producer = EventProducer(isolated.bootstrap, "test")
    envelope = wrap(lifecycle("s1"), key="s1", producer="test")
    producer.publish(topic, envelope)
    producer.flush()
    record = isolated.tmp / "record.txt"
    group = f"g-{uuid.uuid4().hex[:8]}"

    child = _consumer_child(
        isolated, topic, group, record, SLOW_SECONDS="3", CONCURRENCY=concurrency
    )
    isolated.children.append(child)
    child.start()
    _wait_for(lambda: record.exists() and "begin" in record.read_text(), 60, "handling to begin")
    child.signal(signal.SIGTERM)
    assert child.wait(30) == 0
    assert f"handled {envelope.event_id}" in record.read_text()

    # The offset was committed: a new member of the same group does not see the message again.
    again = _consumer_child(isolated, topic, group, isolated.tmp / "again.txt")
    isolated.children.append(again)
    marker = wrap(lifecycle("s2"), key="s2", producer="test")
    producer.publish(topic, marker)
    producer.flush()
    again.start()
    again_record = isolated.tmp / "again.txt"
    _wait_for(again_record.exists, 60, "the marker message")
    _wait_for(lambda: str(marker.event_id) in again_record.read_text(), 30, "the marker")
    assert str(envelope.event_id) not in again_record.read_text()
