"""Rendering one frame of a clip: pixels and the owner map behind its ground truth.

Order of a frame: the shot's panned background; each track's logo (premultiplied alpha, warped
by its pose's homography, then defocus and motion blur on the logo layer); occluders in front;
the shot's brightness gain on the whole frame; sensor noise. The owner map records the sharp
logo footprint (warped alpha >= 50 %), so blur never changes what counts as visible.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from sightline_analysis.frames import Image
from sightline_analysis.logo_eval.backgrounds import SensorNoise, draw_canvas, pan_view
from sightline_analysis.logo_eval.brands import Brand
from sightline_analysis.logo_eval.scene import (
    ClipSpec,
    Occluder,
    Pose,
    Shot,
    Track,
    pose_homography,
)
from sightline_analysis.logo_eval.truth import (
    NOBODY,
    OCCLUDER,
    Footprint,
    FrameTruth,
    OwnerMap,
    read_owner_map,
)

Float = npt.NDArray[np.float32]


@dataclass(frozen=True)
class _Layer:
    """A track at one frame: its footprint mask placed at (x, y) in frame pixels."""

    footprint: Footprint
    origin: tuple[int, int]
    mask: npt.NDArray[np.bool_]
    matrix: npt.NDArray[np.float64]  # canvas -> local (origin-relative) pixels
    pose: Pose


class ClipRenderer:
    """Renders frames of one clip; any frame on its own, in any order (deterministic)."""

    def __init__(self, clip: ClipSpec, brands: Mapping[str, Brand]) -> None:
        self.clip = clip
        self._brands = brands
        self._noise = SensorNoise(clip.seed, clip.size)
        self._canvases: dict[int, Image] = {}
        self._premultiplied: dict[str, Float] = {}

    def truth(self, index: int) -> FrameTruth:
        """Ground truth of frame `index` without drawing its pixels."""
        shot = self.clip.shot_at(index)
        owner, layers = self._owner_map(shot, index)
        return read_owner_map(owner, [layer.footprint for layer in layers])

    def frame(self, index: int) -> tuple[Image, FrameTruth]:
        """Frame `index` as BGR pixels, and its ground truth."""
        shot = self.clip.shot_at(index)
        owner, layers = self._owner_map(shot, index)
        canvas = self._canvases.get(shot.first)
        if canvas is None:
            seconds = (shot.last - shot.first + 1) / self.clip.fps
            canvas = self._canvases[shot.first] = draw_canvas(shot.background, self.clip.size,
                                                              seconds)  # fmt: skip
        t = (index - shot.first) / self.clip.fps
        image = pan_view(canvas, shot.background, self.clip.size, t).astype(np.float32)
        for layer in layers:
            self._paint_logo(image, layer)
        for track in shot.tracks:
            self._paint_occluder(image, track, index)
        image *= np.float32(shot.gain_at(index))
        pixels = np.clip(image + 0.5, 0, 255).astype(np.uint8)
        rng = np.random.default_rng([self.clip.seed, index])
        pixels = self._noise.add(pixels, rng)
        return pixels, read_owner_map(owner, [layer.footprint for layer in layers])

    def _owner_map(self, shot: Shot, index: int) -> tuple[OwnerMap, list[_Layer]]:
        width, height = self.clip.size
        owner = np.full((height, width), NOBODY, np.int16)
        layers = []
        for track in shot.tracks:
            if not track.first <= index <= track.last:
                continue
            layer = self._layer(track, index)
            if layer is None:
                continue
            layers.append(layer)
            x, y = layer.origin
            mh, mw = layer.mask.shape
            x0, y0, x1, y1 = max(0, x), max(0, y), min(width, x + mw), min(height, y + mh)
            if x1 > x0 and y1 > y0:
                visible = layer.mask[y0 - y : y1 - y, x0 - x : x1 - x]
                owner[y0:y1, x0:x1][visible] = track.instance
        for track in shot.tracks:
            mask_at = self._occluder_mask(track, index)
            if mask_at is not None:
                (x, y), mask = mask_at
                x0, y0 = max(0, x), max(0, y)
                x1, y1 = min(width, x + mask.shape[1]), min(height, y + mask.shape[0])
                if x1 > x0 and y1 > y0:
                    owner[y0:y1, x0:x1][mask[y0 - y : y1 - y, x0 - x : x1 - x]] = OCCLUDER
        return owner, layers

    def _layer(self, track: Track, index: int) -> _Layer | None:
        brand = self._brands[track.brand]
        pose = track.pose(index)
        height, width = brand.art.shape[:2]
        matrix = pose_homography(pose, (width, height), brand.opaque_box)
        corners = np.array([[[0, 0], [width, 0], [width, height], [0, height]]], np.float32)
        projected = np.asarray(cv2.perspectiveTransform(corners, matrix), np.float64)[0]
        pad = math.ceil(pose.blur_length / 2 + 3 * pose.defocus) + 2
        x0, y0 = (math.floor(v) - pad for v in projected.min(axis=0))
        x1, y1 = (math.ceil(v) + pad for v in projected.max(axis=0))
        local = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], np.float64) @ matrix
        alpha = cv2.warpPerspective(brand.art[:, :, 3], local, (x1 - x0, y1 - y0))
        mask = np.asarray(alpha, np.uint8) >= 128
        pixels = int(np.count_nonzero(mask))
        if pixels == 0:
            return None
        rows = np.flatnonzero(mask.any(axis=1))
        cols = np.flatnonzero(mask.any(axis=0))
        box = (x0 + int(cols[0]), y0 + int(rows[0]), int(cols[-1] - cols[0] + 1),
               int(rows[-1] - rows[0] + 1))  # fmt: skip
        footprint = Footprint(track.instance, track.brand, box, pixels)
        return _Layer(footprint, (x0, y0), mask, local, pose)

    def _paint_logo(self, image: Float, layer: _Layer) -> None:
        brand = layer.footprint.brand
        art = self._premultiplied.get(brand)
        if art is None:
            bgra = self._brands[brand].art.astype(np.float32)
            bgra[:, :, :3] *= bgra[:, :, 3:] / 255.0
            art = self._premultiplied[brand] = bgra
        mh, mw = layer.mask.shape
        warped = np.asarray(cv2.warpPerspective(art, layer.matrix, (mw, mh)), np.float32)
        pose = layer.pose
        if pose.defocus > 0:
            warped = np.asarray(cv2.GaussianBlur(warped, (0, 0), pose.defocus), np.float32)
        if pose.blur_length >= 1.5:
            warped = np.asarray(cv2.filter2D(warped, -1, _motion_kernel(pose)), np.float32)
        height, width = image.shape[:2]
        x, y = layer.origin
        x0, y0, x1, y1 = max(0, x), max(0, y), min(width, x + mw), min(height, y + mh)
        if x1 <= x0 or y1 <= y0:
            return
        part = warped[y0 - y : y1 - y, x0 - x : x1 - x]
        alpha = part[:, :, 3:] / 255.0
        region = image[y0:y1, x0:x1]
        region[:] = region * (1 - alpha) + part[:, :, :3]

    def _occluder_mask(
        self, track: Track, index: int
    ) -> tuple[tuple[int, int], npt.NDArray[np.bool_]] | None:
        occ: Occluder | None = track.occluder
        if occ is None or not track.first <= index <= track.last:
            return None
        pose = track.pose(index)
        brand = self._brands[track.brand]
        _, _, ow, oh = brand.opaque_box
        logo_w, logo_h = pose.width, pose.width * oh / ow
        p = track.progress(index)
        cx = pose.centre[0] + logo_w * (occ.start[0] + (occ.end[0] - occ.start[0]) * p)
        cy = pose.centre[1] + logo_w * (occ.start[1] + (occ.end[1] - occ.start[1]) * p)
        if occ.shape == "bar":
            half_w, half_h = occ.share * logo_w / 2, 0.65 * logo_h
        else:
            half_w = half_h = math.sqrt(occ.share * logo_w * logo_h / math.pi)
        x0, y0 = int(cx - half_w) - 1, int(cy - half_h) - 1
        size = (int(2 * half_w) + 3, int(2 * half_h) + 3)
        mask = np.zeros((size[1], size[0]), np.uint8)
        centre = (round(cx - x0), round(cy - y0))
        if occ.shape == "bar":
            corner = (round(cx - half_w - x0), round(cy - half_h - y0))
            far = (round(cx + half_w - x0), round(cy + half_h - y0))
            cv2.rectangle(mask, corner, far, 255, -1)
        else:
            cv2.circle(mask, centre, round(half_w), 255, -1)
        return (x0, y0), mask > 0

    def _paint_occluder(self, image: Float, track: Track, index: int) -> None:
        mask_at = self._occluder_mask(track, index)
        if mask_at is None or track.occluder is None:
            return
        (x, y), mask = mask_at
        height, width = image.shape[:2]
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = min(width, x + mask.shape[1]), min(height, y + mask.shape[0])
        if x1 > x0 and y1 > y0:
            region = image[y0:y1, x0:x1]
            region[mask[y0 - y : y1 - y, x0 - x : x1 - x]] = track.occluder.colour


def _motion_kernel(pose: Pose) -> Float:
    length = max(2, round(pose.blur_length))
    size = length | 1
    kernel = np.zeros((size, size), np.float32)
    angle = math.radians(pose.blur_angle)
    half = (length - 1) / 2
    dx, dy = half * math.cos(angle), half * math.sin(angle)
    c = size // 2
    start = (round(c - dx), round(c - dy))
    end = (round(c + dx), round(c + dy))
    cv2.line(kernel, start, end, 1.0, 1)
    total = float(kernel.sum())
    return kernel / np.float32(total if total > 0 else 1.0)
