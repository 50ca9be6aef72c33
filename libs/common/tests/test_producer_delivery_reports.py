"""EventProducer's delivery reports: a failure is counted and reported by `flush` even when
librdkafka hands over a message that cannot say its topic (after a fatal error)."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError

from sightline_common.errors import DeliveryError
from sightline_common.kafka.producer import EventProducer


class _FatallyFailedMessage:
    """What librdkafka reports after a fatal error: reading its topic raises."""

    def topic(self) -> str:
        raise SystemError("<built-in method topic> returned NULL without setting an exception")


def test_a_failure_whose_message_cannot_say_its_topic_is_still_reported() -> None:
    producer = EventProducer("127.0.0.1:1", "test")  # never connects: nothing is queued
    error = KafkaError(KafkaError.TOPIC_AUTHORIZATION_FAILED, "Cluster authorization failed")
    producer._on_delivery(error, _FatallyFailedMessage())  # type: ignore[arg-type]
    with pytest.raises(DeliveryError, match=r"1 message\(s\) not delivered: \?: "):
        producer.flush(timeout=1.0)
