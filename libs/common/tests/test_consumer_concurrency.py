"""A consumer loop with `concurrency` handles several partitions at once (issue #15), against
the real broker, and keeps what the one-at-a-time loop guarantees: each partition's messages
in order, offsets stored only after their effects, transient failures retried.

Records are keyed by stream, so a member owns the streams its partitions happen to hold; one
message at a time, a detector process used at most ~1.2 cores however many of its streams'
segments waited, while the other member idled.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any, ClassVar, cast

import pytest

from sightline_common.envelope import encode
from sightline_common.errors import TransientError
from sightline_common.kafka import ConsumerLoop, EventProducer, Received
from sightline_common.kafka import consumer as consumer_module
from sightline_common.messages import StreamLifecycle
from sightline_common.topics import Topic
from sightline_testkit.plugin import Isolated

from .test_consumer_loop_holes import Running, committed, lifecycle, produce_to, wait_for

# Production partition counts (testkit's default is 1): several partitions handled at once.
pytestmark = [pytest.mark.integration, pytest.mark.topic_partitions(None)]


def concurrent_loop(
    iso: Isolated,
    topic: str,
    group: str,
    handler: Callable[[Received], None],
    concurrency: int,
    inline: Callable[[Received], bool] | None = None,
) -> ConsumerLoop:
    return ConsumerLoop(
        bootstrap=iso.bootstrap,
        group_id=group,
        client_id="test",
        topics={topic: StreamLifecycle},
        producer=EventProducer(iso.bootstrap, "test-out"),
        handler=handler,
        batch_size=1,
        concurrency=concurrency,
        inline=inline,
    )


@pytest.mark.parametrize(("concurrency", "overlapped"), [(2, True), (1, False)])
def test_messages_of_two_partitions_are_handled_at_once(
    isolated: Isolated, concurrency: int, overlapped: bool
) -> None:
    """Each handler waits for the other at a barrier (as an analysis waits on I/O or holds a
    core): only a loop handling both partitions at once gets both through it."""
    topic = isolated.topics.name(Topic.STREAMS)
    group = f"g-{uuid.uuid4().hex[:8]}"
    produce_to(isolated.bootstrap, topic, 0, encode(lifecycle("a")))
    produce_to(isolated.bootstrap, topic, 1, encode(lifecycle("b")))
    barrier = threading.Barrier(2, timeout=10)
    met: list[str] = []
    missed: list[str] = []

    def handler(item: Received) -> None:
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            missed.append(item.payload.stream_id)
        else:
            met.append(item.payload.stream_id)

    run = Running(concurrent_loop(isolated, topic, group, handler, concurrency))
    try:
        wait_for(lambda: len(met) + len(missed) == 2, 60, "both messages handled", run)
    finally:
        run.stop()
    assert run.crashed is None
    if overlapped:
        assert sorted(met) == ["a", "b"]
        assert not missed
    else:
        assert not met, "one message at a time, the barrier cannot be met"
    assert committed(isolated.bootstrap, group, topic, 0) == 1
    assert committed(isolated.bootstrap, group, topic, 1) == 1


def test_each_partition_stays_in_order_and_a_retry_holds_back_only_its_own(
    isolated: Isolated,
) -> None:
    """Many messages on three partitions, two at a time: every one handled once, in order per
    partition, committed to the end; a transient failure is retried in place, not skipped."""
    topic = isolated.topics.name(Topic.STREAMS)
    group = f"g-{uuid.uuid4().hex[:8]}"
    sent: dict[int, list[str]] = {}
    for partition in range(3):
        envelopes = [lifecycle(f"p{partition}-{n}") for n in range(8)]
        produce_to(isolated.bootstrap, topic, partition, *(encode(e) for e in envelopes))
        sent[partition] = [str(e.event_id) for e in envelopes]
    seen: dict[int, list[str]] = {0: [], 1: [], 2: []}
    failed_once: list[str] = []
    lock = threading.Lock()

    def handler(item: Received) -> None:
        with lock:
            if item.payload.stream_id == "p1-3" and not failed_once:
                failed_once.append(item.event_id)
                raise TransientError("storage hiccup")
            seen[item.partition].append(item.event_id)

    run = Running(concurrent_loop(isolated, topic, group, handler, concurrency=2))
    try:
        wait_for(lambda: sum(map(len, seen.values())) == 24, 90, "every message", run)
    finally:
        run.stop()
    assert failed_once, "the transient failure happened"
    assert seen == sent
    for partition in range(3):
        assert committed(isolated.bootstrap, group, topic, partition) == 8


def test_messages_inline_handles_take_no_thread_and_are_stored_at_once(
    isolated: Isolated,
) -> None:
    """`inline` handles what needs no work (a live detector's stale segments) on the loop's
    own thread, in order, up to the first message it leaves to a thread; those are stored at
    once, while another partition's handler still holds a thread."""
    topic = isolated.topics.name(Topic.STREAMS)
    group = f"g-{uuid.uuid4().hex[:8]}"
    produce_to(isolated.bootstrap, topic, 0, encode(lifecycle("busy")))
    names = [f"skip-{n}" for n in range(5)] + ["work", "skip-after"]
    produce_to(isolated.bootstrap, topic, 1, *(encode(lifecycle(n)) for n in names))
    release = threading.Event()
    inlined: list[tuple[str, str]] = []
    handled: list[str] = []

    def inline(item: Received) -> bool:
        stream_id = str(item.payload.stream_id)
        if stream_id.startswith("skip"):
            inlined.append((stream_id, threading.current_thread().name))
            return True
        return False

    def handler(item: Received) -> None:
        if item.payload.stream_id == "busy":
            assert release.wait(60)
        handled.append(item.payload.stream_id)

    run = Running(concurrent_loop(isolated, topic, group, handler, 2, inline))
    try:
        wait_for(lambda: "work" in handled and len(inlined) == 6, 60, "partition 1", run)
        wait_for(lambda: committed(isolated.bootstrap, group, topic, 1) == 7, 30, "stored", run)
        assert handled == ["work"], "the busy handler still holds its thread"
        release.set()
        wait_for(lambda: committed(isolated.bootstrap, group, topic, 0) == 1, 30, "busy", run)
    finally:
        release.set()
        run.stop()
    assert run.crashed is None
    assert [name for name, _ in inlined] == [*names[:5], "skip-after"]
    assert {thread for _, thread in inlined} == {run.thread.name}


def test_with_one_thread_inline_still_meets_every_message(
    isolated: Isolated,
) -> None:
    """A live detector given one analysis thread (a 2-core host shared by two detectors)
    keeps what the threads bring: stale messages handled inline on the loop's thread (and the
    thread's next message taken from the partition served least recently). Without threads the
    loop took messages in fetch order and never asked `inline`: at 6 streams on one thread,
    streams got 0, 0, 1, 3, 6 and 21 live analyses in a minute (e2e bench)."""
    topic = isolated.topics.name(Topic.STREAMS)
    group = f"g-{uuid.uuid4().hex[:8]}"
    produce_to(isolated.bootstrap, topic, 0, *(encode(lifecycle(f"a{n}")) for n in range(3)))
    produce_to(
        isolated.bootstrap, topic, 1, *(encode(lifecycle(n)) for n in ("skip", "b0", "b1", "b2"))
    )
    inlined: list[str] = []
    handled: list[str] = []

    def inline(item: Received) -> bool:
        if item.payload.stream_id == "skip":
            inlined.append(threading.current_thread().name)
            return True
        return False

    def handler(item: Received) -> None:
        handled.append(str(item.payload.stream_id))

    run = Running(concurrent_loop(isolated, topic, group, handler, 1, inline))
    try:
        wait_for(lambda: len(handled) == 6, 60, "every message", run)
    finally:
        run.stop()
    assert run.crashed is None
    assert inlined == [run.thread.name]
    assert [n for n in handled if n.startswith("a")] == ["a0", "a1", "a2"]
    assert [n for n in handled if n.startswith("b")] == ["b0", "b1", "b2"]


class RecordedConsumer:
    """Stands in for librdkafka's consumer: keeps the configuration it is given."""

    configs: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, config: dict[str, Any]) -> None:
        self.configs.append(dict(config))


