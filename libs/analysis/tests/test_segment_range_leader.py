"""A replay range opened on a topic whose partition has no leader yet waits for one (seen under
load on a topic created moments before) instead of failing the run; other errors still fail."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from sightline_analysis.replay.segment_range import RangeSpec, SegmentRange


class LeaderlessAtFirst:
    """A consumer whose watermark query fails with `code` `failures` times, then answers."""

    def __init__(self, code: int, failures: int) -> None:
        self.code = code
        self.failures = failures
        self.calls = 0

    def get_watermark_offsets(self, _tp: TopicPartition, timeout: float) -> tuple[int, int]:
        self.calls += 1
        if self.calls <= self.failures:
            raise KafkaException(KafkaError(self.code))
        return 3, 7


def reader_over(consumer: LeaderlessAtFirst) -> SegmentRange:
    reader = SegmentRange(
        bootstrap="127.0.0.1:1",  # never contacted: the consumer is replaced
        topic="segments",
        group_id="g",
        client_id="test",
        spec=RangeSpec("cam", 0.0, 1.0),
    )
    reader.close()
    reader._consumer = consumer  # type: ignore[assignment]
    return reader


def test_a_partition_without_a_leader_yet_is_asked_again() -> None:
    consumer = LeaderlessAtFirst(KafkaError.NOT_LEADER_FOR_PARTITION, failures=2)
    assert reader_over(consumer)._watermarks(0) == (3, 7)
    assert consumer.calls == 3


def test_other_errors_fail_at_once() -> None:
    consumer = LeaderlessAtFirst(KafkaError.TOPIC_AUTHORIZATION_FAILED, failures=1)
    with pytest.raises(KafkaException):
        reader_over(consumer)._watermarks(0)
    assert consumer.calls == 1
