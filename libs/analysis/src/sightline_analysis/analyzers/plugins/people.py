"""People analyzer: OpenCV's HOG + linear SVM pedestrian detector (ships inside opencv).

Reports each standing person's box and the share of the frame people cover (union of boxes),
the "person area" a broadcast analysis wants next to the face count.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from typing import Final, Literal

import cv2
import numpy as np

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
    min_score: float = 0.5


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
        """People per frame."""
        out = collect(frames)
        for slot, frame in zip(out, frames, strict=True):
            small = frame.scaled(self._cfg.detect_width)
            scale = small.shape[1] / frame.width
            with self._lock:
                boxes, scores = self._hog.detectMultiScale(small, winStride=(8, 8), scale=1.05)
            kept = [
                (tuple(float(v) / scale for v in box), float(score))
                for box, score in zip(boxes, np.ravel(scores), strict=True)
                if float(score) >= self._cfg.min_score
            ]
            coverage = np.zeros((frame.height, frame.width), np.uint8)
            for (x, y, w, h), _ in kept:
                coverage[int(y) : int(y + h), int(x) : int(x + w)] = 1
            share = round(float(coverage.mean()), 6)
            for box_px, score in kept:
                box = normalised_box(box_px, frame.width, frame.height)
                slot.append(
                    ResultItem(
                        kind="person",
                        label="person",
                        confidence=round(1.0 / (1.0 + math.exp(-score)), 4),
                        box=box,
                        area_share=round(box.w * box.h, 6),
                        attributes={"people_area_share": share},
                    )
                )
        return out
