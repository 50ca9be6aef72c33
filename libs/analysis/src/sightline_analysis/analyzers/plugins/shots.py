"""Shot-change analyzer: a cut is a jump in the colour histogram between sampled frames.

The previous frame's histogram is kept per stream across segments (a cut on a segment
boundary is still seen); after a rebalance the first frame simply has nothing to compare to.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

import cv2
import numpy as np
import numpy.typing as npt

from sightline_analysis.analyzers.base import (
    Analyzer,
    AnalyzerConfig,
    AnalyzerContext,
    collect,
)
from sightline_analysis.frames import Frame, Image
from sightline_common.messages import ResultItem

KEY: Final = "shots"
Histogram = npt.NDArray[np.float32]


class ShotsConfig(AnalyzerConfig):
    """Bhattacharyya distance above `threshold` between consecutive samples is a cut."""

    type: Literal["shots"] = KEY
    threshold: float = 0.45


def histogram(image: Image) -> Histogram:
    """A normalised hue-saturation-value histogram of a downscaled frame (give it a reduced
    copy, `Frame.scaled(640)`: reducing 720p to 160x90 costs more than the histogram)."""
    small = cv2.resize(image, (160, 90), interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1, 2], None, [16, 4, 4], [0, 180, 0, 256, 0, 256])
    return np.asarray(cv2.normalize(hist, hist), dtype=np.float32).flatten()


def frame_histogram(frame: Frame) -> Histogram:
    """`histogram` of the frame's 640-px copy, made once per frame and shared (`Frame.shared`)
    with every analyzer that compares pictures; must not be written to."""
    return frame.shared("shots.histogram", lambda: histogram(frame.scaled(640)))


def distance(a: Histogram, b: Histogram) -> float:
    """0 for identical colour distributions, 1 for disjoint ones."""
    return float(cv2.compareHist(a, b, cv2.HISTCMP_BHATTACHARYYA))


class ShotsAnalyzer(Analyzer):
    """Marks the frames that start a new shot."""

    key = KEY
    config_model = ShotsConfig

    def __init__(self, config: AnalyzerConfig, context: AnalyzerContext) -> None:
        super().__init__(config, context)
        self._previous: dict[str, Histogram] = {}

    def analyze(self, stream_id: str, frames: Sequence[Frame]) -> list[list[ResultItem]]:
        """A `shot_change` result on each frame that differs sharply from the one before."""
        cfg = self.config
        assert isinstance(cfg, ShotsConfig)
        out = collect(frames)
        for slot, frame in zip(out, frames, strict=True):
            current = frame_histogram(frame)
            previous = self._previous.get(stream_id)
            self._previous[stream_id] = current
            if previous is None:
                continue
            jump = distance(previous, current)
            if jump > cfg.threshold:
                slot.append(
                    ResultItem(
                        kind="shot_change",
                        label="cut",
                        confidence=round(min(1.0, jump), 4),
                        area_share=None,
                        attributes={"distance": round(jump, 4)},
                    )
                )
        return out

    def forget(self, stream_id: str) -> None:
        """Drop the stream's last histogram."""
        self._previous.pop(stream_id, None)
