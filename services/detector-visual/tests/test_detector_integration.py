"""detector-visual end to end on the real platform: faces (MTCNN on TensorFlow), a cut
across a segment boundary, colours and picture quality, published as Detections."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from sightline_analysis.scenario import Scenario
from sightline_analysis.synthetic import background, write_ts
from sightline_common.messages import Detection, ExecutorKind
from sightline_common.topics import Topic
from sightline_devstack.ports import ephemeral_port
from sightline_testkit.kafka import wait_for_messages
from sightline_testkit.plugin import Isolated

# One detector process on a stream or two: one partition per topic is enough (testkit).
pytestmark = [pytest.mark.integration, pytest.mark.topic_partitions(1)]


def kinds(detection: Detection, kind: str) -> list[tuple[float, float]]:
    """(media_ts, confidence) of every result of `kind`."""
    return [
        (f.media_ts, r.confidence) for f in detection.frames for r in f.results if r.kind == kind
    ]


def test_faces_cuts_colours_and_quality_are_published(isolated: Isolated) -> None:
    pitch = (background(21) * np.array([0.2, 0.9, 0.3])).astype(np.uint8)  # a green shot
    with_face = background(22)
    with_face[100:612, 600:1112] = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    cv2.rectangle(with_face, (60, 620), (560, 690), (20, 20, 20), -1)
    cv2.putText(
        with_face, "LIVE STUDIO", (80, 675), cv2.FONT_HERSHEY_DUPLEX, 1.6, (255, 255, 255), 3
    )
    scenario = Scenario(isolated.settings())
    port = ephemeral_port()
    child = isolated.spawn("sightline_detector_visual", SIGHTLINE_HTTP_PORT=str(port))
    child.wait_http_ok(f"http://127.0.0.1:{port}/readyz", timeout=180)

    scenario.add_segment(
        "studio", 0, write_ts([pitch] * 30, isolated.tmp / "a.ts", 15).read_bytes()
    )
    scenario.add_segment(
        "studio", 1, write_ts([with_face] * 30, isolated.tmp / "b.ts", 15).read_bytes()
    )

    found = wait_for_messages(isolated.bootstrap, isolated.topics.name(Topic.DETECTIONS), 2, 180)
    by_seq = {m.payload.segment.sequence: m.payload for m in found}
    first, second = by_seq[0], by_seq[1]
    assert first.detector.name == "visual"
    assert first.executor.kind is ExecutorKind.local
    assert kinds(first, "face") == []
    assert [ts for ts, _ in kinds(second, "face")] == [f.media_ts for f in second.frames]
    # MTCNN ran once per second of the segment; the frames between say their face is held
    held = [
        r.attributes.get("held", False)
        for f in second.frames
        for r in f.results
        if r.kind == "face"
    ]
    assert held == [False, True, False, True]
    assert kinds(first, "shot_change") == []
    assert [ts for ts, _ in kinds(second, "shot_change")] == [2.0]  # the cut at the boundary
    assert kinds(first, "person") == []
    assert kinds(second, "person")
    assert [r.label for f in second.frames for r in f.results if r.kind == "text"] == [
        "LIVE STUDIO"
    ]
    for detection in (first, second):
        assert all(
            len(kinds_) > 0 for kinds_ in [kinds(detection, "colour"), kinds(detection, "quality")]
        )
        assert len(kinds(detection, "quality")) == len(detection.frames)
    assert child.stop() == 0  # SIGTERM: finish, commit, exit cleanly


def test_analyzer_settings_from_the_environment_set_the_live_rate(isolated: Isolated) -> None:
    """SIGHTLINE_ANALYZER_SETTINGS reaches live analysis: faces every sampled frame, none
    held (the default, every 1 s, holds every other frame at 2 fps)."""
    with_face = background(22)
    with_face[100:612, 600:1112] = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    port = ephemeral_port()
    child = isolated.spawn(
        "sightline_detector_visual",
        SIGHTLINE_HTTP_PORT=str(port),
        SIGHTLINE_ANALYZERS="faces_mtcnn",
        SIGHTLINE_ANALYZER_SETTINGS='{"faces_mtcnn": {"every_s": 0}}',
    )
    child.wait_http_ok(f"http://127.0.0.1:{port}/readyz", timeout=180)
    Scenario(isolated.settings()).add_segment(
        "studio", 0, write_ts([with_face] * 30, isolated.tmp / "b.ts", 15).read_bytes()
    )
    (found,) = wait_for_messages(isolated.bootstrap, isolated.topics.name(Topic.DETECTIONS), 1, 180)
    faces = [r for f in found.payload.frames for r in f.results if r.kind == "face"]
    assert len(faces) == len(found.payload.frames) == 4
    assert [r.attributes.get("held", False) for r in faces] == [False] * 4
    assert child.stop() == 0


def test_invalid_analyzer_settings_are_refused_at_start_up(isolated: Isolated) -> None:
    child = isolated.spawn(
        "sightline_detector_visual",
        SIGHTLINE_HTTP_PORT=str(ephemeral_port()),
        SIGHTLINE_ANALYZER_SETTINGS='{"faces_mtcnn": {"every_s": -1}}',
    )
    assert child.wait(timeout=120) == 2
    assert "SIGHTLINE_ANALYZER_SETTINGS['faces_mtcnn'] invalid" in child.tail(), child.tail()
