"""The exposure quality index, version `q1`: how much an exposure is worth next to a perfect one.

Each exposure gets six factors in [0, 1], kept with it so the index can be recomputed under
other weights:

- `size`: how big the logo is, sqrt(area share / 5 %) capped at 1 (a logo covering 5 % of the
  frame or more scores 1; half the width and height, a quarter of the area, scores 0.5).
- `clarity`: the detector's own confidence (inlier ratio x appearance x support of the matched
  homography). The logo detector reports no sharpness or occlusion measure of its own, so a
  blurred or partly covered logo shows here as a lower confidence.
- `position`: 1 at the frame centre, falling linearly to 0 at a corner (box centre).
- `visibility`: the share of sightings whose box is not cut by the frame's edge (a logo running
  off screen is only partly visible).
- `solus`: 1 / (1 + other brands in the same frame), averaged: 1 when alone on screen.
- `duration`: seconds / 5 s capped at 1 (longer exposures are more likely to be read).

Factors other than duration are means over the exposure's sightings. The index is the weighted
mean of the factors, sum(w_f * f) / sum(w_f), so it stays in [0, 1] for any non-negative
weights. Raising one factor with the others fixed never lowers the index.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sightline_results_api.report.exposures import Sighting

VERSION = "q1"
SIZE_FULL = 0.05  # area share that scores full size
DURATION_FULL_S = 5.0  # seconds that score full duration
EDGE = 0.005  # a box this close to the frame's edge is taken as cut by it
FACTORS = ("size", "clarity", "position", "visibility", "solus", "duration")


class QualityWeights(BaseModel):
    """Weights of the factors (any non-negative numbers, at least one positive)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    size: float = Field(default=0.25, ge=0)
    clarity: float = Field(default=0.20, ge=0)
    position: float = Field(default=0.15, ge=0)
    visibility: float = Field(default=0.10, ge=0)
    solus: float = Field(default=0.15, ge=0)
    duration: float = Field(default=0.15, ge=0)

    @model_validator(mode="after")
    def _some_weight(self) -> QualityWeights:
        if sum(self.model_dump().values()) <= 0:
            raise ValueError("at least one quality weight must be positive")
        return self


@dataclass(frozen=True, slots=True)
class Factors:
    """One exposure's quality factors, each in [0, 1]."""

    size: float
    clarity: float
    position: float
    visibility: float
    solus: float
    duration: float

    def as_dict(self) -> dict[str, float]:
        """The factors by name, rounded for reports."""
        return {name: round(getattr(self, name), 4) for name in FACTORS}


def size_score(area: float) -> float:
    """Size factor of one sighting's area share."""
    return min(math.sqrt(max(area, 0.0) / SIZE_FULL), 1.0)


def position_score(s: Sighting) -> float:
    """Centrality of one sighting's box centre: 1 at the frame centre, 0 at a corner."""
    dx = s.box_x + s.box_w / 2 - 0.5
    dy = s.box_y + s.box_h / 2 - 0.5
    return max(1.0 - math.hypot(dx, dy) / math.hypot(0.5, 0.5), 0.0)


def visible(s: Sighting) -> bool:
    """Whether the box lies inside the frame (not cut by an edge)."""
    return (
        s.box_x > EDGE
        and s.box_y > EDGE
        and s.box_x + s.box_w < 1 - EDGE
        and s.box_y + s.box_h < 1 - EDGE
    )


def factors(sightings: Sequence[Sighting], duration: float) -> Factors:
    """The factors of an exposure made of `sightings` lasting `duration` seconds."""
    if not sightings:
        raise ValueError("an exposure has at least one sighting")
    n = len(sightings)
    return Factors(
        size=sum(size_score(s.area) for s in sightings) / n,
        clarity=sum(min(max(s.confidence, 0.0), 1.0) for s in sightings) / n,
        position=sum(position_score(s) for s in sightings) / n,
        visibility=sum(1 for s in sightings if visible(s)) / n,
        solus=sum(1 / (1 + s.others) for s in sightings) / n,
        duration=min(max(duration, 0.0) / DURATION_FULL_S, 1.0),
    )


def index(values: Factors | Mapping[str, float], weights: QualityWeights) -> float:
    """The quality index in [0, 1]: the weighted mean of the factors."""
    named = {n: getattr(values, n) for n in FACTORS} if isinstance(values, Factors) else values
    w: dict[str, float] = weights.model_dump()
    total = sum(w.values())
    return float(sum(w[name] * min(max(named[name], 0.0), 1.0) for name in FACTORS) / total)


def sighting_score(s: Sighting) -> float:
    """How good one frame of an exposure is as evidence: size x clarity x centrality."""
    return size_score(s.area) * s.confidence * (0.5 + 0.5 * position_score(s))
