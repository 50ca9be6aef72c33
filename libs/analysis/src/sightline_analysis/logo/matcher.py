"""Finding reference logos in frames: SIFT features, ratio test, RANSAC homography.

Broadcast video scales, rotates, skews, blurs and compresses a logo; SIFT keypoints survive
all of those, and a homography fitted with RANSAC is the geometric check that separates a real
logo (many matches agreeing on one plane transform) from a look-alike (a few scattered
matches). References are described at several scales so a logo shown small still shares fine
detail with some scale of its reference.

A reference with transparency (see `reference.py`) is described only where it is opaque:
keypoints inside its (slightly eroded) opaque mask, the appearance check over opaque pixels,
and the reported outline is the opaque part's, projected.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

from sightline_analysis.frames import Image
from sightline_analysis.logo.reference import (
    Mask,
    ReferenceImage,
    masked_correlation,
    prepare_reference,
    resized_mask,
)

Points = npt.NDArray[np.float32]
Descriptors = npt.NDArray[np.float32]
Matrix = npt.NDArray[np.float64]
_TEMPLATE_WIDTH = 80
_FLANN_KDTREE = 1
_TEMPLATE_BLUR = 1.0


class MatcherConfig(BaseModel):
    """Tuning of the matcher; defaults hold on the synthetic benchmark."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    reference_width: int = 400
    reference_scales: tuple[float, ...] = (1.0, 0.5, 0.25)
    frame_features: int = 4000
    contrast_threshold: float = 0.02
    ratio: float = 0.75
    min_matches: int = 6
    min_inliers: int = 10
    min_similarity_inliers: int = 6
    full_support_inliers: int = 15
    ransac_threshold: float = 5.0
    min_appearance: float = 0.7
    min_confidence: float = 0.3
    min_box_px: int = 16
    # Transparent references: alpha at or above this is opaque; keypoints and the appearance
    # check keep this far inside the opaque part, so they do not describe the background.
    alpha_threshold: int = 128
    mask_erosion_px: int = 2
    # Below this grey-level spread over its opaque pixels a reference is one flat colour (a
    # single-colour wordmark): its appearance is checked by its silhouette instead.
    min_template_contrast: float = 10.0


@dataclass(frozen=True)
class LogoMatch:
    """A verified sighting of a brand in one frame (pixel coordinates)."""

    brand: str
    logo_id: str
    corners: Points
    inliers: int
    confidence: float
    outline: Points | None = None

    @property
    def polygon(self) -> Points:
        """The reference's opaque outline projected into the frame (its corners when opaque)."""
        return self.corners if self.outline is None else self.outline

    @property
    def box(self) -> tuple[float, float, float, float]:
        """Axis-aligned (x, y, w, h) around the projected opaque outline."""
        x0, y0 = self.polygon.min(axis=0)
        x1, y1 = self.polygon.max(axis=0)
        return float(x0), float(y0), float(x1 - x0), float(y1 - y0)


@dataclass(frozen=True)
class _Reference:
    logo_id: str
    brand: str
    width: int
    height: int
    points: Points
    descriptors: Descriptors
    features_per_scale: tuple[int, ...]
    template: Image
    template_mask: Mask | None
    silhouette: bool
    outline: Points


