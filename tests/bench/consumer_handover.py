"""Consumer handover: a message waiting behind its partition's previous one, how long after
that one's handling ends until the next one's starts (issue #15: a live detector's segment
that came while its stream's previous segment was analysed).

A `ConsumerLoop` with one thread and an inline handler (a live detector on a 2-core host)
handles 12 messages queued on one partition of a private topic on the local platform's broker,
0.1 s each, with the loop's own fetch.wait.max.ms and with librdkafka's default (500 ms) given
back; prints the median and max handover of each. Wall time: note the load.

    .venv/bin/python tests/bench/consumer_handover.py
"""

from __future__ import annotations

import itertools
import os
import statistics
import threading
import time
import uuid

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from sightline_common.envelope import encode, wrap
from sightline_common.kafka import ConsumerLoop, EventProducer, Received
from sightline_common.kafka.security import admin_config
from sightline_common.messages import StreamLifecycle
from sightline_devstack.platform import ensure_up

HANDLED_S = 0.1
QUEUED = 12


def handovers(bootstrap: str, topic: str, overrides: dict[str, int] | None) -> list[float]:
    """Handover gaps of `QUEUED` messages queued on partition 0 of `topic` (a fresh group)."""
    producer = Producer({"bootstrap.servers": bootstrap})
    for n in range(QUEUED):
        payload = StreamLifecycle.model_validate(
            {"stream_id": f"q{n}", "status": "started", "source_kind": "test"}
        )
        value = encode(wrap(payload, key="k", producer="bench"))
        producer.produce(topic, value=value, key=b"k", partition=0)
    assert producer.flush(30) == 0
    spans: list[tuple[float, float]] = []

    def handler(_item: Received) -> None:
        started = time.monotonic()
        time.sleep(HANDLED_S)
        spans.append((started, time.monotonic()))

    loop = ConsumerLoop(
        bootstrap=bootstrap,
        group_id=f"handover-{uuid.uuid4().hex[:8]}",
        client_id="bench",
        topics={topic: StreamLifecycle},
        producer=EventProducer(bootstrap, "bench-out"),
        handler=handler,
        batch_size=1,
        inline=lambda _item: False,
        consumer_overrides=overrides,
    )
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while len(spans) < QUEUED and time.monotonic() < deadline:
        time.sleep(0.1)
    loop.stop()
    thread.join(60)
    return [nxt[0] - prev[1] for prev, nxt in itertools.pairwise(spans)]


def main() -> None:
    bootstrap = ensure_up(say=lambda _: None).as_env()["SIGHTLINE_KAFKA_BOOTSTRAP"]
    admin = AdminClient(admin_config(bootstrap))
    topic = f"bench-handover-{uuid.uuid4().hex[:8]}"
    admin.create_topics([NewTopic(topic, 12, 1)])[topic].result(30)
    print(f"consumer handover, nproc={os.cpu_count()}, load {os.getloadavg()[0]:.1f}")
    try:
        for label, overrides in (
            ("the loop's fetch.wait.max.ms", None),
            ("librdkafka's default (500 ms)", {"fetch.wait.max.ms": 500}),
        ):
            gaps = handovers(bootstrap, topic, overrides)
            print(
                f"  {label}: median {statistics.median(gaps):.3f} s, max {max(gaps):.3f} s "
                f"over {len(gaps)} handovers",
                flush=True,
            )
    finally:
        admin.delete_topics([topic])[topic].result(30)


if __name__ == "__main__":
    main()
