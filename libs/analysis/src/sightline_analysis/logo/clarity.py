"""How sharp a logo looks where it was found: the sponsor report's clarity factor.

A sponsor pays for a readable logo, and a blurred one (motion, defocus, a heavy encode) is
less readable even when the matcher is sure of it. Confidence says how sure the detector is,
not how the viewer saw it, so the logo analyzer reports this measure beside it.

The measure is the "blur effect" of Crété-Roffet et al. (2007), taken on the logo's box at the
resolution it was seen: the region is low-passed again along each axis, and the share of its
variation between neighbouring pixels that the low-pass removes tells how sharp it was (a sharp
edge loses much, a blurred one little). It is normalised by the region's own variation, so it
depends far less on the logo's design and contrast than the variance of the Laplacian does. On
the evaluation kit's six designs at 80-320 px: sharp 0.63-0.92, defocus sigma 1.5 0.37-0.78,
sigma 3 0.24-0.56, 15-px motion blur 0.25-0.57; lower for every design as the blur grows.
"""

from __future__ import annotations

from typing import Final

import cv2
import numpy as np

from sightline_analysis.frames import Image

REBLUR_PX: Final = 9  # the low-pass applied again (the paper's 1 x 9 averaging)
MIN_SIDE_PX: Final = 8  # smaller regions carry too few edges to measure


def sharpness(image: Image, box: tuple[float, float, float, float]) -> float | None:
    """Sharpness in [0, 1] of the pixel box (x, y, w, h) of `image` (1 = crisp), or None
    when the part of the box inside the frame is too small or too flat to measure."""
    x, y, w, h = box
    height, width = image.shape[:2]
    left, top = max(int(x), 0), max(int(y), 0)
    right, bottom = min(int(x + w), width), min(int(y + h), height)
    if right - left < MIN_SIDE_PX or bottom - top < MIN_SIDE_PX:
        return None
    region = image[top:bottom, left:right]
    gray = cv2.cvtColor(region, cv2.COLOR_BGR2GRAY) if region.ndim == 3 else region
    f = gray.astype(np.float32)
    blur: float | None = None
    for axis, kernel in ((0, (1, REBLUR_PX)), (1, (REBLUR_PX, 1))):
        reblurred = cv2.blur(f, kernel, borderType=cv2.BORDER_REFLECT)
        d_f = np.abs(np.diff(f, axis=axis))
        d_b = np.abs(np.diff(reblurred, axis=axis))
        total = float(d_f.sum())
        if total <= 0:
            continue  # a flat region along this axis: nothing to tell
        lost = float(np.maximum(d_f - d_b, 0).sum())
        blur = max(blur or 0.0, (total - lost) / total)
    return None if blur is None else 1.0 - blur
