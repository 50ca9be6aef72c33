"""librdkafka configuration shared by producers and consumers."""

from __future__ import annotations

from typing import Any

from sightline_common.kafka.security import client_security


def producer_config(bootstrap: str, client_id: str) -> dict[str, Any]:
    """An idempotent producer: acks from all replicas, no reordering or duplicates on retry."""
    return {
        **client_security(),
        "bootstrap.servers": bootstrap,
        "client.id": client_id,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "compression.type": "lz4",
        # Keep retrying through a broker restart rather than failing events early.
        "delivery.timeout.ms": 300_000,
    }


def consumer_config(bootstrap: str, group_id: str, client_id: str) -> dict[str, Any]:
    """A consumer that commits only what the caller says is done."""
    return {
        **client_security(),
        "bootstrap.servers": bootstrap,
        "group.id": group_id,
        "client.id": client_id,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
        "max.poll.interval.ms": 300_000,
        "session.timeout.ms": 30_000,
        "partition.assignment.strategy": "cooperative-sticky",
    }
