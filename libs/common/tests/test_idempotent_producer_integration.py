"""A duplicate send is deduplicated by the idempotent producer (real broker, real retry).

The duplicate is made for real: a proxy between producer and broker lets the Produce request
through, so the broker writes the batch, and then drops the connection instead of passing the
broker's answer on. librdkafka cannot know the batch landed and sends it again. The same test
body runs without idempotence as a control, which must see the batch twice — otherwise the
fault injection proved nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from sightline_common.envelope import wrap
from sightline_common.kafka import EventProducer
from sightline_common.messages import SourceKind, StreamLifecycle, StreamStatus
from sightline_common.topics import Topic
from sightline_testkit.kafka import read_messages
from sightline_testkit.kafka_proxy import KafkaProxy
from sightline_testkit.plugin import Isolated

pytestmark = pytest.mark.integration

BATCH = 10


def send_losing_the_first_answer(
    iso: Isolated, **producer_overrides: Any
) -> tuple[list[str], list[str]]:
    """Send through a proxy that loses the broker's answer to the batch; returns the event
    ids sent and the event ids on the topic afterwards, in log order."""
    topic = iso.topics.name(Topic.STREAMS)
    with KafkaProxy(iso.bootstrap) as proxy:
        sent = send_through(proxy, topic, **producer_overrides)
        assert proxy.lost_produce_responses == 1, "the fault was never injected"
    return sent, [m.event_id for m in read_messages(iso.bootstrap, topic)]


def send_through(proxy: KafkaProxy, topic: str, **producer_overrides: Any) -> list[str]:
    """One envelope delivered, then BATCH more on the same key whose first answer is lost.

    The first delivery settles the partition's leader, so the lost answer is a success (on a
    fresh topic it could be an error answer that wrote nothing). The producer is released on
    return, while the proxy still runs.
    """
    producer = EventProducer(proxy.bootstrap, "test-idempotence", **producer_overrides)
    sent = [publish(producer, topic, 0)]
    producer.flush(60)
    proxy.lose_produce_responses(1)
    sent += [publish(producer, topic, i) for i in range(1, BATCH + 1)]
    producer.flush(60)
    return sent


def publish(producer: EventProducer, topic: str, number: int) -> str:
    """Queue envelope `number` (all on one key, so one partition and one order)."""
    envelope = wrap(
        StreamLifecycle(
            stream_id=f"s{number}", status=StreamStatus.started, source_kind=SourceKind.test
        ),
        key="s1",
        producer="test",
    )
    producer.publish(topic, envelope)
    return str(envelope.event_id)


def test_a_resent_batch_is_written_once_and_in_order_by_the_idempotent_producer(
    isolated: Isolated,
) -> None:
    sent, on_topic = send_losing_the_first_answer(isolated)

    assert on_topic == sent


def test_control_without_idempotence_the_same_resend_is_written_twice(
    isolated: Isolated,
) -> None:
    sent, on_topic = send_losing_the_first_answer(isolated, **{"enable.idempotence": False})

    assert len(on_topic) > len(sent), "no duplicate: the lost answer did not cause a resend"
    assert set(on_topic) == set(sent)
