"""Dominant-colour analyzer: k-means over a downscaled frame's pixels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

import cv2
import numpy as np

from sightline_analysis.analyzers.base import Analyzer, AnalyzerConfig, collect
from sightline_analysis.frames import Frame, Image
from sightline_common.messages import ResultItem

KEY: Final = "colours"

_NAMED = {
    "black": (0, 0, 0),
    "white": (255, 255, 255),
    "grey": (128, 128, 128),
    "red": (220, 30, 30),
    "orange": (245, 140, 20),
    "yellow": (240, 220, 30),
    "green": (40, 170, 60),
    "cyan": (30, 200, 220),
    "blue": (30, 70, 210),
    "purple": (130, 50, 170),
    "pink": (240, 130, 180),
    "brown": (120, 75, 40),
}


class ColoursConfig(AnalyzerConfig):
    """How many colours, and the size the frame is reduced to first."""

    type: Literal["colours"] = KEY
    clusters: int = 4
    sample_width: int = 64
    min_share: float = 0.05


def colour_name(rgb: tuple[int, int, int]) -> str:
    """The nearest of a dozen everyday colour names."""
    return min(
        _NAMED, key=lambda name: sum((a - b) ** 2 for a, b in zip(_NAMED[name], rgb, strict=True))
    )


def dominant_colours(
    image: Image, clusters: int, sample_width: int
) -> list[tuple[tuple[int, int, int], float]]:
    """(RGB, share of pixels) of the frame's main colours, largest share first."""
    height = max(1, round(image.shape[0] * sample_width / image.shape[1]))
    small = cv2.resize(image, (sample_width, height), interpolation=cv2.INTER_AREA)
    pixels = small.reshape(-1, 3).astype(np.float32)
    k = min(clusters, len(pixels))
    cv2.setRNGSeed(0)  # deterministic clustering: reprocessing gives the same answer
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 1.0)
    _compactness, labels, centres = cv2.kmeans(  # type: ignore[call-overload]
        pixels, k, None, criteria, 3, cv2.KMEANS_PP_CENTERS
    )
    counts = np.bincount(labels.flatten(), minlength=k)
    found = []
    for index in np.argsort(-counts):
        b, g, r = (round(float(c)) for c in centres[index])
        found.append(((r, g, b), float(counts[index]) / len(pixels)))
    return found


class ColoursAnalyzer(Analyzer):
    """One `colour` result per dominant colour: label `#rrggbb`, confidence = pixel share."""

    key = KEY
    config_model = ColoursConfig

    def analyze(self, stream_id: str, frames: Sequence[Frame]) -> list[list[ResultItem]]:
        """The dominant colours of each frame."""
        cfg = self.config
        assert isinstance(cfg, ColoursConfig)
        out = collect(frames)
        for slot, frame in zip(out, frames, strict=True):
            for rgb, share in dominant_colours(frame.scaled(640), cfg.clusters, cfg.sample_width):
                if share < cfg.min_share:
                    continue
                slot.append(
                    ResultItem(
                        kind="colour",
                        label="#{:02x}{:02x}{:02x}".format(*rgb),
                        confidence=round(share, 4),
                        area_share=round(share, 4),
                        attributes={"rgb": list(rgb), "name": colour_name(rgb)},
                    )
                )
        return out
