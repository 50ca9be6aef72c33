"""Kafka helpers for tests: isolated topic sets and reading a topic back to its end."""

from __future__ import annotations

import time
import uuid
from typing import Any

from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient

from sightline_common.envelope import Message, decode
from sightline_common.kafka.security import admin_config, client_security
from sightline_common.provision import ensure_topics
from sightline_common.topics import TopicNames


def create_topics(
    bootstrap: str, names: TopicNames, max_partitions: int | None = None
) -> list[str]:
    """Create every topic (and DLQ) under `names.prefix`, each with at most `max_partitions`
    partitions when given (else as `TOPIC_SPECS` shapes it); returns the on-broker names."""
    ensure_topics(bootstrap, names, max_partitions=max_partitions)
    specs = names.all_names()
    _wait_for_metadata(AdminClient(admin_config(bootstrap)), set(specs))
    return list(specs)


def delete_topics(bootstrap: str, topics: list[str]) -> None:
    """Delete test topics; failures are not fatal to a test that already passed."""
    admin = AdminClient(admin_config(bootstrap))
    for future in admin.delete_topics(topics, operation_timeout=30).values():
        try:
            future.result()
        except KafkaException:
            continue


def _wait_for_metadata(admin: AdminClient, names: set[str], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        known = set(admin.list_topics(timeout=10).topics)
        if names <= known:
            return
        time.sleep(0.1)
    raise TimeoutError(f"topics not visible after {timeout}s: {sorted(names - known)}")


def read_all(bootstrap: str, topic: str, timeout: float = 10.0) -> list[Any]:
    """Every raw message on `topic` from the beginning to its current end."""
    consumer = Consumer(
        {
            **client_security(),
            "bootstrap.servers": bootstrap,
            "group.id": f"test-reader-{uuid.uuid4()}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
        }
    )
    try:
        metadata = consumer.list_topics(topic, timeout=10).topics[topic]
        partitions = [TopicPartition(topic, p, 0) for p in metadata.partitions]
        ends = {}
        for tp in partitions:
            ends[tp.partition] = _high_watermark(consumer, tp)
        wanted = {p: end for p, end in ends.items() if end > 0}
        consumer.assign([TopicPartition(topic, p, 0) for p in wanted])
        out: list[Any] = []
        deadline = time.monotonic() + timeout
        while wanted and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            out.append(msg)
            if (msg.offset() or 0) + 1 >= wanted.get(msg.partition() or 0, 0):
                wanted.pop(msg.partition() or 0, None)
        if wanted:
            raise TimeoutError(f"{topic}: did not reach the end of partitions {sorted(wanted)}")
        return out
    finally:
        consumer.close()


def _high_watermark(consumer: Consumer, tp: TopicPartition, timeout: float = 30.0) -> int:
    """The partition's end offset, waiting out leadership moves (e.g. after a broker restart)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            _low, high = consumer.get_watermark_offsets(tp, timeout=10)
        except KafkaException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
        else:
            return int(high)


def group_lag(bootstrap: str, group: str, topic: str) -> int:
    """Messages on `topic` that consumer group `group` (its on-broker name) has not committed."""
    consumer = Consumer({**client_security(), "bootstrap.servers": bootstrap, "group.id": group})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        committed = consumer.committed([TopicPartition(topic, p) for p in partitions], timeout=10)
        return sum(_high_watermark(consumer, tp) - max(tp.offset, 0) for tp in committed)
    finally:
        consumer.close()


def wait_caught_up(bootstrap: str, group: str, topic: str, timeout: float = 120.0) -> None:
    """Wait until `group` has committed everything on `topic`. The services commit only what
    they have handled, so a test reads their results after this instead of sleeping a guess
    at how long a loaded machine takes; the bound only caps a hang."""
    deadline = time.monotonic() + timeout
    while group_lag(bootstrap, group, topic) != 0:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{group} still lags on {topic} after {timeout}s")
        time.sleep(0.2)


def read_messages(bootstrap: str, topic: str, timeout: float = 10.0) -> list[Message[Any]]:
    """Every message on `topic`, decoded and validated against its schema."""
    return [decode(raw.value()) for raw in read_all(bootstrap, topic, timeout)]


def wait_for_messages(
    bootstrap: str, topic: str, count: int, timeout: float = 60.0
) -> list[Message[Any]]:
    """Poll `topic` until it holds at least `count` messages; returns them decoded."""
    deadline = time.monotonic() + timeout
    found: list[Message[Any]] = []
    while time.monotonic() < deadline:
        found = read_messages(bootstrap, topic)
        if len(found) >= count:
            return found
        time.sleep(0.5)
    raise TimeoutError(f"{topic}: {len(found)} of {count} messages after {timeout}s")
