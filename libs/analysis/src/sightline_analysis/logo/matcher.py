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
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

from sightline_analysis.frames import Image
from sightline_analysis.logo.appearance import Template, appearance_score, template
from sightline_analysis.logo.index import Correspondences, DescriptorIndex, ReferenceFeatures
from sightline_analysis.logo.proposals import Region, grown, merged_regions, similarity_region
from sightline_analysis.logo.reference import Mask, prepare_reference, resized_mask
from sightline_analysis.logo.regions import RegionTemplate, region_template, worst_region

Points = npt.NDArray[np.float32]
Descriptors = npt.NDArray[np.float32]
Matrix = npt.NDArray[np.float64]
Inliers = npt.NDArray[np.bool_]
_NONE: Inliers = np.zeros(0, bool)
_FLANN_KDTREE = 1


class MatcherConfig(BaseModel):
    """Tuning of the matcher; defaults are tuned on the evaluation kit's tune seed."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    reference_width: int = 400
    reference_scales: tuple[float, ...] = (1.0, 0.5, 0.25)
    # Defocused views of the reference, (scale, Gaussian sigma in px at that scale), described
    # besides the sharp ones: a defocused logo loses its fine keypoints, the coarse ones keep.
    # ((0.5, 2.0), (0.25, 1.5)) measured on TUNE_SEED: recall 0.538 -> 0.547 (defocus 0.39 ->
    # 0.44), precision unchanged; not yet measured on the report seed, so off by default.
    blurred_views: tuple[tuple[float, float], ...] = ()
    # Frames wider than this (0: none) are searched downscaled to it: SIFT doubles its input
    # internally, so a 720p frame costs four times what a 640-px one does; boxes are reported
    # in the frame's own pixels. With the library index, regions where a reference had matches
    # it could not verify are searched again at full resolution (`proposal_*`).
    frame_width: int = 960
    # Candidate sightings of one reference per frame: after each, its inliers are set aside
    # and the rest searched again, so the real logo beside a look-alike that took the larger
    # consensus is still verified; the most confident per brand is reported.
    max_instances: int = 2
    # One kd-tree over every reference's descriptors, queried once by the frame (cost grows
    # with the logarithm of the library), instead of one pass per reference (see `index.py`).
    library_index: bool = True
    neighbours: int = 8
    same_point_tolerance: float = 0.03
    index_checks: int = 64
    proposal_min_matches: int = 4
    proposal_margin: float = 0.3
    proposal_min_px: float = 40.0
    max_proposals: int = 3
    # A proposal's region is described with its long side shrunk to this (zoomed up to 2x when
    # smaller): SIFT's CPU grows with the pixels, and it doubles its input inside. 320 -> 256 on
    # the logo kit (net pipeline replay, one process, alternating per clip, 3 rounds, load 10-16,
    # nproc 2): the same precision, recall and appearances on both tune seeds (IoU +-0.01 on some
    # clips; 1401 overall 0.86 -> 0.85), CPU per replay -5 to -8 % (1401) and -4.5 to -7 % (1403);
    # 224 lost recall on 1403 (0.835 -> 0.816) and added a false bin on 1401.
    proposal_max_px: int = 256
    frame_features: int = 4000
    # SIFT keypoints weaker than this are dropped: 0.02 -> 0.03 cut CPU per frame 14 % (A/B
    # on tune frames) for one 0.5-s bin of recall on TUNE_SEED and none on REPORT_SEED.
    contrast_threshold: float = 0.03
    ratio: float = 0.8
    min_matches: int = 6
    min_inliers: int = 10
    min_similarity_inliers: int = 6
    full_support_inliers: int = 15
    ransac_threshold: float = 5.0
    # How homographies are fitted: "usac" (OpenCV's LO-RANSAC with early rejection of bad
    # models, seeded, repeatable) or plain "ransac", which ran its 2000 iterations on most
    # groups (few inliers among many matches): 7.5 -> 0.26 ms a call, the same sightings on
    # both kit seeds.
    homography: Literal["usac", "ransac"] = "usac"
    min_appearance: float = 0.7
    # Region by region (`regions.py`): every textured window of the logo (a third of its
    # height) must correlate at least this well with the reference, at its best shift within
    # `region_shift_px`; a look-alike differs in a letter and fails there. 0: off. Measured on
    # TUNE_SEED's sightings (confidence >= 0.3): every look-alike's worst window <= 0.40, 5
    # of 127 real ones (occluded, mostly) below 0.5.
    min_region_agreement: float = 0.5
    region_window: float = 0.33
    region_shift_px: int = 2
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
    gray: Image
    points: Points
    descriptors: Descriptors
    features_per_scale: tuple[int, ...]
    template: Template
    regions: RegionTemplate
    outline: Points


@dataclass(frozen=True)
class _View:
    """The image features are searched in (`gray`: the frame downscaled, or a zoomed region
    of it) and the full-resolution frame it came from: `gray` = (frame - offset) * scale."""

    gray: Image
    frame: Image
    scale: float = 1.0
    offset: tuple[int, int] = (0, 0)

    def to_frame(self, matrix: Matrix) -> Matrix:
        """`matrix` (reference to `gray` pixels) as reference to frame pixels."""
        back = np.array([[1.0 / self.scale, 0.0, self.offset[0]],
                         [0.0, 1.0 / self.scale, self.offset[1]], [0.0, 0.0, 1.0]])  # fmt: skip
        return back @ matrix


@dataclass(frozen=True)
class _Library:
    """References and the index over their descriptors, replaced together (copy on write)."""

    references: tuple[_Reference, ...]
    index: DescriptorIndex | None

    @classmethod
    def of(cls, references: Iterable[_Reference]) -> _Library:
        held = tuple(references)
        features = [ReferenceFeatures(r.points, r.width, r.descriptors) for r in held]
        return cls(held, DescriptorIndex(features) if held else None)


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
        self._library: _Library | None = None
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
            self._library = None

    @property
    def logo_ids(self) -> set[str]:
        """Ids of the references held."""
        return set(self._references)

    def features(self, logo_id: str) -> tuple[int, ...]:
        """Keypoints described for reference `logo_id`, per reference scale, then per blurred
        view; raises KeyError."""
        return self._references[logo_id].features_per_scale

    def region_template(self, logo_id: str) -> RegionTemplate:
        """Reference `logo_id` as the region check compares it (`REGION_WIDTH` px wide,
        smoothed, with its transparency): what a second look that is not SIFT (a blurred
        picture) compares the frame with; raises KeyError."""
        return self._references[logo_id].regions

    def references_of(self, brand: str) -> dict[str, Image]:
        """The references of `brand` as described (logo id -> grey picture cropped to the
        opaque part, the transparent part filled with neutral grey): what a channel that does
        not match features (OCR) reads to know where the brand's text lies in its logo."""
        return {ref.logo_id: ref.gray for ref in self._references.values() if ref.brand == brand}

    def remove(self, logo_id: str) -> None:
        """Forget reference `logo_id` (no error when unknown)."""
        with self._lock:
            self._references = {k: v for k, v in self._references.items() if k != logo_id}
            self._library = None

    def match(self, frame: Image) -> list[LogoMatch]:
        """The brands verified in `frame`, best sighting per brand, overlaps resolved."""
        references = self._references
        if not references:
            return []
        cfg = self.config
        gray = _gray(frame)
        height, width = gray.shape[:2]
        scale = 1.0
        if 0 < cfg.frame_width < width:
            scale = cfg.frame_width / width
        small = _resized(gray, scale)
        points, descriptors = self._features(small)
        if descriptors is None or len(points) < cfg.min_matches:
            return []
        if not cfg.library_index:
            # One approximate-nearest-neighbour index over the frame, queried by every
            # reference.
            index = cv2.FlannBasedMatcher({"algorithm": _FLANN_KDTREE, "trees": 4},
                                          {"checks": 48})  # fmt: skip
            index.add([descriptors])
            index.train()
            view = _View(small, gray, scale)
            found = [m for ref in references.values()
                     for m in self._verify(ref, points, index, view)]  # fmt: skip
            return _best_per_brand(_mapped(m, scale) for m in found)
        library = self._current_library()
        found, unverified = self._search(library, points, descriptors, _View(small, gray, scale))
        found = [_mapped(m, scale) for m in found]
        if scale < 1.0:
            for region in self._proposals(library, unverified, found, scale, width, height):
                found += self._search_region(library, gray, region)
        return _best_per_brand(found)

    def match_region(self, frame: Image, box: tuple[float, float, float, float]) -> list[LogoMatch]:
        """The sightings inside `box` (x, y, w, h, frame pixels) of `frame`, searched at the
        frame's full resolution (zoomed, so a small logo gets the pixels SIFT needs), in
        frame pixels: a cheap second look at a candidate (a track, an OCR line)."""
        library = self._current_library()
        if library.index is None:
            return []
        gray = _gray(frame)
        height, width = gray.shape[:2]
        x, y, w, h = box
        region = (max(0, int(x)), max(0, int(y)), min(width, int(np.ceil(x + w))),
                  min(height, int(np.ceil(y + h))))  # fmt: skip
        if region[2] - region[0] < 8 or region[3] - region[1] < 8:
            return []
        return _best_per_brand(self._search_region(library, gray, region))

    def _search(
        self, library: _Library, points: Points, descriptors: Descriptors, view: _View
    ) -> tuple[list[LogoMatch], list[Correspondences]]:
        """Verified sightings in `view.gray` (its pixels) and the groups of matches of
        references that none was verified from."""
        cfg = self.config
        if library.index is None:
            return [], []
        groups = library.index.correspond(
            points,
            descriptors,
            ratio=cfg.ratio,
            neighbours=cfg.neighbours,
            checks=cfg.index_checks,
            tolerance=cfg.same_point_tolerance,
        )
        found: list[LogoMatch] = []
        unverified: list[Correspondences] = []
        for group in groups:
            ref = library.references[group.reference]
            matches = self._instances(ref, group.reference_points.reshape(-1, 1, 2),
                                      group.frame_points.reshape(-1, 1, 2), view)  # fmt: skip
            found += matches
            if not matches:
                unverified.append(group)
        return found, unverified

    def _search_region(self, library: _Library, gray: Image, region: Region) -> list[LogoMatch]:
        """Sightings in `region` (x0, y0, x1, y1) of the full-resolution `gray`, zoomed so its
        long side is `proposal_max_px` (at most 2x: a zoom adds no detail, it gives SIFT
        room), in frame pixels."""
        x0, y0, x1, y1 = region
        zoom = min(2.0, self.config.proposal_max_px / max(x1 - x0, y1 - y0))
        crop = _resized(np.ascontiguousarray(gray[y0:y1, x0:x1]), zoom)
        points, descriptors = self._features(crop)
        if descriptors is None or len(points) < self.config.min_matches:
            return []
        found, _ = self._search(library, points, descriptors, _View(crop, gray, zoom, (x0, y0)))
        return [_mapped(m, zoom, (x0, y0)) for m in found]

    def _proposals(  # noqa: PLR0917 - the frame's search state
        self,
        library: _Library,
        groups: list[Correspondences],
        found: list[LogoMatch],
        scale: float,
        width: int,
        height: int,
    ) -> list[Region]:
        """Regions (frame pixels) where unverified matches agree on a plausibly sized logo,
        best supported first, leaving out those a verified sighting already covers."""
        cfg = self.config
        candidates = []
        for group in groups:
            ref = library.references[group.reference]
            proposal = similarity_region(
                group.reference_points,
                group.frame_points / np.float32(scale),
                (ref.width, ref.height),
                cfg.ransac_threshold / scale,
                cfg.proposal_min_matches,
            )
            if proposal is None:
                continue
            box, support = proposal
            size = box[2] - box[0]
            centre = (0.5 * (box[0] + box[2]), 0.5 * (box[1] + box[3]))
            if not cfg.proposal_min_px <= size <= width or any(
                _inside(centre, match.box) for match in found
            ):
                continue
            candidates.append((support, grown(box, cfg.proposal_margin)))
        candidates.sort(key=lambda c: -c[0])
        return merged_regions([c[1] for c in candidates], width, height, cfg.max_proposals)

    def _current_library(self) -> _Library:
        """The references with the index over them, rebuilt after they changed (lazily, once:
        a library loaded logo by logo is indexed at its first frame, not at every logo)."""
        library = self._library
        if library is not None:
            return library
        with self._lock:
            if self._library is None:
                self._library = _Library.of(self._references.values())
            return self._library

    def _describe_reference(self, logo_id: str, brand: str, image: Image) -> _Reference:
        cfg = self.config
        ref = prepare_reference(image, cfg.alpha_threshold)
        scale0 = cfg.reference_width / ref.width
        all_points: list[Points] = []
        all_desc: list[npt.NDArray[np.float32]] = []
        counts: list[int] = []
        views = [(scale, 0.0) for scale in cfg.reference_scales] + list(cfg.blurred_views)
        for scale, sigma in views:
            factor = scale0 * scale
            size = (max(8, round(ref.width * factor)), max(8, round(ref.height * factor)))
            resized = cv2.resize(ref.gray, size, interpolation=cv2.INTER_AREA)
            if sigma > 0:
                resized = cv2.GaussianBlur(resized, (0, 0), sigma)
            mask = resized_mask(ref.opaque, size, cfg.mask_erosion_px) if ref.transparent else None
            points, desc = self._features(np.asarray(resized, np.uint8), mask)
            counts.append(0 if desc is None else len(desc))
            if desc is None:
                continue
            all_points.append(points / np.float32(factor))
            all_desc.append(desc)
        if not all_desc or sum(counts) < cfg.min_matches:
            raise ValueError(f"reference {logo_id} of {brand} has too few features")
        return _Reference(
            template=template(ref, cfg.min_template_contrast),
            regions=region_template(ref, cfg.region_window),
            logo_id=logo_id,
            brand=brand,
            width=ref.width,
            height=ref.height,
            gray=ref.gray,
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
        view: _View,
    ) -> list[LogoMatch]:
        """The sightings of `ref`: after each verified one its inliers are set aside and the
        rest searched again, so a second copy (or the real logo beside a look-alike that took
        the first consensus) is found too."""
        cfg = self.config
        pairs = frame_index.knnMatch(ref.descriptors, k=2)
        good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < cfg.ratio * p[1].distance]
        src = ref.points[[m.queryIdx for m in good]].reshape(-1, 1, 2)
        dst = frame_points[[m.trainIdx for m in good]].reshape(-1, 1, 2)
        return self._instances(ref, src, dst, view)

    def _instances(self, ref: _Reference, src: Points, dst: Points, view: _View) -> list[LogoMatch]:
        """Up to `max_instances` consensus groups of the matches, each verified or not, set
        aside in turn: a look-alike beside the real logo may hold the larger consensus, and
        when it fails verification the real one is the next."""
        cfg = self.config
        found: list[LogoMatch] = []
        for _ in range(cfg.max_instances):
            if len(src) < cfg.min_matches:
                break
            match, inliers = self._verify_once(ref, src, dst, view)
            if not inliers.any():
                break
            if match is not None:
                found.append(match)
            src, dst = src[~inliers], dst[~inliers]
        return found

    def _verify_once(
        self, ref: _Reference, src: Points, dst: Points, view: _View
    ) -> tuple[LogoMatch | None, Inliers]:
        """The sighting the best consensus of `src` -> `dst` verifies (None if it fails) and
        that consensus's inliers (none when no transform has enough)."""
        cfg = self.config
        outline = np.array(
            [[0, 0], [ref.width, 0], [ref.width, ref.height], [0, ref.height]], np.float32
        )
        frame_gray = view.gray
        height, width = frame_gray.shape[:2]
        consensus = _NONE
        # A full homography (perspective) needs many inliers to be stable; a small logo has
        # few, so a similarity transform (rotation, scale, shift) is tried next.
        for fit in (self._homography, self._similarity):
            matrix, inliers = fit(src, dst)
            if matrix is None:
                continue
            consensus = inliers if not consensus.any() else consensus
            projected = cv2.perspectiveTransform(outline.reshape(-1, 1, 2), matrix)
            corners = np.asarray(projected, np.float32).reshape(-1, 2)
            if not _plausible(corners, outline, width, height, cfg.min_box_px):
                continue
            appearance = appearance_score(ref.template, (ref.width, ref.height), frame_gray,
                                          matrix)  # fmt: skip
            if appearance < cfg.min_appearance or not self._agrees_everywhere(ref, view, matrix):
                continue
            count = int(inliers.sum())
            support = min(1.0, count / cfg.full_support_inliers)
            confidence = round(min(1.0, (count / len(src)) ** 0.5 * appearance * support), 4)
            if confidence >= cfg.min_confidence:
                projected = cv2.perspectiveTransform(ref.outline.reshape(-1, 1, 2), matrix)
                polygon = np.asarray(projected, np.float32).reshape(-1, 2)
                match = LogoMatch(ref.brand, ref.logo_id, corners, count, confidence, polygon)
                return match, inliers
        return None, consensus

    def _agrees_everywhere(self, ref: _Reference, view: _View, matrix: Matrix) -> bool:
        """Whether every textured region of `ref` agrees with the frame under `matrix`
        (compared in the full-resolution frame: a small logo keeps its pixels)."""
        cfg = self.config
        if cfg.min_region_agreement <= 0:
            return True
        worst = worst_region(ref.regions, (ref.width, ref.height), view.frame,
                             view.to_frame(matrix), cfg.region_shift_px,
                             enough=cfg.min_region_agreement)  # fmt: skip
        return worst is None or worst >= cfg.min_region_agreement

    def _homography(self, src: Points, dst: Points) -> tuple[Matrix | None, Inliers]:
        if self.config.homography == "usac":
            matrix, mask = cv2.findHomography(src, dst, cv2.USAC_DEFAULT,
                                              self.config.ransac_threshold, maxIters=10000,
                                              confidence=0.999)  # fmt: skip
        else:
            matrix, mask = cv2.findHomography(src, dst, cv2.RANSAC, self.config.ransac_threshold)
        if matrix is None or mask is None or int(mask.sum()) < self.config.min_inliers:
            return None, _NONE
        return np.asarray(matrix, np.float64), mask.ravel().astype(bool)

    def _similarity(self, src: Points, dst: Points) -> tuple[Matrix | None, Inliers]:
        affine, mask = cv2.estimateAffinePartial2D(
            src, dst, method=cv2.RANSAC, ransacReprojThreshold=self.config.ransac_threshold
        )
        if affine is None or mask is None or int(mask.sum()) < self.config.min_similarity_inliers:
            return None, _NONE
        matrix = np.vstack([np.asarray(affine, np.float64), [0.0, 0.0, 1.0]])
        return matrix, mask.ravel().astype(bool)


