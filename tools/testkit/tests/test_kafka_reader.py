"""The testkit's topic reads keep one client per wait and read only what is new on each poll; what
they return must be what a fresh read from the beginning returns: every message to the topic's
end, across partitions, none twice."""

from __future__ import annotations

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka import Message as KafkaMessage

from sightline_common.envelope import wrap
from sightline_common.kafka import EventProducer
from sightline_common.kafka.security import client_security
from sightline_common.topics import Topic
from sightline_testkit.kafka import (
    TopicReader,
    group_lag,
    read_all,
    wait_caught_up,
    wait_for_messages,
)
from sightline_testkit.messages import detection
from sightline_testkit.plugin import Isolated

# Production partition counts: the reads span several partitions.
pytestmark = [pytest.mark.integration, pytest.mark.topic_partitions(None)]


def publish(isolated: Isolated, topic: str, streams: list[str], seq: int) -> None:
    """One Detection per stream (keyed by stream: spread over the topic's partitions)."""
    producer = EventProducer(isolated.bootstrap, "testkit-test")
    for stream_id in streams:
        producer.publish(topic, wrap(detection(stream_id, seq, []), key=stream_id, producer="t"))
    producer.flush()


def ids(messages: list[KafkaMessage]) -> list[tuple[int | None, int | None]]:
    """(partition, offset) of raw messages, in the order read."""
    return [(m.partition(), m.offset()) for m in messages]


def test_a_reader_reads_from_the_beginning_then_only_what_is_new(isolated: Isolated) -> None:
    topic = isolated.topics.name(Topic.DETECTIONS)
    streams = [f"s{n}" for n in range(6)]
    reader = TopicReader(isolated.bootstrap, topic)
    try:
        assert reader.read_to_end() == []
        publish(isolated, topic, streams, 0)
        first = reader.read_to_end()
        assert len({m.partition() for m in first}) > 1  # the read spans partitions
        publish(isolated, topic, streams, 1)
        second = reader.read_to_end()
    finally:
        reader.close()
    assert ids(second[: len(first)]) == ids(first)
    fresh = read_all(isolated.bootstrap, topic)
    assert sorted(ids(second)) == sorted(ids(fresh))
    assert len(set(ids(second))) == len(second) == 2 * len(streams)


def test_waiting_for_messages_returns_each_once_decoded(isolated: Isolated) -> None:
    topic = isolated.topics.name(Topic.DETECTIONS)
    publish(isolated, topic, ["a", "b", "c"], 0)
    found = wait_for_messages(isolated.bootstrap, topic, 3, timeout=30)
    assert sorted(m.envelope.key for m in found) == ["a", "b", "c"]


def test_waiting_for_a_group_returns_once_it_committed_the_end(isolated: Isolated) -> None:
    topic = isolated.topics.name(Topic.DETECTIONS)
    group = isolated.topics.group("testkit-lag")
    publish(isolated, topic, ["a", "b", "c", "d"], 0)
    assert group_lag(isolated.bootstrap, group, topic) == 4
    with pytest.raises(TimeoutError):
        wait_caught_up(isolated.bootstrap, group, topic, timeout=1)
    committer = Consumer(
        {**client_security(), "bootstrap.servers": isolated.bootstrap, "group.id": group}
    )
    try:
        ends = [
            TopicPartition(topic, p, committer.get_watermark_offsets(TopicPartition(topic, p))[1])
            for p in committer.list_topics(topic, timeout=10).topics[topic].partitions
        ]
        committer.commit(offsets=ends, asynchronous=False)
    finally:
        committer.close()
    wait_caught_up(isolated.bootstrap, group, topic, timeout=60)
    assert group_lag(isolated.bootstrap, group, topic) == 0
