"""Waiting for the broker to acknowledge, without producing duplicates while it is down."""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog

from sightline_common.errors import DeliveryError
from sightline_common.kafka import EventProducer

log = structlog.get_logger(__name__)


def deliver(
    producer: EventProducer,
    send: Callable[[], None],
    stopping: threading.Event,
    *,
    flush_timeout: float = 10.0,
    max_backoff: float = 10.0,
) -> bool:
    """Call `send` (which queues messages) and wait until the broker acknowledged them.

    While the broker is unreachable the messages stay queued in the producer (librdkafka keeps
    retrying them); they are produced again only if the producer gave up on them. Returns
    False if asked to stop first: nothing is then recorded as delivered, and the caller's next
    attempt (maybe after a restart) produces the same events with the same ids.
    """
    send()
    backoff = 0.5
    while True:
        try:
            producer.flush(flush_timeout)
        except DeliveryError as exc:
            log.warning("kafka.delivery_pending", reason=str(exc), retry_in=backoff)
            if producer.in_flight() == 0:
                send()
        else:
            return True
        if stopping.wait(backoff):
            return False
        backoff = min(backoff * 2, max_backoff)
