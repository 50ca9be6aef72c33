"""A replay analyses a stream's segments one at a time and in order, as live analysis does, on
the real broker and MinIO.

The analyzers carry per-stream state from one segment to the next (the shot detector the last
frame's histogram, the logo pipeline its tracks and the previous segment's tail). A replay used
to analyse two segments of the stream at once on its worker threads: a small segment decoded
while a large one before it still was got analysed first, so the shot detector compared the
large segment's first frame with the small one's last and reported a cut at the stream's start,
and none where the colour changed.
"""

from __future__ import annotations

import uuid
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
from sightline_common.kafka import EventProducer
from sightline_common.messages import (
    Detection,
    ReanalysisAction,
    ReanalysisPurpose,
    ReanalysisRequest,
)
from sightline_common.storage import ObjectStore
from sightline_common.topics import Topic
from sightline_testkit.kafka import read_messages
from sightline_testkit.plugin import Isolated

pytestmark = pytest.mark.integration

STREAM = "cam-order"
RED, BLUE = (40, 40, 200), (200, 60, 40)


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


def test_a_replay_analyses_a_streams_segments_in_order(isolated: Isolated, tmp_path: Path) -> None:
    settings = DetectorSettings.model_validate(
        {k.removeprefix("SIGHTLINE_").lower(): v for k, v in isolated.env.items()}
        | {"replay_workers": 2}
    )
    # Red, then blue: one cut, on the second segment's first frame. The second is small, so it
    # decodes long before the large first one does.
    scenario = Scenario(settings)
    scenario.add_segment(STREAM, 0, clip(tmp_path, "red", RED, (1280, 720)))
    scenario.add_segment(STREAM, 1, clip(tmp_path, "small-blue", BLUE, (160, 90)))
    scenario.add_segment(STREAM, 2, clip(tmp_path, "blue", BLUE, (1280, 720)))
    run_id = f"reanalysis-{uuid.uuid4().hex[:8]}"
    context = ReplayContext(
        detector="shots",
        version="0.1.0",
        analyzer_keys=("shots",),
        group_id=settings.topics.group("detector-shots"),
        settings=settings,
        store=ObjectStore.from_settings(settings),
        policies=StreamPolicies(),
        producer=EventProducer(settings.kafka_bootstrap, "test-replay-order"),
    )
    request = ReanalysisRequest(
        run_id=run_id,
        action=ReanalysisAction.start,
        purpose=ReanalysisPurpose.reanalysis,
        stream_id=STREAM,
        media_from=0,
        media_to=None,
        wall_from=None,
        wall_to=None,
        config={},
    )
    try:
        outcome = ReplayRun(SingleRequest(request), context, RunSignals.new()).execute()
    finally:
        context.producer.close()
    assert outcome is Outcome.completed

    topic = settings.topics.name(Topic.DETECTIONS)
    detections: list[Detection] = [m.payload for m in read_messages(isolated.bootstrap, topic)]
    cuts = {
        (d.segment.sequence, index)
        for d in detections
        for index, frame in enumerate(d.frames)
        if any(item.kind == "shot_change" for item in frame.results)
    }
    assert sorted(d.segment.sequence for d in detections) == [0, 1, 2]
    assert cuts == {(1, 0)}
