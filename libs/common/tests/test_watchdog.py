"""A consumer loop that stops doing its job must fail `/healthz` so it gets restarted."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from sightline_common.envelope import encode, wrap
from sightline_common.kafka import ConsumerLoop, EventProducer, Received
from sightline_common.kafka.group import group_progress
from sightline_common.kafka.watchdog import LoopWatchdog
from sightline_common.messages import StreamLifecycle
from sightline_common.ops import ops_response
from sightline_common.topics import Topic
from sightline_testkit.plugin import Isolated


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_loop_that_stops_turning_is_not_alive() -> None:
    clock = Clock()
    dog = LoopWatchdog(stuck_after_s=10, unassigned_grace_s=60, clock=clock)
    dog.beat(assigned=True)
    clock.now = 9
    assert dog.alive()
    clock.now = 10.5
    assert not dog.alive()
    dog.beat(assigned=True)
    assert dog.alive()


def test_unassigned_while_the_group_lags_without_progress_is_stalled() -> None:
    clock = Clock()
    dog = LoopWatchdog(stuck_after_s=1000, unassigned_grace_s=60, clock=clock)
    dog.beat(assigned=False)
    assert not dog.wants_sample()
    clock.now = 30
    assert dog.wants_sample()
    dog.sampled({("t", 0): (5, 9)})
    clock.now = 60
    dog.beat(assigned=False)
    assert dog.wants_sample()
    dog.sampled({("t", 0): (5, 12)})  # work waits, nobody commits
    assert not dog.alive()
    dog.beat(assigned=True)  # assigned again: healthy
    assert dog.alive()


def test_unassigned_while_another_member_makes_progress_is_fine() -> None:
    clock = Clock()
    dog = LoopWatchdog(stuck_after_s=1000, unassigned_grace_s=60, clock=clock)
    dog.beat(assigned=False)
    clock.now = 30
    dog.sampled({("t", 0): (5, 9)})
    clock.now = 60
    dog.sampled({("t", 0): (8, 12)})
    assert dog.alive()
    clock.now = 90
    dog.sampled({("t", 0): (12, 12)})  # no lag at all
    assert dog.alive()


@pytest.mark.integration
def test_a_stuck_consumer_fails_healthz_and_readyz(isolated: Isolated) -> None:
    topic = isolated.topics.name(Topic.STREAMS)
    producer = EventProducer(isolated.bootstrap, "test")
    payload = StreamLifecycle.model_validate(
        {"stream_id": "s1", "status": "started", "source_kind": "test"}
    )
    producer.publish_raw(topic, b"s1", encode(wrap(payload, key="s1", producer="test")))
    producer.flush()
    entered, release = threading.Event(), threading.Event()

    def stuck(_item: Received) -> None:
        entered.set()
        release.wait(60)  # a call that never returns, as far as the loop can tell

    group = f"g-{uuid.uuid4().hex[:8]}"
    loop = ConsumerLoop(
        bootstrap=isolated.bootstrap,
        group_id=group,
        client_id="test",
        topics={topic: StreamLifecycle},
        producer=producer,
        handler=stuck,
        consumer_overrides={"session.timeout.ms": 6000, "max.poll.interval.ms": 7000},
    )
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    try:
        assert entered.wait(60)
        assert ops_response("/healthz", lambda: loop.ready, loop.alive) is not None
        assert ops_response("/healthz", lambda: loop.ready, loop.alive)[0] == 200  # type: ignore[index]
        started = time.monotonic()
        while loop.alive():
            assert time.monotonic() - started < 30, "the stuck loop still looks alive"
            time.sleep(0.5)
        assert ops_response("/healthz", lambda: loop.ready, loop.alive)[0] == 503  # type: ignore[index]
        assert ops_response("/readyz", lambda: loop.ready, loop.alive)[0] == 503  # type: ignore[index]
        # What the watchdog measures when unassigned: the group's committed and end offsets.
        progress = group_progress(loop._consumer, [topic])
        assert sum(end - committed for committed, end in progress.values()) == 1
    finally:
        release.set()
        loop.stop()
        thread.join(30)
