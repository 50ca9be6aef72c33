"""Synthetic training crops built from a logo library's references only (nothing downloaded,
no footage): deterministic given a seed.

Each crop is drawn at the net's input scale (a 720p frame downscaled to 480 px wide, so a
60-px logo is ~22 px): a procedural background (`clutter`), then 0-2 references composited
alpha-aware under a random pose (scale, rotation +-18 deg, perspective tilt to 25 deg), with
defocus or motion blur, brightness, occluders, a part outside the crop, JPEG artefacts. The
label is one class per stride-8 cell: the brand whose projected opaque outline covers at least
30 % of the cell, else 0 (background).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt

from sightline_analysis.logo.learned.clutter import background
from sightline_analysis.logo.learned.sprites import Floats, Image, Sprite, palette

STRIDE = 8
"""Pixels of input per heatmap cell."""
Labels = npt.NDArray[np.uint8]
_MIN_COVER = 0.3


def dataset(
    seed: int, library: Sequence[Sprite], count: int, size: int = 128
) -> tuple[npt.NDArray[np.uint8], Labels]:
    """`count` crops (count, size, size, 3) BGR and their label maps (count, size/8, size/8),
    the same for the same `seed` and library."""
    rng = np.random.default_rng(seed)
    images = np.zeros((count, size, size, 3), np.uint8)
    maps = np.zeros((count, size // STRIDE, size // STRIDE), np.uint8)
    colours = palette(library)
    for i in range(count):
        images[i], maps[i] = sample(rng, library, size, colours)
    return images, maps


def sample(
    rng: np.random.Generator, library: Sequence[Sprite], size: int = 128,
    colours: Floats | None = None,
) -> tuple[Image, Labels]:  # fmt: skip
    """One training crop (BGR uint8, `size` x `size`) and its stride-8 label map."""
    image = background(rng, size, colours)
    owner = np.zeros((size, size), np.int32)
    count = int(rng.choice([0, 1, 1, 1, 2]))
    for _ in range(count):
        sprite = library[int(rng.integers(len(library)))]
        width = float(np.exp(rng.uniform(np.log(14), np.log(170))))
        matrix = _pose(rng, sprite, size, width)
        image = _composite(rng, image, sprite, matrix, width)
        owner[_outline_mask(sprite, matrix, size) > 0] = sprite.label
    for _ in range(rng.integers(0, 3) if count else 0):  # occluders in front
        cover = np.zeros((size, size), np.uint8)
        x, y = (int(v) for v in rng.integers(0, size, 2))
        w, h = (int(v) for v in rng.integers(4, size // 3, 2))
        cv2.rectangle(cover, (x, y), (x + w, y + h), 1, -1)
        image[cover > 0] = rng.random(3).astype(np.float32)
        owner[cover > 0] = 0
    noisy = image * rng.uniform(0.6, 1.3) + rng.normal(0, rng.uniform(0, 0.03), image.shape)
    pixels = np.clip(noisy * 255, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:  # compression artefacts
        quality = int(rng.integers(30, 90))
        _, data = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, quality])
        pixels = np.asarray(cv2.imdecode(data, cv2.IMREAD_COLOR), np.uint8)
    return pixels, labels(owner)


def labels(owner: npt.NDArray[np.int32]) -> Labels:
    """Per stride-8 cell of a pixel `owner` map (class per pixel): a class covering at least
    30 % of the cell (the highest such class id), else 0."""
    rows, cols = owner.shape[0] // STRIDE, owner.shape[1] // STRIDE
    cut = owner[: rows * STRIDE, : cols * STRIDE]
    blocks = cut.reshape(rows, STRIDE, cols, STRIDE).transpose(0, 2, 1, 3).reshape(rows, cols, -1)
    result = np.zeros((rows, cols), np.uint8)
    for label in np.unique(owner):
        if label == 0:
            continue
        result[(blocks == label).mean(axis=2) >= _MIN_COVER] = label
    return result


def _composite(
    rng: np.random.Generator, image: Floats, sprite: Sprite, matrix: npt.NDArray[np.float64],
    width: float,
) -> Floats:  # fmt: skip
    """`image` with `sprite` drawn under `matrix`, gain changed and blurred (premultiplied)."""
    size = image.shape[0]
    layer = np.dstack([sprite.colour, sprite.alpha])
    shrink = width < sprite.alpha.shape[1]
    flags = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    warped = np.asarray(cv2.warpPerspective(layer, matrix, (size, size), flags=flags), np.float32)
    warped[:, :, :3] *= rng.uniform(0.5, 1.4)
    warped = _degraded(rng, warped)
    alpha = np.clip(warped[:, :, 3:4], 0, 1)
    return np.asarray(image * (1 - alpha) + np.clip(warped[:, :, :3], 0, None), np.float32)


def _outline_mask(sprite: Sprite, matrix: npt.NDArray[np.float64], size: int) -> Image:
    """The sprite's opaque outline (convex hull) projected into the crop, filled."""
    hull = np.zeros((size, size), np.uint8)
    opaque = (sprite.alpha >= 0.5).astype(np.uint8)
    points, _ = cv2.findContours(opaque, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    outline = cv2.convexHull(np.concatenate(points).astype(np.float32))
    projected = cv2.perspectiveTransform(outline, matrix)
    cv2.fillPoly(hull, [np.round(projected).astype(np.int32)], 1)
    return hull


def _pose(
    rng: np.random.Generator, sprite: Sprite, size: int, width: float
) -> npt.NDArray[np.float64]:
    """Homography from sprite pixels to crop pixels: scale to `width`, out-of-plane tilt about
    an in-plane axis (foreshortened, far side smaller), rotation, a centre anywhere in the crop
    and sometimes partly outside it (frame edges)."""
    h, w = sprite.alpha.shape
    square = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64)
    corners = (square - [w / 2, h / 2]) * (width / w)
    tilt = np.deg2rad(rng.uniform(0, 25))
    axis = rng.uniform(0, np.pi)
    direction = np.array([np.cos(axis), np.sin(axis)])
    across = corners @ direction
    foreshortened = corners - np.outer(across * (1 - np.cos(tilt)), direction)
    depth = 1 + across / max(1e-6, float(np.abs(across).max())) * np.sin(tilt) * 0.25
    perspective = foreshortened / depth[:, None]
    angle = np.deg2rad(rng.uniform(-18, 18))
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    placed = perspective @ rotation.T
    extent = np.ptp(placed, axis=0)
    slack = 0.35 if rng.random() < 0.3 else -0.1
    lo, hi = -slack * extent, size + slack * extent
    centre = np.array([rng.uniform(min(lo[0], size / 2), max(hi[0], size / 2)),
                       rng.uniform(min(lo[1], size / 2), max(hi[1], size / 2))])  # fmt: skip
    if slack < 0:  # wholly inside
        half = extent / 2
        centre = np.array([rng.uniform(half[0], max(half[0], size - half[0])),
                           rng.uniform(half[1], max(half[1], size - half[1]))])  # fmt: skip
    source = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    target = (placed + centre).astype(np.float32)
    return np.asarray(cv2.getPerspectiveTransform(source, target), np.float64)


def _degraded(rng: np.random.Generator, layer: Floats) -> Floats:
    """Defocus or motion blur (or neither) on a premultiplied BGRA layer."""
    roll = rng.random()
    if roll < 0.3:
        return np.asarray(cv2.GaussianBlur(layer, (0, 0), rng.uniform(0.5, 2.0)), np.float32)
    if roll < 0.6:
        kernel = _motion_kernel(rng, rng.uniform(2, 10))
        return np.asarray(cv2.filter2D(layer, -1, kernel), np.float32)
    return layer


def _motion_kernel(rng: np.random.Generator, length: float) -> Floats:
    size = int(np.ceil(length)) | 1
    kernel = np.zeros((size, size), np.float32)
    angle = rng.uniform(0, np.pi)
    c = size // 2
    dx, dy = np.cos(angle) * length / 2, np.sin(angle) * length / 2
    start, end = (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy))
    cv2.line(kernel, start, end, 1.0, 1, cv2.LINE_AA)
    return kernel / max(1e-6, float(kernel.sum()))
