"""Where to look again, closer: regions of the frame where a reference had matches it could
not verify.

Features come from a downscaled frame (a quarter of the cost), where a logo 60-140 px wide in
720p is 30-70 px: enough keypoints to match a few, too few for a transform to be verified.
The few right ones agree on where the logo is and how large. That becomes a region, cut from
the full-resolution frame and searched again (small objects become large, as a zoomed camera
would see them), for the cost of a crop rather than a frame.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt

Points = npt.NDArray[np.float32]
Region = tuple[int, int, int, int]  # x0, y0, x1, y1 in frame pixels (x1, y1 exclusive)


def similarity_region(
    reference_points: Points,
    frame_points: Points,
    reference_size: tuple[int, int],
    threshold: float,
    min_inliers: int,
) -> tuple[tuple[float, float, float, float], int] | None:
    """Where the reference would lie if the largest group of matches agreeing on one
    similarity transform (RANSAC, `threshold` px) is right: the box of its projected rectangle
    (in `frame_points`' pixels) and that group's size; None below `min_inliers`.

    Matches in textured footage cluster anywhere; a handful that agree on one rotation, scale
    and shift with the reference's own layout rarely happen by chance, and they also say how
    large the logo is, so the region fits it.
    """
    if len(frame_points) < max(3, min_inliers):
        return None
    affine, mask = cv2.estimateAffinePartial2D(
        reference_points.reshape(-1, 1, 2),
        frame_points.reshape(-1, 1, 2),
        method=cv2.RANSAC,
        ransacReprojThreshold=threshold,
    )
    if affine is None or mask is None or int(mask.sum()) < min_inliers:
        return None
    width, height = reference_size
    corners = np.array([[0, 0, 1], [width, 0, 1], [width, height, 1], [0, height, 1]], np.float64)
    projected = corners @ np.asarray(affine, np.float64).T
    x0, y0 = projected.min(axis=0)
    x1, y1 = projected.max(axis=0)
    return (float(x0), float(y0), float(x1), float(y1)), int(mask.sum())


def grown(
    box: tuple[float, float, float, float], margin: float
) -> tuple[float, float, float, float]:
    """`box` (x0, y0, x1, y1) grown by `margin` of its size on each side."""
    dx, dy = margin * (box[2] - box[0]), margin * (box[3] - box[1])
    return box[0] - dx, box[1] - dy, box[2] + dx, box[3] + dy


def merged_regions(
    boxes: Sequence[tuple[float, float, float, float]], width: int, height: int, limit: int
) -> list[Region]:
    """`boxes` (in priority order) clipped to the frame, overlapping ones merged, at most
    `limit` of them."""
    regions: list[list[float]] = []
    for box in boxes:
        x0, y0, x1, y1 = max(0.0, box[0]), max(0.0, box[1]), min(width, box[2]), min(height, box[3])
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        for region in regions:
            if x0 < region[2] and region[0] < x1 and y0 < region[3] and region[1] < y1:
                region[:] = [min(x0, region[0]), min(y0, region[1]),
                             max(x1, region[2]), max(y1, region[3])]  # fmt: skip
                break
        else:
            if len(regions) < limit:
                regions.append([x0, y0, x1, y1])
    return [(int(r[0]), int(r[1]), int(np.ceil(r[2])), int(np.ceil(r[3]))) for r in regions]
