"""Footage behind the logos: textures, gradients, stripes, mosaics and text, with camera pan.

A shot's background is drawn once on a canvas larger than the frame and panned over (so it
moves), and every frame gets its own sensor noise. No brand lettering is ever drawn here: text
in the background is plain words, so anything a detector reports on it is a false positive.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np

from sightline_analysis.frames import Image

_WORDS = ("LIVE", "SCORE 2-1", "NEWS", "HALF TIME", "REPLAY", "GATE 7", "EXIT", "WEATHER",
          "12:45", "FINAL", "TICKETS", "STADIUM", "ROW B", "PRESS", "WELCOME", "AWAY")  # fmt: skip
_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX,
          cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_PLAIN)  # fmt: skip
NOISE_SIGMA = 5.0


class BackgroundKind(StrEnum):
    """What a shot's background looks like."""

    GRADIENT = "gradient"
    TEXTURE = "texture"
    STRIPES = "stripes"
    MOSAIC = "mosaic"
    TEXT = "text"


@dataclass(frozen=True)
class BackgroundSpec:
    """A shot's background: its look, the seed it is drawn from and the pan (px/s)."""

    kind: BackgroundKind
    seed: int
    pan: tuple[float, float] = (0.0, 0.0)
    words: bool = True  # scatter plain words (signage, captions) over it


def draw_canvas(spec: BackgroundSpec, size: tuple[int, int], seconds: float) -> Image:
    """The background canvas: `size` (w, h) plus room for `seconds` of pan."""
    rng = np.random.default_rng(spec.seed)
    width = size[0] + int(abs(spec.pan[0]) * seconds) + 2
    height = size[1] + int(abs(spec.pan[1]) * seconds) + 2
    base = rng.integers(30, 226, size=(2, 3)).astype(np.float32)
    ramp = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :, None]
    canvas = base[0] * (1 - ramp) + base[1] * ramp
    canvas = np.broadcast_to(canvas, (height, width, 3)).copy()
    if spec.kind is BackgroundKind.TEXTURE:
        for cell, amplitude in ((64, 50.0), (16, 25.0), (4, 12.0)):  # coarse-to-fine noise
            small = rng.normal(0, amplitude, (height // cell + 2, width // cell + 2, 3))
            up = cv2.resize(small.astype(np.float32), (width + 2 * cell, height + 2 * cell))
            canvas += up[:height, :width]
    elif spec.kind is BackgroundKind.STRIPES:
        period, angle = float(rng.uniform(18, 70)), float(rng.uniform(0, np.pi))
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
        wave = np.sin((xs * np.cos(angle) + ys * np.sin(angle)) * 2 * np.pi / period)
        canvas += (wave[:, :, None] * rng.uniform(20, 60, 3)).astype(np.float32)
    elif spec.kind is BackgroundKind.MOSAIC:
        for _ in range(int(width * height / 6000)):
            colour = tuple(float(c) for c in rng.integers(0, 256, 3))
            x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
            if rng.random() < 0.5:
                cv2.circle(canvas, (x, y), int(rng.integers(4, 40)), colour, -1, cv2.LINE_AA)
            else:
                w, h = (int(v) for v in rng.integers(6, 90, 2))
                cv2.rectangle(canvas, (x, y), (x + w, y + h), colour, -1)
    image: Image = np.clip(canvas, 0, 255).astype(np.uint8)
    if spec.words or spec.kind is BackgroundKind.TEXT:
        _scatter_words(image, rng, dense=spec.kind is BackgroundKind.TEXT)
    return image


def _scatter_words(image: Image, rng: np.random.Generator, *, dense: bool) -> None:
    height, width = image.shape[:2]
    count = int(width * height / (25000 if dense else 150000)) + 2
    for _ in range(count):
        word = str(rng.choice(_WORDS))
        font = _FONTS[int(rng.integers(0, len(_FONTS)))]
        scale = float(rng.uniform(0.5, 3.0))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        origin = (int(rng.integers(-50, width)), int(rng.integers(20, height + 20)))
        thickness = int(rng.integers(1, 5))
        cv2.putText(image, word, origin, font, scale, colour, thickness, cv2.LINE_AA)


def pan_view(canvas: Image, spec: BackgroundSpec, size: tuple[int, int], t: float) -> Image:
    """The frame-sized window of `canvas` at `t` seconds into the shot (a copy)."""
    dx, dy = abs(spec.pan[0]) * t, abs(spec.pan[1]) * t
    x = int(dx) if spec.pan[0] >= 0 else canvas.shape[1] - size[0] - int(dx) - 1
    y = int(dy) if spec.pan[1] >= 0 else canvas.shape[0] - size[1] - int(dy) - 1
    x = min(max(0, x), canvas.shape[1] - size[0])
    y = min(max(0, y), canvas.shape[0] - size[1])
    return canvas[y : y + size[1], x : x + size[0]].copy()


class SensorNoise:
    """Per-frame sensor noise: windows of one noise field, placed by a per-frame generator."""

    _MARGIN = 64

    def __init__(self, seed: int, size: tuple[int, int]) -> None:
        rng = np.random.default_rng(seed)
        shape = (size[1] + self._MARGIN, size[0] + self._MARGIN, 3)
        self._field = np.clip(rng.normal(128, NOISE_SIGMA, shape), 0, 255).astype(np.uint8)
        self._size = size

    def add(self, image: Image, rng: np.random.Generator) -> Image:
        """`image` with noise added (new array)."""
        x, y = (int(v) for v in rng.integers(0, self._MARGIN, 2))
        window = self._field[y : y + self._size[1], x : x + self._size[0]]
        return np.asarray(cv2.addWeighted(image, 1.0, window, 1.0, -128.0), np.uint8)
