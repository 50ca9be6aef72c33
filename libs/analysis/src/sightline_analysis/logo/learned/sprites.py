"""References made ready to composite into training crops: cropped to their opaque part,
premultiplied, labelled with their class."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
Floats = npt.NDArray[np.float32]

# An opaque reference whose border varies less than this (grey levels) is a mark on a box.
_FLAT_BORDER_STD = 8.0
_BOX_DISTANCE = 72


@dataclass(frozen=True)
class Sprite:
    """A reference ready to composite: premultiplied BGR (float32 0..1), alpha, class id."""

    colour: Floats
    alpha: Floats
    label: int


def sprites(image: Image, label: int) -> list[Sprite]:
    """The reference (BGR or BGRA) cropped to its opaque part, plus a box-free variant for an
    opaque reference with a flat-coloured border: footage usually shows the mark without the
    white box a brand kit delivers it on."""
    if image.shape[2] == 4:
        alpha = image[:, :, 3].astype(np.float32) / 255.0
        return [_cropped(image[:, :, :3], alpha, label)]
    alpha = np.ones(image.shape[:2], np.float32)
    result = [_cropped(image, alpha, label)]
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]]).astype(np.float32)
    if float(border.std(axis=0).max()) < _FLAT_BORDER_STD:
        distance = np.abs(image.astype(np.float32) - border.mean(axis=0)).max(axis=2)
        flat = (distance < _BOX_DISTANCE).astype(np.uint8)
        _, parts = cv2.connectedComponents(flat)
        edge = np.concatenate([parts[0], parts[-1], parts[:, 0], parts[:, -1]])
        touching = [int(p) for p in np.unique(edge) if p != 0]
        box = np.isin(parts, touching) & (flat > 0)
        if 0.05 < float(box.mean()) < 0.95:
            soft = cv2.GaussianBlur((~box).astype(np.float32), (3, 3), 0)
            result.append(_cropped(image, np.asarray(soft, np.float32), label))
    return result


def library_sprites(references: Sequence[tuple[int, Image]]) -> list[Sprite]:
    """Every sprite of `references` (class id, decoded reference image)."""
    return [s for label, image in references for s in sprites(image, label)]


def _cropped(bgr: Image, alpha: Floats, label: int) -> Sprite:
    ys, xs = np.nonzero(alpha >= 0.5)
    if len(ys) == 0:
        raise ValueError("a reference without opaque pixels cannot be composited")
    top, bottom, left, right = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    a = alpha[top:bottom, left:right]
    colour = bgr[top:bottom, left:right].astype(np.float32) / 255.0 * a[:, :, None]
    return Sprite(np.ascontiguousarray(colour), np.ascontiguousarray(a), label)


def palette(library: Sequence[Sprite], count: int = 512) -> Floats:
    """Colours the references use (opaque pixels, unpremultiplied), `count` of them drawn with a
    fixed seed: distractor shapes and text in these colours teach the net that a brand's
    colours alone are not the brand."""
    colours = [s.colour[s.alpha > 0.9] / s.alpha[s.alpha > 0.9][:, None] for s in library]
    everything = np.concatenate(colours)
    rng = np.random.default_rng(0)
    return everything[rng.integers(0, len(everything), count)].astype(np.float32)
