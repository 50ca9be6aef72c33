"""Logos as users supply them, end to end: a transparent PNG, a JPEG and a logo on a white box,
uploaded through the REST API, are all found in a stream pushed over RTMP as OBS does
(private nginx-rtmp → ingest → detector-logo), with boxes around what is really shown."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import cv2
import numpy as np
import pytest

from sightline_analysis.logo.matcher import iou
from sightline_analysis.synthetic import (
    Placement,
    background,
    composite,
    make_logo,
    make_transparent_logo,
    write_flv,
)
from sightline_common.messages import Detection
from sightline_common.topics import Topic
from sightline_testkit.kafka import wait_for_messages

pytestmark = pytest.mark.integration

SIZE = (1280, 720)
FPS = 10  # the detector samples a few frames/s; more encoded frames only cost CPU
SECONDS = 8
NOVA = make_transparent_logo("NOVA", seed=3)  # brand-kit PNG, transparent background
ACME = make_logo("ACME", seed=1)  # uploaded as a JPEG
ZENITH_BOXED = np.asarray(  # a logo on a white box, the box part of the artwork
    cv2.copyMakeBorder(
        make_logo("ZENITH", seed=2), 50, 50, 70, 70, cv2.BORDER_CONSTANT, value=(255, 255, 255)
    ),
    np.uint8,  # as it is (cv2 types its result as any image)
)
SHOWN = {
    "nova": (NOVA, Placement((330, 200), 300, angle=6)),
    "acme": (ACME, Placement((950, 210), 260, angle=-8)),
    "zenith": (ZENITH_BOXED, Placement((640, 530), 280, angle=4)),
}


def make_clip(folder: Path) -> tuple[Path, dict[str, tuple[float, float, float, float]]]:
    """An 8 s 720p10 FLV (2 s GOPs) with the three logos on textured footage; their true boxes."""
    frame = background(21, SIZE)
    truth: dict[str, tuple[float, float, float, float]] = {}
    for brand, (logo, place) in SHOWN.items():
        frame, box = composite(frame, logo, place)
        x, y, w, h = box
        truth[brand] = (x, y, w, h)
    rng = np.random.default_rng(0)
    frames = (
        np.clip(
            frame.astype(np.int16) + rng.integers(-3, 4, frame.shape, dtype=np.int16), 0, 255
        ).astype(np.uint8)
        for _ in range(SECONDS * FPS)
    )
    flv = write_flv(frames, folder / "clip.flv", fps=FPS, gop_seconds=2.0)
    return flv, truth


def sightings(detection: Detection) -> dict[str, list[tuple[float, float, float, float]]]:
    out: dict[str, list[tuple[float, float, float, float]]] = {}
    for frame in detection.frames:
        for r in frame.results:
            if r.kind == "logo" and r.box is not None:
                box = (r.box.x * SIZE[0], r.box.y * SIZE[1], r.box.w * SIZE[0], r.box.h * SIZE[1])
                out.setdefault(r.label, []).append(box)
    return out


@pytest.mark.timeout(600)
def test_transparent_jpeg_and_white_box_logos_uploaded_through_the_api_are_found_in_a_pushed_stream(
    tmp_path: Path,
    pipeline_harness: ModuleType,
) -> None:
    clip, truth = make_clip(tmp_path)
    with pipeline_harness.Pipeline(
        detectors=1, log_dir=tmp_path / "logs", shed_late_segments=False
    ) as pipeline:
        uploads = {
            "nova": pipeline.add_logo("nova", NOVA, ".png"),
            "acme": pipeline.add_logo("acme", ACME, ".jpg"),
            "zenith": pipeline.add_logo("zenith", ZENITH_BOXED, ".png"),
        }
        assert uploads["nova"]["detectability"]["transparent"] is True
        assert all(u["detectability"]["detectable"] for u in uploads.values())
        assert uploads["acme"]["content_type"] == "image/jpeg"
        stream = pipeline.add_stream("three kinds of logo")
        pipeline.start_workers()
        stream.publish(clip)
        iso = pipeline.isolated
        found = wait_for_messages(iso.bootstrap, iso.topics.name(Topic.DETECTIONS), 3, timeout=240)
    seen: dict[str, list[tuple[float, float, float, float]]] = {}
    for message in found:
        assert message.payload.stream_id == stream.stream_id
        for brand, boxes in sightings(message.payload).items():
            seen.setdefault(brand, []).extend(boxes)
    assert set(seen) == {"nova", "acme", "zenith"}
    for brand, boxes in seen.items():
        # The box is around what is shown: the opaque part of the transparent PNG, the white
        # box with its logo for the boxed one.
        assert max(iou(box, truth[brand]) for box in boxes) >= 0.7, (brand, boxes, truth[brand])