class LogoMatcher:
    """Holds the reference logos and matches frames against them; safe across threads.

    References are replaced as a whole (copy on write), so a follower thread can add or
    remove logos while the consumer thread matches.
    """

    def __init__(self, config: MatcherConfig | None = None) -> None:
        self.config = config or MatcherConfig()
        # A SIFT extractor is not safe to share between threads; one per thread lets segments
        # analysed in parallel (a replay's workers) extract features at the same time.
        self._per_thread = threading.local()
        self._references: dict[str, _Reference] = {}
        self._lock = threading.Lock()

    @property
    def brands(self) -> set[str]:
        """Brands with at least one reference."""
        return {ref.brand for ref in self._references.values()}

    def add(self, logo_id: str, brand: str, image: Image) -> None:
        """Add or replace reference `logo_id` of `brand` (gray, BGR or BGRA: transparency is
        honoured); raises ValueError if it is featureless or fully transparent."""
        reference = self._describe_reference(logo_id, brand, image)
        with self._lock:
            self._references = {**self._references, logo_id: reference}

    @property
    def logo_ids(self) -> set[str]:
        """Ids of the references held."""
        return set(self._references)

    def features(self, logo_id: str) -> tuple[int, ...]:
        """Keypoints described for reference `logo_id`, per reference scale; raises KeyError."""
        return self._references[logo_id].features_per_scale

    def remove(self, logo_id: str) -> None:
        """Forget reference `logo_id` (no error when unknown)."""
        with self._lock:
            self._references = {k: v for k, v in self._references.items() if k != logo_id}

    def match(self, frame: Image) -> list[LogoMatch]:
        """The brands verified in `frame`, best reference per brand, overlaps resolved."""
        references = self._references
        if not references:
            return []
        gray = _gray(frame)
        points, descriptors = self._features(gray)
        if descriptors is None or len(points) < self.config.min_matches:
            return []
        # One approximate-nearest-neighbour index over the frame, queried by every reference:
        # cost grows gently with the library instead of one brute-force pass per logo.
        index = cv2.FlannBasedMatcher({"algorithm": _FLANN_KDTREE, "trees": 4}, {"checks": 48})
        index.add([descriptors])
        index.train()
        best: dict[str, LogoMatch] = {}
        for ref in references.values():
            found = self._verify(ref, points, index, gray)
            if found and (ref.brand not in best or found.confidence > best[ref.brand].confidence):
                best[ref.brand] = found
        return _suppress_overlaps(sorted(best.values(), key=lambda m: -m.confidence))

    def _describe_reference(self, logo_id: str, brand: str, image: Image) -> _Reference:
        cfg = self.config
        ref = prepare_reference(image, cfg.alpha_threshold)
        scale0 = cfg.reference_width / ref.width
        all_points: list[Points] = []
        all_desc: list[npt.NDArray[np.float32]] = []
        counts: list[int] = []
        for scale in cfg.reference_scales:
            factor = scale0 * scale
            size = (max(8, round(ref.width * factor)), max(8, round(ref.height * factor)))
            resized = cv2.resize(ref.gray, size, interpolation=cv2.INTER_AREA)
            mask = resized_mask(ref.opaque, size, cfg.mask_erosion_px) if ref.transparent else None
            points, desc = self._features(np.asarray(resized, np.uint8), mask)
            counts.append(0 if desc is None else len(desc))
            if desc is None:
                continue
            all_points.append(points / np.float32(factor))
            all_desc.append(desc)
        if not all_desc or sum(counts) < cfg.min_matches:
            raise ValueError(f"reference {logo_id} of {brand} has too few features")
        template, template_mask, silhouette = _template(ref, cfg)
        return _Reference(
            template=template,
            template_mask=template_mask,
            silhouette=silhouette,
            logo_id=logo_id,
            brand=brand,
            width=ref.width,
            height=ref.height,
            points=np.concatenate(all_points),
            descriptors=np.concatenate(all_desc),
            features_per_scale=tuple(counts),
            outline=ref.outline(),
        )

    def _sift(self) -> Any:  # cv2's stubs type SIFT's outputs loosely (Mat | ndarray)
        sift = getattr(self._per_thread, "sift", None)
        if sift is None:
            sift = cv2.SIFT_create(  # type: ignore[attr-defined]
                nfeatures=self.config.frame_features,
                contrastThreshold=self.config.contrast_threshold,
            )
            self._per_thread.sift = sift
        return sift

    def _features(
        self, gray: Image, mask: Mask | None = None
    ) -> tuple[Points, npt.NDArray[np.float32] | None]:
        keypoints, descriptors = self._sift().detectAndCompute(gray, mask)
        points = np.array([kp.pt for kp in keypoints], dtype=np.float32).reshape(-1, 2)
        return points, descriptors

    def _verify(
        self,
        ref: _Reference,
        frame_points: Points,
        frame_index: cv2.FlannBasedMatcher,
        frame_gray: Image,
    ) -> LogoMatch | None:
        cfg = self.config
        pairs = frame_index.knnMatch(ref.descriptors, k=2)
        good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < cfg.ratio * p[1].distance]
        if len(good) < cfg.min_matches:
            return None
        src = ref.points[[m.queryIdx for m in good]].reshape(-1, 1, 2)
        dst = frame_points[[m.trainIdx for m in good]].reshape(-1, 1, 2)
        outline = np.array(
            [[0, 0], [ref.width, 0], [ref.width, ref.height], [0, ref.height]], np.float32
        )
        height, width = frame_gray.shape[:2]
        # A full homography (perspective) needs many inliers to be stable; a small logo has
        # few, so a similarity transform (rotation, scale, shift) is tried next.
        for matrix, inliers in (self._homography(src, dst), self._similarity(src, dst)):
            if matrix is None:
                continue
            projected = cv2.perspectiveTransform(outline.reshape(-1, 1, 2), matrix)
            corners = np.asarray(projected, np.float32).reshape(-1, 2)
            if not _plausible(corners, outline, width, height, cfg.min_box_px):
                continue
            appearance = _appearance(ref, frame_gray, matrix)
            if appearance < cfg.min_appearance:
                continue
            support = min(1.0, inliers / cfg.full_support_inliers)
            confidence = round(min(1.0, (inliers / len(good)) ** 0.5 * appearance * support), 4)
            if confidence >= cfg.min_confidence:
                projected = cv2.perspectiveTransform(ref.outline.reshape(-1, 1, 2), matrix)
                polygon = np.asarray(projected, np.float32).reshape(-1, 2)
                return LogoMatch(ref.brand, ref.logo_id, corners, inliers, confidence, polygon)
        return None

    def _homography(self, src: Points, dst: Points) -> tuple[Matrix | None, int]:
        matrix, mask = cv2.findHomography(src, dst, cv2.RANSAC, self.config.ransac_threshold)
        if matrix is None or mask is None or int(mask.sum()) < self.config.min_inliers:
            return None, 0
        return np.asarray(matrix, np.float64), int(mask.sum())

    def _similarity(self, src: Points, dst: Points) -> tuple[Matrix | None, int]:
        affine, mask = cv2.estimateAffinePartial2D(
            src, dst, method=cv2.RANSAC, ransacReprojThreshold=self.config.ransac_threshold
        )
        if affine is None or mask is None or int(mask.sum()) < self.config.min_similarity_inliers:
            return None, 0
        return np.vstack([np.asarray(affine, np.float64), [0.0, 0.0, 1.0]]), int(mask.sum())


