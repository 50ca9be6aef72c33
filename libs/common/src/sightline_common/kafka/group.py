"""Measuring a consumer group's progress from one of its members (for the watchdog)."""

from __future__ import annotations

import structlog
from confluent_kafka import Consumer, KafkaException, TopicPartition

from sightline_common.kafka.watchdog import GroupProgress

log = structlog.get_logger(__name__)

_TIMEOUT_S = 5.0


def group_progress(consumer: Consumer, topics: list[str]) -> GroupProgress:
    """(committed offset, end offset) of every partition of `topics` for `consumer`'s group.

    Blocks for at most a few seconds per call; returns {} when the broker does not answer
    (then nothing can be concluded, and the watchdog concludes nothing).
    """
    try:
        metadata = consumer.list_topics(timeout=_TIMEOUT_S)
        partitions = [
            TopicPartition(topic, partition)
            for topic in topics
            if (found := metadata.topics.get(topic)) is not None and found.error is None
            for partition in found.partitions
        ]
        if not partitions:
            return {}
        committed = consumer.committed(partitions, timeout=_TIMEOUT_S)
        progress: dict[tuple[str, int], tuple[int, int]] = {}
        for tp in committed:
            low, high = consumer.get_watermark_offsets(tp, timeout=_TIMEOUT_S, cached=False)
            # No committed offset yet: the group starts at the beginning (auto.offset.reset).
            position = tp.offset if tp.offset >= 0 else low
            progress[(tp.topic, tp.partition)] = (position, high)
    except KafkaException as exc:
        log.info("consumer.group_progress_unknown", reason=str(exc))
        return {}
    return progress
