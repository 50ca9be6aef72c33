"""What a clip shows: shots, logo tracks and their poses over time, occluders, lighting.

A `ClipSpec` is pure data planned from a seed; any frame of it can be rendered on its own
(`render`), so a test renders three frames and the benchmark all of them. A track's pose
moves from `start` to `end` over its frames (width geometrically, the rest linearly).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum

import cv2
import numpy as np
import numpy.typing as npt

from sightline_analysis.logo_eval.backgrounds import BackgroundSpec

SIZE = (1280, 720)
FPS = 30
FOCAL_PX = 1000.0  # the virtual camera a tilted logo is projected through (~65° across 1280 px)
Matrix = npt.NDArray[np.float64]


class Condition(StrEnum):
    """The condition a clip stresses (every clip also has pan, noise, text, cuts)."""

    SCALE = "scale"
    TILT = "tilt"
    ROTATION = "rotation"
    MOTION_BLUR = "motion-blur"
    DEFOCUS = "defocus"
    BRIGHTNESS = "brightness"
    OCCLUSION = "occlusion"
    EDGES = "edges"
    LOOK_ALIKE = "look-alike"
    LOGO_FREE = "logo-free"
    MIXED = "mixed"


@dataclass(frozen=True)
class Pose:
    """A logo's placement: centre (px) of its opaque part, that part's on-screen width (px)
    before tilt and rotation, in-plane rotation and out-of-plane tilt (degrees; the tilt turns
    the logo about an in-plane axis at `tilt_axis` degrees from vertical), motion blur (length
    in px along `blur_angle` degrees) and defocus (Gaussian sigma, px)."""

    centre: tuple[float, float]
    width: float
    rotation: float = 0.0
    tilt: float = 0.0
    tilt_axis: float = 0.0
    blur_length: float = 0.0
    blur_angle: float = 0.0
    defocus: float = 0.0


@dataclass(frozen=True)
class Occluder:
    """Something in front of a logo (a pole, a ball, a player's arm): a bar or a disc, sized
    as a share of the logo's area, moving from `start` to `end` (offsets from the logo centre
    in logo widths)."""

    shape: str  # "bar" | "disc"
    share: float
    colour: tuple[int, int, int]
    start: tuple[float, float]
    end: tuple[float, float]


@dataclass(frozen=True)
class Track:
    """One logo instance on screen from frame `first` to `last` (inclusive, clip frames)."""

    instance: int
    brand: str
    first: int
    last: int
    start: Pose
    end: Pose
    occluder: Occluder | None = None

    def progress(self, frame: int) -> float:
        """0 at the first frame, 1 at the last."""
        return 0.0 if self.last == self.first else (frame - self.first) / (self.last - self.first)

    def pose(self, frame: int) -> Pose:
        """The pose at clip frame `frame`."""
        p = self.progress(frame)
        a, b = self.start, self.end

        def mix(x: float, y: float) -> float:
            return x + (y - x) * p

        return Pose(
            centre=(mix(a.centre[0], b.centre[0]), mix(a.centre[1], b.centre[1])),
            width=a.width * (b.width / a.width) ** p,
            rotation=mix(a.rotation, b.rotation),
            tilt=mix(a.tilt, b.tilt),
            tilt_axis=mix(a.tilt_axis, b.tilt_axis),
            blur_length=mix(a.blur_length, b.blur_length),
            blur_angle=mix(a.blur_angle, b.blur_angle),
            defocus=mix(a.defocus, b.defocus),
        )


@dataclass(frozen=True)
class Shot:
    """Frames `first`..`last` between two cuts: one background, a lighting gain ramp, tracks."""

    first: int
    last: int
    background: BackgroundSpec
    gain: tuple[float, float] = (1.0, 1.0)
    tracks: tuple[Track, ...] = ()

    def gain_at(self, frame: int) -> float:
        """The brightness factor applied to the whole frame."""
        p = 0.0 if self.last == self.first else (frame - self.first) / (self.last - self.first)
        return self.gain[0] + (self.gain[1] - self.gain[0]) * p


@dataclass(frozen=True)
class ClipSpec:
    """A clip: 720p at `fps`, `frames` long, cut into `shots`; `seed` drives its noise."""

    name: str
    condition: Condition
    seed: int
    frames: int
    shots: tuple[Shot, ...]
    fps: int = FPS
    size: tuple[int, int] = SIZE

    @property
    def seconds(self) -> float:
        """Duration in seconds."""
        return self.frames / self.fps

    def shot_at(self, frame: int) -> Shot:
        """The shot holding `frame`."""
        for shot in self.shots:
            if shot.first <= frame <= shot.last:
                return shot
        raise IndexError(f"frame {frame} outside clip {self.name}")


def pose_homography(
    pose: Pose, canvas: tuple[int, int], opaque: tuple[int, int, int, int]
) -> Matrix:
    """The 3x3 map from the art canvas (w, h) to the frame for `pose`, where `opaque` is the
    (x, y, w, h) of the art's opaque part, whose centre lands on `pose.centre`."""
    ox, oy, ow, oh = opaque
    scale = pose.width / ow
    w, h = canvas
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64)
    local = (src - [ox + ow / 2, oy + oh / 2]) * scale
    axis = math.radians(pose.tilt_axis)
    # Rotate the logo plane by `tilt` about the in-plane axis (sin a, cos a) (Rodrigues), then
    # project through a pinhole at FOCAL_PX in front of the plane's centre.
    k = np.array([math.sin(axis), math.cos(axis), 0.0])
    theta = math.radians(pose.tilt)
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    rot = np.eye(3) + math.sin(theta) * kx + (1 - math.cos(theta)) * kx @ kx
    points = np.column_stack([local, np.zeros(4)]) @ rot.T
    projected = FOCAL_PX * points[:, :2] / (FOCAL_PX + points[:, 2:3])
    spin = math.radians(pose.rotation)
    turn = np.array([[math.cos(spin), -math.sin(spin)], [math.sin(spin), math.cos(spin)]])
    dst = projected @ turn.T + pose.centre
    matrix = cv2.getPerspectiveTransform(src.astype(np.float32), dst.astype(np.float32))
    return np.asarray(matrix, np.float64)


def moved(pose: Pose, **changes: object) -> Pose:
    """`pose` with some fields changed (a typed `dataclasses.replace`)."""
    return replace(pose, **changes)  # type: ignore[arg-type]
