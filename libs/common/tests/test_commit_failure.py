"""Storing an offset that fails (the partition lost while the group coordinator moves in a
broker restart) must not kill the consumer loop: the batch's effects are durable, the next
owner redelivers them to idempotent sinks. Seen in the chaos run: results-api and detector-logo
exited 1 on COORDINATOR_LOAD_IN_PROGRESS / _WAIT_COORD when the loop still committed itself."""

from __future__ import annotations

from typing import Any

from confluent_kafka import KafkaError, KafkaException

from sightline_common.kafka import ConsumerLoop, EventProducer


class _PartitionGone:
    def __init__(self) -> None:
        self.stored: list[Any] = []

    def store_offsets(self, **kwargs: Any) -> None:
        self.stored.append(kwargs)
        raise KafkaException(KafkaError(KafkaError._STATE))

    def close(self) -> None:
        return None


def _loop() -> ConsumerLoop:
    loop = ConsumerLoop(
        bootstrap="127.0.0.1:1",  # never contacted
        group_id="g",
        client_id="c",
        topics={"t": None},
        producer=EventProducer("127.0.0.1:1", "c"),
        handler=lambda _received: None,
    )
    loop._consumer.close()
    return loop


def test_a_failed_offset_store_is_logged_not_raised() -> None:
    loop = _loop()
    fake = _PartitionGone()
    loop._consumer = fake  # type: ignore[assignment]
    loop._owned.add(("t", 0))
    loop._store({("t", 0): 5})
    assert len(fake.stored) == 1


def test_offsets_of_a_partition_no_longer_owned_are_not_stored() -> None:
    loop = _loop()
    fake = _PartitionGone()
    loop._consumer = fake  # type: ignore[assignment]
    loop._store({("t", 0): 5})  # revoked meanwhile: its next owner starts from the last store
    assert fake.stored == []
