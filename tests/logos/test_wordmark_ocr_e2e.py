"""A small thin-stroke serif wordmark is found by the logo pipeline (image matcher or OCR
channel, whichever verifies it), end to end: the kit's transparent AURORA PNG uploaded through
the REST API, a stream pushed over RTMP as OBS does (nginx-rtmp → ingest → detector-logo); its
look-alike AURORE, shown beside it, is never reported as AURORA."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from sightline_analysis.logo_eval.brands import library_brands, look_alike_brands
from sightline_analysis.synthetic import Placement, background, composite, write_flv
from sightline_common.messages import Detection
from sightline_common.topics import Topic
from sightline_testkit.kafka import wait_for_messages

pytestmark = pytest.mark.integration

SIZE = (1280, 720)
FPS = 10  # the detector samples a few frames/s; more encoded frames only cost CPU
SECONDS = 8
AURORA = next(b for b in library_brands() if b.name == "aurora")
AURORE = next(b for b in look_alike_brands() if b.name == "aurore")
# 160 px wide: hairline serif letters at the edge of what SIFT verifies; OCR reads them too.
SHOWN = ((AURORA, Placement((400, 360), 160)), (AURORE, Placement((900, 360), 160)))


def make_clip(folder: Path) -> tuple[Path, tuple[float, ...]]:
    """An 8 s 720p10 FLV (2 s GOPs) with both wordmarks on textured footage; AURORA's box."""
    frame = background(21, SIZE)
    boxes = []
    for brand, place in SHOWN:
        frame, box = composite(frame, brand.art, place)
        boxes.append(box)
    rng = np.random.default_rng(0)
    frames = (
        np.clip(
            frame.astype(np.int16) + rng.integers(-3, 4, frame.shape, dtype=np.int16), 0, 255
        ).astype(np.uint8)
        for _ in range(SECONDS * FPS)
    )
    flv = write_flv(frames, folder / "clip.flv", fps=FPS, gop_seconds=2.0)
    return flv, boxes[0]


def logo_results(detection: Detection) -> list[tuple[str, str, tuple[float, float, float, float]]]:
    """(brand, channel, box in pixels) of every logo result."""
    out = []
    for frame in detection.frames:
        for r in frame.results:
            if r.kind == "logo" and r.box is not None:
                box = (r.box.x * SIZE[0], r.box.y * SIZE[1], r.box.w * SIZE[0], r.box.h * SIZE[1])
                out.append((r.label, str((r.attributes or {}).get("source")), box))
    return out


@pytest.mark.timeout(600)
def test_a_thin_serif_wordmark_is_found_and_its_look_alike_never_reported(
    tmp_path: Path, pipeline_harness: ModuleType
) -> None:
    clip, truth = make_clip(tmp_path)
    with pipeline_harness.Pipeline(
        detectors=1, log_dir=tmp_path / "logs", shed_late_segments=False
    ) as pipeline:
        pipeline.add_logo("aurora", AURORA.art, ".png")
        stream = pipeline.add_stream("a small thin-stroke wordmark")
        pipeline.start_workers()
        stream.publish(clip)
        iso = pipeline.isolated
        found = wait_for_messages(iso.bootstrap, iso.topics.name(Topic.DETECTIONS), 3, timeout=240)
    results = [r for message in found for r in logo_results(message.payload)]
    assert {brand for brand, _, _ in results} == {"aurora"}
    x, _, w, _ = truth
    for _, _, box in results:  # every sighting is the real AURORA, never the look-alike
        assert x - 20 <= box[0] + box[2] / 2 <= x + w + 20, (box, truth)