def _template(ref: ReferenceImage, cfg: MatcherConfig) -> tuple[Image, Mask | None, bool]:
    """The small blurred picture the appearance check compares against, the pixels of it to
    compare (None: all) and whether it is a silhouette.

    An opaque reference compares every pixel. A transparent one compares its opaque pixels
    only; if those are one flat colour (nothing to correlate), the template is its silhouette
    compared over the whole canvas: a flat logo differs from whatever lies around it.
    """
    size = (_TEMPLATE_WIDTH, max(8, round(_TEMPLATE_WIDTH * ref.height / ref.width)))
    resized = cv2.resize(ref.gray, size, interpolation=cv2.INTER_AREA)
    template: Image = np.asarray(cv2.GaussianBlur(resized, (0, 0), _TEMPLATE_BLUR), np.uint8)
    if not ref.transparent:
        return template, None, False
    mask = resized_mask(ref.opaque, size, 1)
    if np.count_nonzero(mask) and float(template[mask > 0].std()) >= cfg.min_template_contrast:
        return template, mask, False
    silhouette = cv2.resize(ref.opaque, size, interpolation=cv2.INTER_AREA)
    return np.asarray(cv2.GaussianBlur(silhouette, (0, 0), _TEMPLATE_BLUR), np.uint8), None, True


def _appearance(ref: _Reference, frame_gray: Image, matrix: Matrix) -> float:
    """Normalised correlation of the frame region mapped back onto the reference template.

    Keypoints can agree on a transform for a look-alike that shares lettering; the pixels
    inside the projected outline still differ, so they are compared directly (only the
    opaque ones for a transparent reference: the background behind a logo is anybody's).
    A silhouette may show darker or lighter than its surroundings, so its sign is ignored.
    """
    th, tw = ref.template.shape[:2]
    to_template = np.diag([tw / ref.width, th / ref.height, 1.0])
    inverse_map = matrix @ np.linalg.inv(to_template)
    patch = cv2.warpPerspective(
        frame_gray, inverse_map, (tw, th), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    )
    patch = cv2.GaussianBlur(patch, (0, 0), _TEMPLATE_BLUR)
    score = masked_correlation(np.asarray(patch, np.uint8), ref.template, ref.template_mask)
    return abs(score) if ref.silhouette else max(0.0, score)


def _gray(image: Image) -> Image:
    if image.ndim == 2:
        return image
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)  # type: ignore[return-value]
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)  # type: ignore[return-value]


def _plausible(corners: Points, outline: Points, width: int, height: int, min_px: int) -> bool:
    """A real logo projects to a convex, unflipped quadrilateral without extreme stretch."""
    if not cv2.isContourConvex(corners.astype(np.float32).reshape(-1, 1, 2)):
        return False
    lengths = np.linalg.norm(np.roll(corners, -1, axis=0) - corners, axis=1)
    stretch = lengths / np.linalg.norm(np.roll(outline, -1, axis=0) - outline, axis=1)
    if lengths.min() < min_px or stretch.max() > 4 * stretch.min():
        return False
    nxt = np.roll(corners, -1, axis=0)
    signed = 0.5 * float((corners[:, 0] * nxt[:, 1] - nxt[:, 0] * corners[:, 1]).sum())
    if signed <= 0:  # reference corners run clockwise in image coordinates; a flip reverses them
        return False
    x0, y0 = corners.min(axis=0)
    x1, y1 = corners.max(axis=0)
    margin = 0.25
    return bool(
        x1 > -margin * width
        and y1 > -margin * height
        and x0 < (1 + margin) * width
        and y0 < (1 + margin) * height
    )


def iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def _suppress_overlaps(matches: list[LogoMatch], threshold: float = 0.5) -> list[LogoMatch]:
    """Keep the more confident of two brands claiming the same region."""
    kept: list[LogoMatch] = []
    for match in matches:
        if all(iou(match.box, other.box) < threshold for other in kept):
            kept.append(match)
    return kept
