"""Delivers the outbox (lifecycle events and dead letters) to Kafka, oldest first.

Events are written to the outbox in the same state transaction as the change they describe,
so an event is never lost to a crash and never sent for a change that did not happen; a row
is deleted only after the broker acknowledged it.
"""

from __future__ import annotations

import threading

from sightline_common.kafka import EventProducer
from sightline_ingest.delivery import deliver
from sightline_ingest.state import StateStore


class OutboxRelay:
    """One pass (`relay_once`) sends a batch of outbox rows and waits for the broker."""

    def __init__(
        self, state: StateStore, producer: EventProducer, stopping: threading.Event
    ) -> None:
        self._state = state
        self._producer = producer
        self._stopping = stopping

    def relay_once(self, batch: int = 100) -> int:
        """Deliver up to `batch` events; returns how many were acknowledged."""
        events = self._state.outbox(batch)
        if not events:
            return 0

        def send() -> None:
            for event in events:
                self._producer.publish_raw(event.topic, event.key.encode(), event.value)

        if not deliver(self._producer, send, self._stopping):
            return 0
        self._state.delivered(events)
        return len(events)
