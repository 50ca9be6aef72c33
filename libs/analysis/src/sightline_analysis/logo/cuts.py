"""Telling a cut from a change of exposure, for the logo pipeline's tracks.

A cut ends every track (the next shot shows other things). The shots analyzer's hue,
saturation and value histogram also jumps when a shot's brightness changes (an exposure
ramp, a light change, a fade): on the evaluation kit's tune seed its jump test took 4 of 229
changes of brightness within a shot for cuts (7 at a threshold low enough to find every cut),
and each such false cut dropped the tracks of logos plainly still on screen. Hue and
saturation do not change with a gain on all channels, so the pipeline compares those only:
there, within-shot changes stayed below 0.22 and every cut above 0.35 (Bhattacharyya
distance). A cut between two shots of the same colours at different brightness is missed;
the tracks then end on their own when they stop correlating.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from sightline_analysis.frames import Image

Histogram = npt.NDArray[np.float32]


def colour_histogram(image: Image) -> Histogram:
    """The normalised hue-saturation histogram (16 x 8 bins) of a BGR frame, computed on a
    160x90 copy (give it a reduced frame, e.g. `Frame.scaled(640)`)."""
    small = cv2.resize(image, (160, 90), interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1], None, [16, 8], [0, 180, 0, 256])
    return np.asarray(cv2.normalize(hist, hist), dtype=np.float32).flatten()


def distance(a: Histogram, b: Histogram) -> float:
    """0 for identical colour distributions, 1 for disjoint ones (Bhattacharyya)."""
    return float(cv2.compareHist(a, b, cv2.HISTCMP_BHATTACHARYYA))