@pytest.mark.parametrize(
    ("concurrency", "inline", "fetch_wait_ms"),
    [(2, False, 100), (1, True, 100), (1, False, None)],
)
def test_a_loop_that_pauses_partitions_asks_the_broker_not_to_hold_fetches_long(
    monkeypatch: pytest.MonkeyPatch, concurrency: int, inline: bool, fetch_wait_ms: int | None
) -> None:
    """A loop with threads pauses a partition while its message is handled; resumed, the
    partition is fetched again only when the broker answers the fetch already waiting for the
    others, which librdkafka lets it hold 0.5 s: a segment that came meanwhile waited up to
    that long more (`tests/bench/consumer_handover.py`: median handover 0.40 s -> 0.10 s)."""
    monkeypatch.setattr(consumer_module, "Consumer", RecordedConsumer)
    RecordedConsumer.configs.clear()
    ConsumerLoop(
        bootstrap="127.0.0.1:1",
        group_id="g",
        client_id="test",
        topics={"t": StreamLifecycle},
        producer=cast(EventProducer, object()),
        handler=lambda _item: None,
        concurrency=concurrency,
        inline=(lambda _item: False) if inline else None,
    )
    (config,) = RecordedConsumer.configs
    assert config.get("fetch.wait.max.ms") == fetch_wait_ms
