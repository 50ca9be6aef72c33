"""A replay run's checkpoint never passes a segment still being analysed (#16), on the real
broker.

Found by `make chaos --repeat`: the range reader committed the position it had read to (the
first record past the range) when its iteration ended, while the last segments were still
analysed; a replay worker killed right then resumed after them, and their detections were
never produced.
"""

from __future__ import annotations

import uuid

import pytest
from confluent_kafka import Consumer, TopicPartition

from sightline_analysis.replay.segment_range import RangeSpec, SegmentRange
from sightline_analysis.scenario import Scenario
from sightline_analysis.settings import DetectorSettings
from sightline_common.topics import Topic
from sightline_testkit.plugin import Isolated

pytestmark = pytest.mark.integration

STREAM = "cam-cp"


def committed(bootstrap: str, group: str, topic: str, partition: int) -> int:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        (found,) = consumer.committed([TopicPartition(topic, partition)], timeout=10)
        return int(found.offset)
    finally:
        consumer.close()


def test_the_reader_commits_no_further_than_the_first_segment_not_done(
    isolated: Isolated,
) -> None:
    settings = DetectorSettings.model_validate(
        {k.removeprefix("SIGHTLINE_").lower(): v for k, v in isolated.env.items()}
    )
    scenario = Scenario(settings)
    for sequence in range(3):  # media 0, 2, 4: the range [0, 3) holds the first two
        scenario.add_segment(STREAM, sequence, b"x", store=False)
    topic = settings.topics.name(Topic.SEGMENTS)
    group = f"replay-{uuid.uuid4().hex[:8]}"
    reader = SegmentRange(
        bootstrap=isolated.bootstrap,
        topic=topic,
        group_id=group,
        client_id="test",
        spec=RangeSpec(STREAM, 0.0, 3.0),
    )
    try:
        first, second = list(reader)  # read to past the range; its end commits
        assert (first.segment.sequence, second.segment.sequence) == (0, 1)
        partition = first.partition
        assert committed(isolated.bootstrap, group, topic, partition) == first.offset
        reader.done(first)  # the run publishes and checkpoints in order
        assert committed(isolated.bootstrap, group, topic, partition) == second.offset
        reader.done(second)
        assert committed(isolated.bootstrap, group, topic, partition) == second.offset + 1
    finally:
        reader.close()
