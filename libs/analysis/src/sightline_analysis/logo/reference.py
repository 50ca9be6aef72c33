"""A reference logo as users supply it, made ready for matching: transparency kept as a mask.

Brand kits ship logos as transparent PNGs. Dropping the alpha channel turns such a logo into
"logo on black", a picture that never occurs in video. Here the transparent margin is cropped
away, the transparent pixels are filled with a neutral grey (so no invented edge is described),
and the opaque part is kept as a mask: features, the appearance check and the reported outline
all use only what the brand really shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from sightline_analysis.frames import Image

Mask = npt.NDArray[np.uint8]
Points = npt.NDArray[np.float32]

# Mid grey under the transparent part: a dark logo and a light logo both keep the edge polarity
# they have against most real backgrounds, and neither gains an edge a black fill would add.
NEUTRAL_FILL = 128.0
_MAX_OUTLINE_POINTS = 16


class TransparentReferenceError(ValueError):
    """The reference has no opaque pixel: there is nothing to look for."""


@dataclass(frozen=True)
class ReferenceImage:
    """A reference cropped to its opaque content.

    `gray` is the luminance with transparent pixels filled by `NEUTRAL_FILL`; `opaque` is 255
    where the logo is opaque (all 255 for a reference without transparency); `transparent`
    says whether the supplied image had any transparency at all.
    """

    gray: Image
    opaque: Mask
    transparent: bool
    canvas_share: float

    @property
    def width(self) -> int:
        """Width of the opaque content in reference pixels."""
        return int(self.gray.shape[1])

    @property
    def height(self) -> int:
        """Height of the opaque content in reference pixels."""
        return int(self.gray.shape[0])

    def outline(self) -> Points:
        """The opaque part's convex outline in reference pixels (at most 16 points); the
        rectangle itself for a reference without transparency."""
        rectangle = np.array(
            [[0, 0], [self.width, 0], [self.width, self.height], [0, self.height]], np.float32
        )
        if not self.transparent:
            return rectangle
        ys, xs = np.nonzero(self.opaque)
        # Pixel (x, y) covers [x, x+1) x [y, y+1): its four corners bound the opaque area.
        corners = np.concatenate(
            [np.stack([xs + dx, ys + dy], axis=1) for dx in (0, 1) for dy in (0, 1)]
        ).astype(np.float32)
        hull = cv2.convexHull(corners.reshape(-1, 1, 2))
        epsilon = 0.005 * cv2.arcLength(hull, closed=True)
        outline = cv2.approxPolyDP(hull, epsilon, closed=True)
        while len(outline) > _MAX_OUTLINE_POINTS:
            epsilon *= 1.5
            outline = cv2.approxPolyDP(hull, epsilon, closed=True)
        return np.asarray(outline, np.float32).reshape(-1, 2)


def prepare_reference(image: Image, alpha_threshold: int = 128) -> ReferenceImage:
    """`image` (gray, BGR or BGRA, 8-bit) as a `ReferenceImage`.

    Pixels with alpha at or above `alpha_threshold` count as opaque. Raises
    TransparentReferenceError when none does.
    """
    if image.ndim == 2:
        return _opaque(image)
    if image.shape[2] != 4:
        return _opaque(np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), np.uint8))
    alpha = image[:, :, 3]
    if int(alpha.min()) == 255:
        return _opaque(np.asarray(cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY), np.uint8))
    opaque = alpha >= alpha_threshold
    if not opaque.any():
        raise TransparentReferenceError("the reference is fully transparent")
    ys, xs = np.nonzero(opaque)
    top, bottom, left, right = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    gray = cv2.cvtColor(image[top:bottom, left:right, :3], cv2.COLOR_BGR2GRAY)
    weight = alpha[top:bottom, left:right].astype(np.float32) / 255.0
    # Straight (not premultiplied) alpha blended over the fill: anti-aliased edges stay smooth.
    filled = gray.astype(np.float32) * weight + NEUTRAL_FILL * (1.0 - weight)
    return ReferenceImage(
        gray=np.clip(np.round(filled), 0, 255).astype(np.uint8),
        opaque=(opaque[top:bottom, left:right] * 255).astype(np.uint8),
        transparent=True,
        canvas_share=round(float(opaque.mean()), 4),
    )


def resized_mask(opaque: Mask, size: tuple[int, int], erode_px: int) -> Mask:
    """`opaque` resized to `size` (w, h) and eroded by `erode_px`, unless eroding would take
    more than half of it (thin strokes): then only resized."""
    resized = cv2.resize(opaque, size, interpolation=cv2.INTER_AREA)
    mask: Mask = np.where(resized >= 128, 255, 0).astype(np.uint8)
    if erode_px <= 0:
        return mask
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * erode_px + 1, 2 * erode_px + 1))
    eroded = np.asarray(cv2.erode(mask, kernel), np.uint8)
    return eroded if np.count_nonzero(eroded) * 2 >= np.count_nonzero(mask) else mask


def masked_correlation(a: Image, b: Image, mask: Mask | None) -> float:
    """Zero-mean normalised correlation of `a` and `b` over the pixels `mask` selects (all
    pixels when None); 0 when either side is flat there."""
    x = a.astype(np.float64)
    y = b.astype(np.float64)
    if mask is not None:
        selected = mask > 0
        x, y = x[selected], y[selected]
    x = x - x.mean()
    y = y - y.mean()
    denominator = float(np.sqrt((x * x).sum() * (y * y).sum()))
    return float((x * y).sum()) / denominator if denominator > 1e-9 else 0.0


def _opaque(gray: Image) -> ReferenceImage:
    return ReferenceImage(
        gray=np.asarray(gray, np.uint8),
        opaque=np.full(gray.shape[:2], 255, np.uint8),
        transparent=False,
        canvas_share=1.0,
    )
