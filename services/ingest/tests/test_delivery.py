"""Waiting for the broker: queued events are kept, not produced again, while it is away."""

from __future__ import annotations

import threading

from sightline_common.kafka import EventProducer
from sightline_ingest.delivery import deliver


def test_while_the_broker_is_unreachable_events_stay_queued_and_are_not_reproduced() -> None:
    producer = EventProducer("127.0.0.1:9", "delivery-test", log_level=0)  # port 9: nobody
    sends: list[int] = []

    def send() -> None:
        sends.append(1)
        producer.publish_raw("t", b"k", b"v")

    stopping = threading.Event()
    timer = threading.Timer(3.0, stopping.set)
    timer.start()
    try:
        assert deliver(producer, send, stopping, flush_timeout=0.5, max_backoff=0.5) is False
    finally:
        timer.cancel()
    assert sends == [1]
    assert producer.in_flight() > 0  # still queued in librdkafka, retried when it returns
