"""The exposure quality index, version `q2`: how much an exposure is worth next to a perfect one.

Each exposure gets six factors in [0, 1] from its measures (`exposures.Measured`), kept with it
so the index can be recomputed under other weights:

- `size`: sqrt(mean area share / 5 %) capped at 1 (a logo covering 5 % of the frame or more
  scores 1; half the width and height, a quarter of the area, scores 0.5).
- `clarity`: how sharp the logo looked: the logo detector's mean sharpness of the box (the
  blur effect of its region, `sightline_analysis.logo.clarity`: a crisp logo measures about
  0.65-0.9, a defocused or motion-blurred one 0.25-0.55), mapped linearly from SHARP_NONE
  (0) to SHARP_FULL (1). Detections made before the detector measured sharpness (q1) fall
  back to its mean confidence, as q1 did.
- `position`: 1 - mean distance of the box centre from the frame centre / the corner's
  distance: 1 centred, 0 in a corner.
- `visibility`: 1 - the share of sightings whose box touches the frame's edge (cut off).
- `solus`: mean of 1 / (1 + other brands in the same frame): 1 when always alone on screen.
- `duration`: seconds / 5 s capped at 1 (longer exposures are more likely to be read).

The index is the weighted mean of the factors, sum(w_f * f) / sum(w_f), so it stays in [0, 1]
for any non-negative weights, and raising one factor with the others fixed never lowers it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sightline_results_api.report.exposures import Measured

VERSION = "q2"  # q1: clarity was the detector's confidence only
SIZE_FULL = 0.05  # area share that scores full size
DURATION_FULL_S = 5.0  # seconds that score full duration
EDGE = 0.005  # a box this close to the frame's edge is taken as cut by it
SHARP_NONE = 0.2  # sharpness that scores no clarity
SHARP_FULL = 0.75  # sharpness that scores full clarity
CORNER = math.hypot(0.5, 0.5)  # distance of a corner from the frame centre
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


def _unit(value: float) -> float:
    return min(max(value, 0.0), 1.0)


def _clarity(m: Measured) -> float:
    if m.mean_sharpness is None:
        return _unit(m.mean_confidence)
    return _unit((m.mean_sharpness - SHARP_NONE) / (SHARP_FULL - SHARP_NONE))


def factors(m: Measured) -> Factors:
    """The factors of a measured exposure."""
    return Factors(
        size=min(math.sqrt(max(m.mean_area, 0.0) / SIZE_FULL), 1.0),
        clarity=_clarity(m),
        position=_unit(1.0 - m.mean_centre_distance / CORNER),
        visibility=_unit(1.0 - m.edge_share),
        solus=_unit(m.mean_solus),
        duration=_unit(m.duration / DURATION_FULL_S),
    )


def index(values: Factors | Mapping[str, float], weights: QualityWeights) -> float:
    """The quality index in [0, 1]: the weighted mean of the factors."""
    named = {n: getattr(values, n) for n in FACTORS} if isinstance(values, Factors) else values
    w: dict[str, float] = weights.model_dump()
    total = sum(w.values())
    return float(sum(w[name] * _unit(named[name]) for name in FACTORS) / total)
