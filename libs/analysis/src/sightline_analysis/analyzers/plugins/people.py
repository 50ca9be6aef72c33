"""People analyzer: OpenCV's HOG + linear SVM pedestrian detector (ships inside opencv).

Reports each standing person's box and the share of the frame people cover (union of boxes),
the "person area" a broadcast analysis wants next to the face count.

HOG was the costliest visual analyzer (0.12 CPU-s per second of 720p video at 2 sampled
frames/s, more than faces and OCR together; libs/analysis/bench/visual_cost_bench.py), and the
person area is a slow signal: by default HOG runs once per 2 s of stream time (`every_s`; the
first sampled frame of a 2-s segment) and again where the picture changes as at a cut; the
frames between carry the detected frame's boxes marked `held` (analyzers/cadence.py). Coarser
pyramid steps or a smaller detection width would cost as little, but lose people HOG finds
today (a person must span HOG's 128-px window), and there is no person set here to show they
do not. `every_s: 0` analyses every frame again.
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
    normalised_box,
)
from sightline_analysis.analyzers.cadence import HeldConfig, detection_plan, hold
from sightline_analysis.frames import Frame
from sightline_common.messages import ResultItem

KEY: Final = "people"


class PeopleConfig(HeldConfig):
    """Detection width, the SVM score below which a window is not a person, how often HOG runs."""

    type: Literal["people"] = KEY
    detect_width: int = 640
    scale: float = Field(1.05, gt=1.0)
    min_score: float = 0.5
    every_s: float = Field(2.0, ge=0.0)


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
        """People per frame: detected as `detection_plan` says, held on the frames between."""
        plan = detection_plan(frames, self._cfg)
        return hold(plan, {i: self._detect(frames[i]) for i in sorted(set(plan))})

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
