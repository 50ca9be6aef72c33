"""One live detector process analyses segments of streams on different partitions at once
(issue #15), on the real platform, and each stream's segments still one at a time, in order.

Segments are keyed by stream, so a process owns whichever streams its partitions hold (with 6
streams and 2 processes one holds 4 or more about 2 times in 3); analysing one segment at a time
it used at most ~1.2 cores (SIFT's OpenCV threads) while segments of its other streams waited
and the other process idled.
"""

from __future__ import annotations

import os
import zlib
from datetime import timedelta
from itertools import combinations, pairwise
from pathlib import Path

import pytest

from sightline_common.topics import TOPIC_SPECS, Topic
from sightline_devstack.ports import ephemeral_port
from sightline_testkit.kafka import read_all
from sightline_testkit.plugin import Isolated

from .tap import DetectionTap, Seen
from .test_overload import _wait_for, clip, live_of, prepare

# Production partition counts (testkit's default is 1): streams chosen on distinct partitions.
pytestmark = [
    pytest.mark.integration,
    pytest.mark.xdist_group("overload"),
    pytest.mark.topic_partitions(None),
]

SEGMENTS = 3  # per stream, all waiting at once
SEGMENT_S = 1.0  # 15 frames, each analysed: long enough for two streams' analyses to overlap


def on_distinct_partitions(count: int) -> list[str]:
    """Stream ids whose segments land on different partitions (librdkafka's default
    partitioner: CRC32 of the key modulo the partition count)."""
    (spec,) = [s for s in TOPIC_SPECS if s.topic is Topic.SEGMENTS]
    chosen: dict[int, str] = {}
    n = 0
    while len(chosen) < count:
        stream_id = f"conc-{n}"
        chosen.setdefault(zlib.crc32(stream_id.encode()) % spec.partitions, stream_id)
        n += 1
    return list(chosen.values())


def niceness_by_thread(pid: int) -> dict[int, int]:
    """Each thread of process `pid` and its niceness (field 19 of /proc/<pid>/task/<tid>/stat)."""
    out: dict[int, int] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        out[int(task.name)] = int(fields[16])
    return out


def analysed_during(seen: Seen) -> tuple[float, float]:
    """When the detector analysed the segment: fetch start to the Detection's creation."""
    end = seen.occurred_at
    start = end - timedelta(milliseconds=seen.detection.timings.total_ms)
    return start.timestamp(), end.timestamp()


@pytest.mark.timeout(600)
def test_one_process_analyses_two_partitions_streams_at_once_each_in_order(
    isolated: Isolated,
) -> None:
    streams = on_distinct_partitions(2)
    scenario = prepare(isolated, streams)
    data = clip(isolated.tmp, SEGMENT_S)
    segments_topic = scenario.settings.topics.name(Topic.SEGMENTS)
    for sequence in range(SEGMENTS):
        for stream_id in streams:
            scenario.add_segment(stream_id, sequence, data, SEGMENT_S)
    records = read_all(isolated.bootstrap, segments_topic)
    partitions = {m.key().decode(): m.partition() for m in records}
    assert len({partitions[s] for s in streams}) == 2, partitions

    tap = DetectionTap(isolated.bootstrap, scenario.settings.topics.name(Topic.DETECTIONS))
    port = ephemeral_port()
    detector = isolated.spawn(
        "sightline_detector_logo",
        SIGHTLINE_HTTP_PORT=str(port),
        SIGHTLINE_MAX_LIVE_LAG_S="0",  # analyse every segment: none is shed
        SIGHTLINE_LIVE_CONCURRENCY="2",
    )
    try:
        _wait_for(lambda: len(live_of(tap.seen())) == SEGMENTS * 2, 300, "every segment")
        by_segment = live_of(tap.seen())
        niceness = niceness_by_thread(detector.pid)
    finally:
        tap.close()

    # The detector runs nicer than it was started (the default, 5), every thread of it: the
    # cheap services on the host come first, analysis and its libraries' threads take the rest.
    started_at = os.getpriority(os.PRIO_PROCESS, 0)  # this thread's, which the child inherited
    assert set(niceness.values()) == {min(19, started_at + 5)}, niceness

    assert {key: len(s) for key, s in by_segment.items() if len(s) > 1} == {}
    spans = {key: analysed_during(s[0]) for key, s in by_segment.items()}
    for stream_id in streams:
        # One at a time, in order, within a stream.
        own = [spans[(stream_id, sequence)] for sequence in range(SEGMENTS)]
        assert all(a[1] <= b[0] for a, b in pairwise(own)), own
    overlapping = [
        (a, b)
        for a, b in combinations(sorted(spans), 2)
        if a[0] != b[0] and spans[a][0] < spans[b][1] and spans[b][0] < spans[a][1]
    ]
    assert overlapping, f"no two streams' segments were analysed at once: {spans}"
