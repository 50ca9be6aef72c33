"""Face analyzer: OpenCV's frontal-face Haar cascade (ships inside opencv, runs offline).

Like `faces_mtcnn`, by default once per second of stream time and again where the picture
changes as at a cut, the faces held on the frames between (analyzers/cadence.py).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from typing import Final, Literal

import cv2

from sightline_analysis.analyzers.base import (
    Analyzer,
    AnalyzerConfig,
    AnalyzerContext,
    normalised_box,
)
from sightline_analysis.analyzers.cadence import HeldConfig, detection_plan, hold
from sightline_analysis.frames import Frame
from sightline_common.messages import ResultItem

KEY: Final = "faces"


def face_result(
    box_px: tuple[float, float, float, float],
    frame: Frame,
    confidence: float,
    attributes: dict[str, object] | None = None,
) -> ResultItem:
    """A `face` result for a pixel (x, y, w, h) box on `frame` (every face analyzer's shape)."""
    box = normalised_box(box_px, frame.width, frame.height)
    return ResultItem(
        kind="face",
        label="face",
        confidence=round(confidence, 4),
        box=box,
        area_share=round(box.w * box.h, 6),
        attributes=attributes or {},
    )


class FacesConfig(HeldConfig):
    """Detection width (frames are downscaled to it), cascade tuning, how often it runs."""

    type: Literal["faces"] = KEY
    detect_width: int = 640
    scale_factor: float = 1.1
    min_neighbors: int = 5
    min_size_px: int = 24
    min_confidence: float = 0.5


class FacesAnalyzer(Analyzer):
    """Boxes of frontal faces; confidence from the cascade's final-stage weight."""

    key = KEY
    config_model = FacesConfig

    def __init__(self, config: AnalyzerConfig, context: AnalyzerContext) -> None:
        super().__init__(config, context)
        cascades = cv2.data.haarcascades  # type: ignore[attr-defined]
        path = f"{cascades}haarcascade_frontalface_default.xml"
        self._cascade = cv2.CascadeClassifier(path)
        if self._cascade.empty():
            raise RuntimeError(f"cannot load the face cascade at {path}")
        self._lock = threading.Lock()  # a CascadeClassifier is not safe across threads

    def analyze(self, stream_id: str, frames: Sequence[Frame]) -> list[list[ResultItem]]:
        """Faces per frame (count = number of `face` results): detected as `detection_plan`
        says, held on the frames between."""
        assert isinstance(self.config, FacesConfig)
        plan = detection_plan(frames, self.config)
        return hold(plan, {i: self._detect(frames[i]) for i in sorted(set(plan))})

    def _detect(self, frame: Frame) -> list[ResultItem]:
        cfg = self.config
        assert isinstance(cfg, FacesConfig)
        found: list[ResultItem] = []
        small = frame.scaled(cfg.detect_width, gray=True)
        scale = small.shape[1] / frame.width
        gray = cv2.equalizeHist(small)
        with self._lock:
            boxes, _levels, weights = self._cascade.detectMultiScale3(
                gray,
                scaleFactor=cfg.scale_factor,
                minNeighbors=cfg.min_neighbors,
                minSize=(cfg.min_size_px, cfg.min_size_px),
                outputRejectLevels=True,
            )
        for (x, y, w, h), weight in zip(boxes, weights, strict=False):
            confidence = 1.0 / (1.0 + math.exp(-float(weight)))
            if confidence < cfg.min_confidence:
                continue
            found.append(
                face_result((x / scale, y / scale, w / scale, h / scale), frame, confidence)
            )
        return found
