"""A decoded, sampled video frame: the unit every analyzer and executor works on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar, cast

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
_T = TypeVar("_T")


@dataclass(frozen=True)
class Frame:
    """One sampled frame: BGR pixels and its time from the start of its segment.

    `offset` is in seconds from the segment's first frame, so adding the segment's
    `media_start` gives stream time (what the dashboard syncs boxes to).
    """

    image: Image
    offset: float
    # Downscaled copies by (width, gray), made once and shared by every analyzer of a set.
    _scaled: dict[tuple[int, bool], Image] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    # Other values derived from the pixels, by name (`shared`).
    _shared: dict[str, object] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def width(self) -> int:
        """Width in pixels."""
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        """Height in pixels."""
        return int(self.image.shape[0])

    def scaled(self, width: int, *, gray: bool = False) -> Image:
        """The frame at most `width` px wide (aspect kept, area-averaged, never enlarged), in
        BGR or as one luma channel; computed once per frame and reused, so must not be
        written to.

        Analyzers that work below full size ask for the same few widths (640 for detectors,
        160 for thumbnails), so a 720p frame is reduced once instead of once per analyzer,
        and the small sizes are reduced from the 640 copy rather than from 720p.
        """
        width = min(width, self.width)
        key = (width, gray)
        found = self._scaled.get(key)
        if found is not None:
            return found
        if gray:
            source = self.scaled(width)
            made: Image = np.asarray(cv2.cvtColor(source, cv2.COLOR_BGR2GRAY), np.uint8)
        elif width == self.width:
            made = self.image
        else:
            larger = [w for (w, g) in self._scaled if not g and w > width]
            source = self._scaled[(min(larger), False)] if larger else self.image
            height = max(1, round(self.height * width / self.width))
            made = np.asarray(
                cv2.resize(source, (width, height), interpolation=cv2.INTER_AREA), np.uint8
            )
        self._scaled[key] = made
        return made

    def shared(self, name: str, make: Callable[[], _T]) -> _T:
        """`make()`, computed once per frame under `name` and then reused, so must not be
        written to: a value several analyzers of a set derive from the same pixels (the shots
        analyzer's colour histogram, which the detection cadence of faces and people compares
        too) is then computed once per frame instead of once per analyzer."""
        if name not in self._shared:
            self._shared[name] = make()
        return cast(_T, self._shared[name])
