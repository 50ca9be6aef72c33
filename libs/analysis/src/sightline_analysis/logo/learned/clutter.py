"""Procedural backgrounds for training crops: colour noise, gradients, stripes, flat colour,
with shapes and random text on top (text drawn with cv2.putText, so that text as such is not
"a logo"). Some shapes and text take the references' own colours (`colours`)."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float32]

_FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_COMPLEX_SMALL,
    cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
    cv2.FONT_HERSHEY_SCRIPT_COMPLEX,
    cv2.FONT_HERSHEY_PLAIN,
)
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 :-"
_MANY_SHAPES = 5


def background(rng: np.random.Generator, size: int, colours: Floats | None = None) -> Floats:
    """A `size` x `size` BGR float (0..1) background with shapes and text."""
    kind = rng.integers(4)
    base: npt.NDArray[np.floating[Any]]
    if kind == 0:
        base = _noise(rng, size)
    elif kind == 1:
        base = _gradient(rng, size)
    elif kind == 2:
        base = _stripes(rng, size)
    else:
        base = np.ones((size, size, 3)) * rng.random(3)[None, None, :]
    image = np.ascontiguousarray(base, np.float32)
    few = rng.random() < 0.6
    shapes = int(rng.integers(0, _MANY_SHAPES) if few else rng.integers(_MANY_SHAPES, 40))
    for _ in range(shapes):
        _shape(rng, image, colours, small=shapes > _MANY_SHAPES)
    for _ in range(rng.integers(0, 6)):
        _text(rng, image, colours)
    return image


def _noise(rng: np.random.Generator, size: int) -> Floats:
    """Multi-octave colour noise."""
    image = np.zeros((size, size, 3), np.float32)
    for octave in (2, 4, 8, 16):
        if rng.random() < 0.7:
            small = rng.random((octave, octave, 3)).astype(np.float32)
            image += cv2.resize(small, (size, size), interpolation=cv2.INTER_CUBIC)
    low, high = image.min(), image.max()
    spread = rng.uniform(0.2, 1.0)
    scaled = (image - low) / max(1e-6, float(high - low)) * spread + rng.uniform(0, 1 - spread)
    return np.asarray(scaled, np.float32)


def _ramp(rng: np.random.Generator, size: int) -> npt.NDArray[np.float64]:
    angle = rng.uniform(0, np.pi)
    steps = np.arange(size, dtype=np.float64)
    return np.asarray(np.cos(angle) * steps[None, :] + np.sin(angle) * steps[:, None])


def _gradient(rng: np.random.Generator, size: int) -> npt.NDArray[np.float64]:
    a, b = rng.random(3), rng.random(3)
    ramp = _ramp(rng, size)
    ramp = (ramp - ramp.min()) / max(1e-6, float(np.ptp(ramp)))
    return _blend(a, b, ramp)


def _stripes(rng: np.random.Generator, size: int) -> npt.NDArray[np.float64]:
    period = rng.uniform(4, 40)
    ramp = _ramp(rng, size)
    wave = 0.5 + 0.5 * np.sin(ramp * 2 * np.pi / period)
    if rng.random() < 0.5:  # checks and hard stripes
        wave = (wave > 0.5).astype(np.float64)
    a, b = rng.random(3), rng.random(3)
    return _blend(a, b, wave)


def _blend(
    a: npt.NDArray[np.float64], b: npt.NDArray[np.float64], weight: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Colour `a` where `weight` is 0, `b` where it is 1."""
    return np.asarray(
        a[None, None, :] * (1 - weight[:, :, None]) + b[None, None, :] * weight[:, :, None]
    )


def _pick(rng: np.random.Generator, colours: Floats | None) -> tuple[float, float, float]:
    if colours is not None and rng.random() < 0.5:
        source = colours[rng.integers(len(colours))]
    else:
        source = rng.random(3)
    return float(source[0]), float(source[1]), float(source[2])


def _shape(rng: np.random.Generator, image: Floats, colours: Floats | None, small: bool) -> None:
    size = image.shape[0]
    colour = _pick(rng, colours)
    thickness = -1 if rng.random() < 0.5 else int(rng.integers(1, 4))
    x, y = (int(v) for v in rng.integers(-size // 4, size + size // 4, 2))
    r = int(rng.integers(3, size // 8 if small else size // 2))
    kind = rng.integers(4)
    if kind == 0:
        corner = (x + r, y + int(rng.integers(2, r + 3)))
        cv2.rectangle(image, (x, y), corner, colour, thickness)
    elif kind == 1:
        cv2.circle(image, (x, y), r // 2, colour, thickness, cv2.LINE_AA)
    elif kind == 2:
        x2, y2 = (int(v) for v in rng.integers(0, size, 2))
        cv2.line(image, (x, y), (x2, y2), colour, max(1, thickness), cv2.LINE_AA)
    else:
        points = rng.integers(-size // 4, size + size // 4, (3, 2)).astype(np.int32)
        cv2.fillPoly(image, [points], colour, cv2.LINE_AA)


def _text(rng: np.random.Generator, image: Floats, colours: Floats | None) -> None:
    size = image.shape[0]
    length = int(rng.integers(2, 10))
    text = "".join(_LETTERS[i] for i in rng.integers(0, len(_LETTERS), length))
    if rng.random() < 0.3:
        text = text.title()
    font = _FONTS[int(rng.integers(len(_FONTS)))]
    scale = float(rng.uniform(0.25, 1.6))
    colour = _pick(rng, colours)
    origin = (int(rng.integers(-size // 3, size)), int(rng.integers(0, size + size // 4)))
    thickness = int(rng.integers(1, 3))
    cv2.putText(image, text, origin, font, scale, colour, thickness, cv2.LINE_AA)
