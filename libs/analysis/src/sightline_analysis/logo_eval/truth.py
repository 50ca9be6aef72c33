"""Exact ground truth from an owner map, and the rule for which instances must be found.

The owner map holds, per pixel, the instance id whose opaque logo pixel is visible there
(`NOBODY` for background, `OCCLUDER` under something in front). An instance's truth is the box
around its visible pixels and its visibility: visible pixels / the pixels its opaque part would
cover at that pose if nothing hid it and the frame were unbounded.

The rule (`InstanceTruth.must_find`): an instance counts when at least `MIN_VISIBILITY` of it is
visible and its full opaque part projects at least `MIN_WIDTH_PX` wide. Smaller or more hidden
instances are "don't care": reporting them is neither a hit nor a false positive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Box = tuple[float, float, float, float]  # x, y, w, h in pixels
OwnerMap = npt.NDArray[np.int16]
NOBODY = -1
OCCLUDER = -2
MIN_VISIBILITY = 0.5
MIN_WIDTH_PX = 60.0


@dataclass(frozen=True)
class Footprint:
    """Where an instance's full opaque part lies at one frame: its (unclipped) box in frame
    pixels and how many pixels it covers."""

    instance: int
    brand: str
    box: tuple[int, int, int, int]
    pixels: int


@dataclass(frozen=True)
class InstanceTruth:
    """One instance in one frame: the box of its visible part (frame pixels), visibility
    (0..1), and the width of its full opaque part's box."""

    instance: int
    brand: str
    box: Box
    visibility: float
    full_width: float

    @property
    def must_find(self) -> bool:
        """True when a detector is expected to report it (see the module's rule)."""
        return self.visibility >= MIN_VISIBILITY and self.full_width >= MIN_WIDTH_PX


FrameTruth = tuple[InstanceTruth, ...]


def read_owner_map(owner: OwnerMap, footprints: Sequence[Footprint]) -> FrameTruth:
    """Per-instance truth of one frame; instances with no visible pixel are left out."""
    height, width = owner.shape
    found = []
    for fp in footprints:
        x, y, w, h = fp.box
        x0, y0, x1, y1 = max(0, x), max(0, y), min(width, x + w), min(height, y + h)
        if x1 <= x0 or y1 <= y0 or fp.pixels <= 0:
            continue
        mine = owner[y0:y1, x0:x1] == fp.instance
        visible = int(np.count_nonzero(mine))
        if visible == 0:
            continue
        rows = np.flatnonzero(mine.any(axis=1))
        cols = np.flatnonzero(mine.any(axis=0))
        box = (
            float(x0 + cols[0]),
            float(y0 + rows[0]),
            float(cols[-1] - cols[0] + 1),
            float(rows[-1] - rows[0] + 1),
        )
        visibility = min(1.0, visible / fp.pixels)
        found.append(InstanceTruth(fp.instance, fp.brand, box, visibility, float(w)))
    return tuple(found)
