"""A decoded, sampled video frame: the unit every analyzer and executor works on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Frame:
    """One sampled frame: BGR pixels and its time from the start of its segment.

    `offset` is in seconds from the segment's first frame, so adding the segment's
    `media_start` gives stream time (what the dashboard syncs boxes to).
    """

    image: Image
    offset: float

    @property
    def width(self) -> int:
        """Width in pixels."""
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        """Height in pixels."""
        return int(self.image.shape[0])
