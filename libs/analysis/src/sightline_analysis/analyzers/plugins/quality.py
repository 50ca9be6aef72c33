"""Picture-quality analyzer: brightness, sharpness (Laplacian variance) and motion."""

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

KEY: Final = "quality"
Small = npt.NDArray[np.float32]
SIZE = 640  # px wide: the size sharpness is defined at


class QualityConfig(AnalyzerConfig):
    """Thresholds that turn the measures into labels (`dark`, `blurry`, `still`)."""

    type: Literal["quality"] = KEY
    dark_below: float = 0.2
    blurry_below: float = 60.0
    still_below: float = 0.01


def brightness(gray: Image) -> float:
    """Mean luma of a grey frame, 0 (black) to 1 (white)."""
    return float(gray.mean()) / 255.0


def sharpness(gray: Image) -> float:
    """Variance of the Laplacian of a grey frame (measured at 640 px wide): low when blurred."""
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


def thumbnail(gray: Image) -> Small:
    """A small grey copy of the frame, to measure motion against the next one."""
    small = cv2.resize(gray, (160, 90), interpolation=cv2.INTER_AREA)
    return np.asarray(small, dtype=np.float32) / np.float32(255.0)


class QualityAnalyzer(Analyzer):
    """One `quality` result per frame with the measures as attributes."""

    key = KEY
    config_model = QualityConfig

    def __init__(self, config: AnalyzerConfig, context: AnalyzerContext) -> None:
        super().__init__(config, context)
        self._previous: dict[str, Small] = {}

    def analyze(self, stream_id: str, frames: Sequence[Frame]) -> list[list[ResultItem]]:
        """Brightness, sharpness and motion (mean change since the previous sample) per frame."""
        cfg = self.config
        assert isinstance(cfg, QualityConfig)
        out = collect(frames)
        for slot, frame in zip(out, frames, strict=True):
            # Every measure on the frame's shared 640-px grey copy: brightness is a mean (the
            # same at any size), sharpness was always measured at 640, motion at 160x90.
            gray = frame.scaled(SIZE, gray=True)
            small = thumbnail(gray)
            previous = self._previous.get(stream_id)
            self._previous[stream_id] = small
            motion = float(np.abs(small - previous).mean()) if previous is not None else None
            light, sharp = brightness(gray), sharpness(gray)
            flags = [
                name
                for name, on in (
                    ("dark", light < cfg.dark_below),
                    ("blurry", sharp < cfg.blurry_below),
                    ("still", motion is not None and motion < cfg.still_below),
                )
                if on
            ]
            slot.append(
                ResultItem(
                    kind="quality",
                    label=",".join(flags) or "ok",
                    confidence=1.0,
                    area_share=None,
                    attributes={
                        "brightness": round(light, 4),
                        "sharpness": round(sharp, 2),
                        "motion": None if motion is None else round(motion, 4),
                    },
                )
            )
        return out

    def forget(self, stream_id: str) -> None:
        """Drop the stream's last thumbnail."""
        self._previous.pop(stream_id, None)
