"""People analyzer: OpenCV's HOG + linear SVM pedestrian detector (ships inside opencv).

Reports each standing person's box and the share of the frame people cover (union of boxes),
the "person area" a broadcast analysis wants next to the face count.

HOG was the costliest visual analyzer (0.12 CPU-s per second of 720p video at 2 sampled
frames/s, more than faces and OCR together; libs/analysis/bench/visual_cost_bench.py), and the
person area is a slow signal: by default HOG runs on every 2nd sampled frame of a segment
(1 frame/s at the default 2 fps) and the frames between carry the previous analysed frame's
boxes marked `held` (so overlays and the timeline do not blink). Coarser pyramid steps or a
smaller detection width would cost as little, but lose people HOG finds today (a person must
span HOG's 128-px window), and there is no person set here to show they do not.
`every_nth: 1` analyses every frame again.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from typing import Final, Literal

import cv2
import numpy as np
from pydantic import Field

from sightline_analysis.analyzers.base import (
    Analyzer,
    AnalyzerConfig,
    AnalyzerContext,
    collect,
    normalised_box,
)
from sightline_analysis.frames import Frame
from sightline_common.messages import ResultItem

KEY: Final = "people"


class PeopleConfig(AnalyzerConfig):
    """Detection width and the SVM score below which a window is not a person."""

    type: Literal["people"] = KEY
    detect_width: int = 640
    scale: float = Field(1.05, gt=1.0)
    min_score: float = 0.5
    every_nth: int = Field(2, ge=1)


class PeopleAnalyzer(Analyzer):
    """`person` boxes per frame; each carries the frame's total person area share."""

    key = KEY
    config_model = PeopleConfig

    def __init__(self, config: AnalyzerConfig, context: AnalyzerContext) -> None:
        super().__init__(config, context)
        assert isinstance(config, PeopleConfig)
        self._cfg = config
        self._hog = cv2.HOGDescriptor()
        self._hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())  # type: ignore[attr-defined]
        self._lock = threading.Lock()

    def analyze(self, stream_id: str, frames: Sequence[Frame]) -> list[list[ResultItem]]:
        """People per frame: detected on every `every_nth` frame, held on those between."""
        out = collect(frames)
        found: list[ResultItem] = []
        for index, (slot, frame) in enumerate(zip(out, frames, strict=True)):
            if index % self._cfg.every_nth == 0:
                found = self._detect(frame)
                slot.extend(found)
            else:
                slot.extend(
                    item.model_copy(update={"attributes": {**item.attributes, "held": True}})
                    for item in found
                )
        return out

    def _detect(self, frame: Frame) -> list[ResultItem]:
        small = frame.scaled(self._cfg.detect_width)
        scale = small.shape[1] / frame.width
        with self._lock:
            boxes, scores = self._hog.detectMultiScale(
                small, winStride=(8, 8), scale=self._cfg.scale
            )
        kept = [
            (tuple(float(v) / scale for v in box), float(score))
            for box, score in zip(boxes, np.ravel(scores), strict=True)
            if float(score) >= self._cfg.min_score
        ]
        coverage = np.zeros((frame.height, frame.width), np.uint8)
        for (x, y, w, h), _ in kept:
            coverage[int(y) : int(y + h), int(x) : int(x + w)] = 1
        share = round(float(coverage.mean()), 6)
        found = []
        for box_px, score in kept:
            box = normalised_box(box_px, frame.width, frame.height)
            found.append(
                ResultItem(
                    kind="person",
                    label="person",
                    confidence=round(1.0 / (1.0 + math.exp(-score)), 4),
                    box=box,
                    area_share=round(box.w * box.h, 6),
                    attributes={"people_area_share": share},
                )
            )
        return found
