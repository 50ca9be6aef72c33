"""Backfill scheduling on the real platform: a stream's many small backfill ranges (as a live
detector shedding under load requests them) are analysed by one run with one analyzer start-up,
a reanalysis a user requested meanwhile is not queued behind them, and every shed segment gets
exactly one live Detection, the segments between the ranges none.

Session 9 measured the gap this closes: a 60-segment reanalysis waited 64 s for its first
detection behind backfill runs of 1-2 segments, each with its own start-up, in the replay
worker's one run slot.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest

from sightline_analysis.backfill import BackfillRequests
from sightline_analysis.scenario import Scenario
from sightline_analysis.shedding import BackfillRange
from sightline_common.envelope import wrap
from sightline_common.kafka import EventProducer
from sightline_common.messages import (
    AnalysisMode,
    ExecutorKind,
    ReanalysisAction,
    ReanalysisPurpose,
    ReanalysisRequest,
    SegmentReady,
)
from sightline_common.topics import Topic
from sightline_testkit.plugin import Isolated

from .tap import DetectionTap, Seen
from .test_overload import ACME, clip, start_replay

# Production partition counts (testkit's default is 1): scheduling across partitions.
pytestmark = [pytest.mark.integration, pytest.mark.topic_partitions(None)]

SHED = "bf"  # the stream whose live analysis skipped some segments
USER = "usr"  # the stream a user asks to re-analyse
SEGMENTS = 8
SKIPPED = [[0], [2], [4, 5], [7]]  # as four ranges: 1, 3 and 6 were analysed live
USER_SEGMENTS = 4


def backfill_range(segments: list[SegmentReady]) -> BackfillRange:
    """The range a live detector hands over after skipping `segments` in a row."""
    first, *rest = segments
    skipped = BackfillRange(
        first.stream_id,
        first.sequence,
        first.sequence,
        1,
        first.media_start,
        first.media_start + first.duration / 2,
        first.wall_clock,
    )
    for segment in rest:
        skipped = skipped.extended(segment)
    return skipped


def executions(log: Path, stream_id: str) -> int:
    """How many executions (analyzer start-ups) the replay worker's log shows for the stream."""
    ended = 0
    for line in log.read_text(errors="replace").splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if event.get("event") == "replay.job_ended" and event.get("stream_id") == stream_id:
            ended += 1
    return ended


@pytest.mark.timeout(900)
def test_small_backfill_ranges_run_as_one_job_and_a_reanalysis_is_not_queued_behind_them(
    isolated: Isolated,
) -> None:
    scenario = Scenario(isolated.settings())
    scenario.add_logo("acme-1", "acme", ACME)
    for stream_id in (SHED, USER):
        scenario.set_policy(stream_id, [ExecutorKind.local], 2, detectors=["logo"])
    topics = scenario.settings.topics
    data = clip(isolated.tmp)
    shed = [scenario.add_segment(SHED, k, data) for k in range(SEGMENTS)]
    for k in range(USER_SEGMENTS):
        scenario.add_segment(USER, k, data)
    replay = start_replay(isolated)
    tap = DetectionTap(isolated.bootstrap, topics.name(Topic.DETECTIONS))
    producer = EventProducer(isolated.bootstrap, "test-live")
    requests = BackfillRequests(
        detector="logo",
        publish=producer.publish,
        topic=topics.name(Topic.REANALYSIS),
        producer_id="detector-logo/test",
    )
    user_run = "user-rerun"
    try:
        for sequences in SKIPPED:
            requests.hand_over(backfill_range([shed[k] for k in sequences]))
        producer.flush()
        request = ReanalysisRequest(
            run_id=user_run,
            action=ReanalysisAction.start,
            purpose=ReanalysisPurpose.reanalysis,
            stream_id=USER,
            media_from=0,
            media_to=USER_SEGMENTS * 2.0,
            detectors=["logo"],
            config={},
            wall_from=None,
            wall_to=None,
        )
        producer.publish(
            topics.name(Topic.REANALYSIS), wrap(request, key=user_run, producer="results-api")
        )
        producer.flush()
        backfilled = {k for sequences in SKIPPED for k in sequences}

        def finished() -> bool:
            seen = tap.seen()
            return {
                s.detection.segment.sequence for s in _of(seen, SHED, "live")
            } >= backfilled and (
                len({s.detection.segment.sequence for s in _of(seen, USER, user_run)})
                == USER_SEGMENTS
            )

        deadline = time.monotonic() + 600
        while not finished():
            assert time.monotonic() < deadline, replay.tail()
            time.sleep(0.5)
        time.sleep(3)  # anything published twice would show up by now
        seen = tap.seen()
    finally:
        tap.close()
        producer.close()

    live = _of(seen, SHED, "live")
    # Every skipped segment once, by the backfill run of its own range; the others not at all.
    assert Counter(s.detection.segment.sequence for s in live) == Counter(backfilled)
    for s in live:
        analysis = s.detection.analysis
        assert analysis is not None
        assert analysis.mode is AnalysisMode.backfill
        first = _range_of(s.detection.segment.sequence)[0]
        assert analysis.backfill_run_id == f"backfill-logo-{SHED}-{first}"
        assert any(r.label == "acme" for f in s.detection.frames for r in f.results)
    # The four ranges took at most two start-ups (one more if the run gave way mid-range).
    assert 1 <= executions(replay.log_path, SHED) <= 2, replay.tail(80)
    # The reanalysis was not queued behind the backfill: it ended before the backfill did.
    user = _of(seen, USER, user_run)
    assert len(user) == USER_SEGMENTS
    assert max(s.occurred_at for s in user) < max(s.occurred_at for s in live)


def _of(seen: list[Seen], stream_id: str, run_id: str) -> list[Seen]:
    return [s for s in seen if s.detection.stream_id == stream_id and s.detection.run_id == run_id]


def _range_of(sequence: int) -> list[int]:
    return next(sequences for sequences in SKIPPED if sequence in sequences)
