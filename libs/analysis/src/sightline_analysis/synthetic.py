"""Synthetic footage with known ground truth, for tests and the benchmark (nothing downloaded).

Logos are drawn (shapes plus the brand's name), backgrounds are textured noise, and a logo is
composited scaled, rotated and blurred at a known place so a detector's box can be scored.
"""

from __future__ import annotations

import subprocess
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from sightline_analysis.frames import Image

_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_TRIPLEX)


def make_logo(name: str, seed: int, size: tuple[int, int] = (400, 200)) -> Image:
    """A textured logo image: a palette, random shapes and the brand `name` lettered in.

    Two logos drawn with the same `seed` but different names share palette and layout style
    yet not their detail: a look-alike distractor.
    """
    rng = np.random.default_rng(seed)
    width, height = size
    palette = rng.integers(0, 256, size=(4, 3))
    logo = np.full((height, width, 3), palette[0], dtype=np.uint8)
    shape_rng = np.random.default_rng(zlib.crc32(name.encode()))
    for _ in range(6):
        colour = tuple(int(c) for c in palette[shape_rng.integers(1, 4)])
        x, y = int(shape_rng.integers(0, width)), int(shape_rng.integers(0, height))
        if shape_rng.random() < 0.5:
            cv2.circle(logo, (x, y), int(shape_rng.integers(10, height // 3)), colour, -1)
        else:
            pts = shape_rng.integers(0, [width, height], size=(3, 2)).astype(np.int32)
            cv2.fillPoly(logo, [pts], colour)
    font = _FONTS[int(shape_rng.integers(0, len(_FONTS)))]
    scale = min(width / (len(name) * 22 + 10), 3.0)
    text_colour = tuple(int(255 - c) for c in palette[0])
    cv2.putText(logo, name, (10, int(height * 0.62)), font, scale, text_colour, 3, cv2.LINE_AA)
    cv2.rectangle(logo, (3, 3), (width - 4, height - 4), text_colour, 4)
    return logo


def make_transparent_logo(name: str, seed: int, size: tuple[int, int] = (400, 240)) -> Image:
    """A brand-kit style BGRA logo: an emblem and the lettered `name` on a transparent canvas,
    with a transparent margin around them (what a PNG from a brand kit looks like)."""
    rng = np.random.default_rng(seed)
    width, height = size
    palette = [tuple(int(c) for c in rng.integers(0, 256, size=3)) for _ in range(4)]
    colour = np.zeros((height, width, 3), np.uint8)  # black under the transparent part
    alpha = np.zeros((height, width), np.uint8)
    left, top, right, bottom = width // 8, height // 5, width - width // 8, height - height // 5
    emblem = (bottom - top) // 2
    centre = (left + emblem, (top + bottom) // 2)
    shape_rng = np.random.default_rng(zlib.crc32(name.encode()))
    for target, value in ((colour, palette[0]), (alpha, 255)):
        cv2.circle(target, centre, emblem, value, -1, cv2.LINE_AA)
    for _ in range(5):
        tint = palette[int(shape_rng.integers(1, 4))]
        pts = (shape_rng.integers(-emblem, emblem, size=(3, 2)) * 0.7 + centre).astype(np.int32)
        cv2.fillPoly(colour, [pts], tint, cv2.LINE_AA)
    text_left = centre[0] + emblem + 8
    scale = min((right - text_left) / (len(name) * 20 + 4), 2.0)
    org = (text_left, centre[1] + int(12 * scale))
    font = _FONTS[int(shape_rng.integers(0, len(_FONTS)))]
    for target, value in ((colour, palette[1]), (alpha, 255)):
        cv2.putText(target, name, org, font, scale, value, 4, cv2.LINE_AA)
    return np.dstack([colour, alpha])


def background(seed: int, size: tuple[int, int] = (1280, 720)) -> Image:
    """A textured, noisy frame with no logo in it."""
    rng = np.random.default_rng(seed)
    width, height = size
    ramp = np.linspace(40, 200, width, dtype=np.float32)
    frame = np.dstack([np.tile(ramp, (height, 1))] * 3)
    frame += rng.normal(0, 12, size=frame.shape).astype(np.float32)
    image = np.clip(frame, 0, 255).astype(np.uint8)
    for _ in range(25):
        colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        cv2.rectangle(image, (x, y), (x + int(rng.integers(20, 200)), y + 40), colour, -1)
    return cv2.GaussianBlur(image, (3, 3), 0)  # type: ignore[return-value]


@dataclass(frozen=True)
class Placement:
    """Where a logo is composited: centre (px), width on screen (px), rotation, blur."""

    centre: tuple[float, float]
    width: float
    angle: float = 0.0
    blur: float = 0.0


def composite(
    frame: Image, logo: Image, place: Placement
) -> tuple[Image, tuple[float, float, float, float]]:
    """`frame` with `logo` pasted as `place` says, and the pasted logo's (x, y, w, h) box.

    A BGRA `logo` is blended by its alpha, and the box is its opaque part's (alpha ≥ 128).
    """
    h, w = logo.shape[:2]
    scale = place.width / w
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), place.angle, scale)
    matrix[0, 2] += place.centre[0] - w / 2
    matrix[1, 2] += place.centre[1] - h / 2
    corners = cv2.transform(np.array([[[0, 0], [w, 0], [w, h], [0, h]]], np.float32), matrix)[0]
    x0, y0 = corners.min(axis=0)
    x1, y1 = corners.max(axis=0)
    # Warp only into the region the logo covers (plus blur margin): far cheaper than a frame.
    pad = int(3 * place.blur) + 2
    left, top = max(0, int(x0) - pad), max(0, int(y0) - pad)
    right, bottom = min(frame.shape[1], int(x1) + pad + 1), min(frame.shape[0], int(y1) + pad + 1)
    out = frame.copy()
    if right > left and bottom > top:
        local = matrix.copy()
        local[0, 2] -= left
        local[1, 2] -= top
        size = (right - left, bottom - top)
        if logo.ndim == 3 and logo.shape[2] == 4:
            return _blend(out, logo, local, (left, top, right, bottom), place.blur)
        warped = cv2.warpAffine(logo, local, size)
        mask = cv2.warpAffine(np.full((h, w), 255, np.uint8), local, size)
        if place.blur > 0:
            warped = cv2.GaussianBlur(warped, (0, 0), place.blur)
        region = out[top:bottom, left:right]
        region[mask > 127] = warped[mask > 127]
    return out, (float(x0), float(y0), float(x1 - x0), float(y1 - y0))


def _blend(
    out: Image, logo: Image, local: np.ndarray, bounds: tuple[int, int, int, int], blur: float
) -> tuple[Image, tuple[float, float, float, float]]:
    """Alpha-blend BGRA `logo` warped by `local` into `out`[bounds]; the opaque part's box."""
    left, top, right, bottom = bounds
    region = out[top:bottom, left:right]
    size = (right - left, bottom - top)
    alpha = cv2.warpAffine(logo[:, :, 3], local, size).astype(np.float32) / 255.0
    # Premultiplied, so blurring does not bleed the colour under transparent pixels in.
    colour = cv2.warpAffine(logo[:, :, :3], local, size).astype(np.float32) * alpha[:, :, None]
    ys, xs = np.nonzero(alpha >= 0.5)
    if blur > 0:
        colour = np.asarray(cv2.GaussianBlur(colour, (0, 0), blur), np.float32)
        alpha = np.asarray(cv2.GaussianBlur(alpha, (0, 0), blur), np.float32)
    blended = colour + region.astype(np.float32) * (1.0 - alpha[:, :, None])
    region[:] = np.clip(blended, 0, 255).astype(np.uint8)
    if len(xs) == 0:
        return out, (float(left), float(top), 0.0, 0.0)
    w, h = float(xs.max() + 1 - xs.min()), float(ys.max() + 1 - ys.min())
    return out, (float(left + xs.min()), float(top + ys.min()), w, h)


def write_ts(
    frames: Iterable[Image],
    path: Path,
    fps: int = 30,
    gop_seconds: float = 2.0,
    preset: str = "veryfast",
) -> Path:
    """Encode BGR `frames` as an H.264 MPEG-TS file like an HLS segment (via ffmpeg)."""
    source = iter(frames)
    first = next(source)
    height, width = first.shape[:2]
    command = [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{width}x{height}", "-r", str(fps),
        "-i", "-",
        "-c:v", "libx264", "-preset", preset, "-pix_fmt", "yuv420p",
        "-g", str(int(fps * gop_seconds)), "-f", "mpegts", str(path),
    ]  # fmt: skip
    with subprocess.Popen(command, stdin=subprocess.PIPE) as encoder:
        assert encoder.stdin is not None
        encoder.stdin.write(first.tobytes())
        for frame in source:
            encoder.stdin.write(frame.tobytes())
        encoder.stdin.close()
        if encoder.wait() != 0:
            raise RuntimeError(f"ffmpeg failed writing {path}")
    return path


def write_flv(frames: Iterable[Image], path: Path, fps: int = 30, gop_seconds: float = 2.0) -> Path:
    """Encode BGR `frames` as an H.264 FLV, ready to be pushed over RTMP as OBS would without
    re-encoding (`-c copy`), so a push costs no encoder CPU while it runs."""
    ts = write_ts(frames, path.with_suffix(".ts"), fps=fps, gop_seconds=gop_seconds)
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-i", str(ts),
         "-c", "copy", "-f", "flv", str(path)],
        check=True,
    )  # fmt: skip
    ts.unlink()
    return path
