"""Backfill and reanalysis runs on the real broker and MinIO.

A run dead-letters a segment it can never analyse (#16). Chaos found the gap: after a broker
restart the live detector shed the injected garbage segment as too old and handed it to a
backfill run, which only logged it, so it never reached `segments.dlq`. A backfill's dead letter
must be the one live analysis would have produced (same record, group and event id); a
reanalysis run's is its own.

A run analyses a stream's segments one at a time and in order, as live analysis does: the
analyzers carry per-stream state from one segment to the next (the shot detector the last
frame's histogram, the logo pipeline its tracks and the previous segment's tail). A replay used
to analyse two segments of the stream at once on its worker threads: a small segment decoded
while a large one before it still was got analysed first, so the shot detector compared the
large segment's first frame with the small one's last and reported a cut at the stream's start,
and none where the colour changed.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from sightline_analysis.policies import StreamPolicies
from sightline_analysis.replay.run import (
    Outcome,
    ReplayContext,
    ReplayRun,
    RunSignals,
    SingleRequest,
)
from sightline_analysis.scenario import Scenario
from sightline_analysis.settings import DetectorSettings
from sightline_analysis.synthetic import write_ts
from sightline_common.envelope import deterministic_event_id
from sightline_common.errors import StorageUnavailableError
from sightline_common.kafka import EventProducer
from sightline_common.messages import (
    DeadLetter,
    Detection,
    ReanalysisAction,
    ReanalysisPurpose,
    ReanalysisRequest,
)
from sightline_common.storage import ObjectStore
from sightline_common.topics import Topic
from sightline_testkit.kafka import read_all, read_messages
from sightline_testkit.plugin import Isolated

pytestmark = pytest.mark.integration

GARBAGE = b"\x47\x00garbage" * 500  # what the chaos run announces on `segments`
STREAM = "cam-dl"
RED, BLUE = (40, 40, 200), (200, 60, 40)


def settings_of(isolated: Isolated) -> DetectorSettings:
    return DetectorSettings.model_validate(
        {k.removeprefix("SIGHTLINE_").lower(): v for k, v in isolated.env.items()}
    )


def execute(
    settings: DetectorSettings,
    producer: EventProducer,
    purpose: ReanalysisPurpose,
    analyzer: str = "colours",
    stream: str = STREAM,
) -> tuple[str, Outcome]:
    """One run of a detector of `analyzer` over the whole stream; (run id, outcome)."""
    run_id = f"{purpose.value}-{uuid.uuid4().hex[:8]}"
    context = ReplayContext(
        detector=analyzer,
        version="0.1.0",
        analyzer_keys=(analyzer,),
        group_id=settings.topics.group(f"detector-{analyzer}"),
        settings=settings,
        store=ObjectStore.from_settings(settings),
        policies=StreamPolicies(),
        producer=producer,
    )
    request = ReanalysisRequest(
        run_id=run_id,
        action=ReanalysisAction.start,
        purpose=purpose,
        stream_id=stream,
        media_from=0,
        media_to=None,
        wall_from=None,
        wall_to=None,
        config={},
    )
    return run_id, ReplayRun(SingleRequest(request), context, RunSignals.new()).execute()


def test_an_unanalysable_segment_is_dead_lettered_by_backfill_as_live_would_and_by_a_rerun(
    isolated: Isolated, logo_segment: bytes
) -> None:
    settings = settings_of(isolated)
    scenario = Scenario(settings)
    scenario.add_segment(STREAM, 0, logo_segment)
    scenario.add_segment(STREAM, 1, GARBAGE)
    scenario.add_segment(STREAM, 2, logo_segment)
    segments = settings.topics.name(Topic.SEGMENTS)
    garbage_record = read_all(isolated.bootstrap, segments)[1]
    live_group = settings.topics.group("detector-colours")
    producer = EventProducer(settings.kafka_bootstrap, "test-replay")
    try:
        _, first = execute(settings, producer, ReanalysisPurpose.backfill)
        # The live detector sheds the range again after a restart: another backfill run.
        _, again = execute(settings, producer, ReanalysisPurpose.backfill)
        rerun_id, rerun = execute(settings, producer, ReanalysisPurpose.reanalysis)
    finally:
        producer.close()
    assert (first, again, rerun) == (Outcome.completed,) * 3

    letters = read_messages(isolated.bootstrap, f"{segments}.dlq")
    assert len(letters) == 3
    backfill, backfill_again, by_rerun = letters
    as_live = str(
        deterministic_event_id(
            "dead-letter", segments, garbage_record.partition(), garbage_record.offset(), live_group
        )
    )
    # The same event live analysis would have produced, however often a backfill meets it.
    assert str(backfill.event_id) == str(backfill_again.event_id) == as_live
    payload: DeadLetter = backfill.payload
    assert payload.consumer_group == live_group
    assert (payload.source_topic, payload.offset) == (segments, garbage_record.offset())
    assert base64.b64decode(payload.original_b64) == garbage_record.value()
    assert payload.error_type == "CorruptMediaError"
    assert payload.reason.strip()
    rerun_letter: DeadLetter = by_rerun.payload
    assert rerun_letter.consumer_group == f"{live_group}-replay-{rerun_id}"
    assert str(by_rerun.event_id) != as_live

    # The segments around it were analysed by every run.
    topic = settings.topics.name(Topic.DETECTIONS)
    detections: list[Detection] = [m.payload for m in read_messages(isolated.bootstrap, topic)]
    assert sorted((d.run_id, d.segment.sequence) for d in detections) == sorted(
        [("live", 0), ("live", 2)] * 2 + [(rerun_id, 0), (rerun_id, 2)]
    )


def clip(tmp_path: Path, name: str, colour: tuple[int, int, int], size: tuple[int, int]) -> bytes:
    """2 s at 15 fps of `colour` under fine noise: slow to decode when large."""
    rng = np.random.default_rng(7)
    width, height = size
    frames = [
        np.clip(np.array(colour) + rng.integers(-12, 13, (height, width, 3)), 0, 255).astype(
            np.uint8
        )
        for _ in range(30)
    ]
    return write_ts(frames, tmp_path / f"{name}.ts", fps=15).read_bytes()


def test_a_run_analyses_a_streams_segments_in_order(isolated: Isolated, tmp_path: Path) -> None:
    # Stretches of two segments, two analysed at once: each must start from the state the
    # segments before it leave, as if the stream were analysed in order.
    settings = settings_of(isolated).model_copy(
        update={"replay_workers": 2, "replay_stretch_segments": 2}
    )
    red, blue = clip(tmp_path, "red", RED, (1280, 720)), clip(tmp_path, "blue", BLUE, (1280, 720))
    # A small segment decodes long before a large one before it does.
    small_red = clip(tmp_path, "small-red", RED, (160, 90))
    small_blue = clip(tmp_path, "small-blue", BLUE, (160, 90))
    scenario = Scenario(settings)
    for sequence, data in enumerate([red, small_blue, small_blue, blue, red, small_red]):
        scenario.add_segment("cam-order", sequence, data)
    producer = EventProducer(settings.kafka_bootstrap, "test-replay-order")
    try:
        _, outcome = execute(settings, producer, ReanalysisPurpose.reanalysis, "shots", "cam-order")
    finally:
        producer.close()
    assert outcome is Outcome.completed

    topic = settings.topics.name(Topic.DETECTIONS)
    detections: list[Detection] = [m.payload for m in read_messages(isolated.bootstrap, topic)]
    assert [d.segment.sequence for d in detections] == list(range(6))
    cuts = {
        (d.segment.sequence, index)
        for d in detections
        for index, frame in enumerate(d.frames)
        if any(item.kind == "shot_change" for item in frame.results)
    }
    # Where the colour changes, and only there: 1 (the stretch's first), 4 (its second).
    assert cuts == {(1, 0), (4, 0)}


class FlakyStore(ObjectStore):
    """MinIO, but the first read of `flaky` fails as an unreachable store does."""

    def __init__(self, store: ObjectStore, flaky: str) -> None:
        super().__init__(store.client)
        self.flaky: str | None = flaky

    def get_bytes(self, bucket: str, key: str) -> bytes:
        if key == self.flaky:
            self.flaky = None
            raise StorageUnavailableError("storage did not answer")
        return super().get_bytes(bucket, key)


@dataclass
class TwoRanges:
    """One execution's work of two requests, as the coordinator hands a stream's backfill
    ranges over."""

    requests: list[ReanalysisRequest]
    done: list[str] = field(default_factory=list)

    def next(self) -> ReanalysisRequest | None:
        return self.requests.pop(0) if self.requests else None

    def completed(self, request: ReanalysisRequest) -> None:
        self.done.append(request.run_id)


def test_a_segment_of_a_later_range_is_retried_after_a_transient_failure(
    isolated: Isolated, logo_segment: bytes
) -> None:
    settings = settings_of(isolated)
    scenario = Scenario(settings)
    keys = [scenario.add_segment("cam-two", k, logo_segment).object_key for k in range(4)]
    store = FlakyStore(ObjectStore.from_settings(settings), keys[2])
    producer = EventProducer(settings.kafka_bootstrap, "test-replay-retry")
    context = ReplayContext(
        detector="colours",
        version="0.1.0",
        analyzer_keys=("colours",),
        group_id=settings.topics.group("detector-colours"),
        settings=settings,
        store=store,
        policies=StreamPolicies(),
        producer=producer,
    )
    work = TwoRanges(
        [
            ReanalysisRequest(
                run_id=f"backfill-{k}",
                action=ReanalysisAction.start,
                purpose=ReanalysisPurpose.backfill,
                stream_id="cam-two",
                media_from=2.0 * first,
                media_to=2.0 * (first + 2),
                wall_from=None,
                wall_to=None,
                config={},
            )
            for k, first in enumerate((0, 2))
        ]
    )
    try:
        outcome = ReplayRun(work, context, RunSignals.new()).execute()
    finally:
        producer.close()
    assert outcome is Outcome.completed
    assert work.done == ["backfill-0", "backfill-1"]
    topic = settings.topics.name(Topic.DETECTIONS)
    detections: list[Detection] = [m.payload for m in read_messages(isolated.bootstrap, topic)]
    assert sorted(d.segment.sequence for d in detections) == [0, 1, 2, 3]