def _mapped(match: LogoMatch, scale: float, offset: tuple[int, int] = (0, 0)) -> LogoMatch:
    """`match` found in an image that is a region of the frame starting at `offset`, resized
    by `scale`, in the frame's own pixels."""
    if scale == 1.0 and offset == (0, 0):
        return match
    shift = np.array(offset, np.float32)
    corners = match.corners / np.float32(scale) + shift
    outline = None if match.outline is None else match.outline / np.float32(scale) + shift
    return LogoMatch(match.brand, match.logo_id, corners, match.inliers, match.confidence,
                     outline)  # fmt: skip


def _best_per_brand(matches: Iterable[LogoMatch]) -> list[LogoMatch]:
    """The most confident sighting of each brand, overlaps between brands resolved."""
    best: dict[str, LogoMatch] = {}
    for match in matches:
        if match.brand not in best or match.confidence > best[match.brand].confidence:
            best[match.brand] = match
    return _suppress_overlaps(sorted(best.values(), key=lambda m: -m.confidence))


def _resized(gray: Image, scale: float) -> Image:
    if scale == 1.0:
        return gray
    size = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
    return np.asarray(cv2.resize(gray, size, interpolation=cv2.INTER_AREA), np.uint8)


def _inside(point: tuple[float, float], box: tuple[float, float, float, float]) -> bool:
    x, y, w, h = box
    return x <= point[0] <= x + w and y <= point[1] <= y + h


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
