"""The appearance check: the frame's pixels under a found transform against the reference's.

Keypoints can agree on a transform for a look-alike that shares lettering; the pixels inside
the projected outline still differ, so they are compared directly (only the opaque ones for a
transparent reference: the background behind a logo is anybody's). A logo partly out of frame
is compared over the part in frame only: the black a warp fills in beyond the frame's edge is
no part of any logo, and comparing it rejected real logos sliding in at the edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from sightline_analysis.frames import Image
from sightline_analysis.logo.reference import (
    Mask,
    ReferenceImage,
    masked_correlation,
    resized_mask,
)

Matrix = npt.NDArray[np.float64]
TEMPLATE_WIDTH = 80
_TEMPLATE_BLUR = 1.0
_EDGE = np.ones((5, 5), np.uint8)  # the smoothing reaches this far over the frame's edge
MIN_COMPARED = 0.4
"""Share of the template that must lie in frame for it to be compared at all."""


@dataclass(frozen=True)
class Template:
    """The small picture compared against: `image`, the pixels of it to compare (`mask`, None:
    all), and whether it is a silhouette (a flat-coloured logo's shape, sign ignored)."""

    image: Image
    mask: Mask | None
    silhouette: bool


def template(ref: ReferenceImage, min_contrast: float) -> Template:
    """The template of `ref` at `TEMPLATE_WIDTH`.

    An opaque reference compares every pixel. A transparent one compares its opaque pixels
    only; if those are one flat colour (nothing to correlate), the template is its silhouette
    compared over the whole canvas: a flat logo differs from whatever lies around it.
    """
    size = (TEMPLATE_WIDTH, max(8, round(TEMPLATE_WIDTH * ref.height / ref.width)))
    image = _smoothed(
        np.asarray(cv2.resize(ref.gray, size, interpolation=cv2.INTER_AREA), np.uint8)
    )
    if not ref.transparent:
        return Template(image, None, False)
    mask = resized_mask(ref.opaque, size, 1)
    if np.count_nonzero(mask) and float(image[mask > 0].std()) >= min_contrast:
        return Template(image, mask, False)
    silhouette = np.asarray(cv2.resize(ref.opaque, size, interpolation=cv2.INTER_AREA), np.uint8)
    return Template(_smoothed(silhouette), None, True)


def appearance_score(
    tpl: Template, ref_size: tuple[int, int], frame_gray: Image, matrix: Matrix
) -> float:
    """Normalised correlation of the frame region `matrix` maps the reference (`ref_size`
    w, h) onto, brought back to the template's size, with the template (0 when negative,
    unless a silhouette); 0 when less than `MIN_COMPARED` of it lies in frame."""
    th, tw = tpl.image.shape[:2]
    to_template = np.diag([tw / ref_size[0], th / ref_size[1], 1.0])
    inverse_map = matrix @ np.linalg.inv(to_template)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    patch = cv2.warpPerspective(frame_gray, inverse_map, (tw, th), flags=flags)
    inside = cv2.warpPerspective(
        np.full(frame_gray.shape[:2], 255, np.uint8), inverse_map, (tw, th), flags=flags
    )
    if int(inside.min()) == 255:
        return _score(np.asarray(patch, np.uint8), tpl, tpl.mask)
    mask = np.where(cv2.erode(inside, _EDGE) == 255, 255, 0).astype(np.uint8)
    compared = tw * th
    if tpl.mask is not None:
        mask = np.minimum(mask, tpl.mask)
        compared = np.count_nonzero(tpl.mask)
    if np.count_nonzero(mask) < MIN_COMPARED * compared:
        return 0.0
    return _score(np.asarray(patch, np.uint8), tpl, mask)


def _score(patch: Image, tpl: Template, mask: Mask | None) -> float:
    score = masked_correlation(_smoothed(patch), tpl.image, mask)
    return abs(score) if tpl.silhouette else max(0.0, score)


def _smoothed(image: Image) -> Image:
    return np.asarray(cv2.GaussianBlur(image, (0, 0), _TEMPLATE_BLUR), np.uint8)
