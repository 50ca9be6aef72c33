"""One nearest-neighbour index over the descriptors of every reference in the library.

Matching each reference against the frame costs a pass per reference: linear in the library.
Here the frame's descriptors query the library once (a kd-tree: the cost grows with the
logarithm of the library), and the matches are grouped per reference afterwards.

Lowe's ratio test needs care in this direction: a reference described at several scales holds
near-copies of many keypoints, so the second neighbour is often the same keypoint at another
scale. The second distance is therefore taken from the nearest neighbour that is a *different*
keypoint: another reference, or a point of the same reference more than `tolerance` (share of
its width) away. A frame keypoint whose neighbours are all the same keypoint is distinctive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

Points = npt.NDArray[np.float32]
Descriptors = npt.NDArray[np.float32]
_KDTREE = 1
_TREES = 4
# FLANN's kd-trees draw split dimensions from OpenCV's RNG: seeded before each build, the same
# library gives the same index (and matches) in every process, whatever was built before.
_SEED = 1401


@dataclass(frozen=True)
class ReferenceFeatures:
    """One reference's keypoints over all its scales, in reference pixels, with the
    reference's width (for the ratio test's tolerance) and their descriptors."""

    points: Points
    width: int
    descriptors: Descriptors


@dataclass(frozen=True)
class Correspondences:
    """Ratio-tested matches of one reference (its position in the index): its points and the
    frame's points, pair by pair."""

    reference: int
    reference_points: Points
    frame_points: Points


class DescriptorIndex:
    """An immutable kd-tree index over `features` (one entry per reference, in order)."""

    def __init__(self, features: Sequence[ReferenceFeatures]) -> None:
        self.size = len(features)
        self._owner = np.concatenate(
            [np.full(len(f.descriptors), i, np.int32) for i, f in enumerate(features)]
        )
        self._points = np.concatenate([f.points for f in features])
        self._unit = np.concatenate([f.points / np.float32(f.width) for f in features])
        cv2.setRNGSeed(_SEED)
        descriptors = np.ascontiguousarray(np.concatenate([f.descriptors for f in features]))
        self._index = cv2.flann_Index(  # type: ignore[attr-defined]
            descriptors, {"algorithm": _KDTREE, "trees": _TREES}
        )

    def correspond(
        self,
        frame_points: Points,
        frame_descriptors: Descriptors,
        *,
        ratio: float,
        neighbours: int,
        checks: int,
        tolerance: float,
    ) -> list[Correspondences]:
        """The frame's ratio-tested matches grouped per reference (references without any are
        left out), each frame keypoint matched to at most one reference keypoint."""
        k = min(neighbours, len(self._owner))
        found, distances = self._index.knnSearch(
            np.ascontiguousarray(frame_descriptors, np.float32), k, params={"checks": checks}
        )
        found = np.asarray(found, np.int64).reshape(len(frame_descriptors), k)
        distances = np.asarray(distances, np.float32).reshape(len(frame_descriptors), k)
        valid = found >= 0
        found = np.where(valid, found, 0)
        owner = self._owner[found]
        offset = np.linalg.norm(self._unit[found] - self._unit[found[:, :1]], axis=2)
        same = valid & (owner == owner[:, :1]) & (offset <= tolerance)
        other = ~same & valid
        has_other = other.any(axis=1)
        second = distances[np.arange(len(found)), np.argmax(other, axis=1)]
        # knnSearch gives squared L2 distances: the ratio applies squared.
        good = valid[:, 0] & (~has_other | (distances[:, 0] < ratio * ratio * second))
        rows = np.nonzero(good)[0]
        nearest = found[rows, 0]
        owners = self._owner[nearest]
        return [
            Correspondences(
                int(reference),
                self._points[nearest[owners == reference]],
                frame_points[rows[owners == reference]],
            )
            for reference in np.unique(owners)
        ]
