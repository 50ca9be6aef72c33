"""Planning a clip from a seed: cuts every ~3 s, a background per shot, logo tracks that stress
the clip's condition (ranges from issue #14: widths 57-400 px, tilt to 20°, rotation ±15°,
motion blur to ~22 px, defocus sigma to 3, brightness x0.5-x1.4, up to ~25 % hidden, sliding in
at frame edges, look-alikes, logo-free footage)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from sightline_analysis.logo_eval.backgrounds import BackgroundKind, BackgroundSpec
from sightline_analysis.logo_eval.scene import (
    FPS,
    SIZE,
    ClipSpec,
    Condition,
    Occluder,
    Pose,
    Shot,
    Track,
    moved,
)

SHOT_SECONDS = (2.6, 3.4)
MIN_WIDTH, MAX_WIDTH = 57.0, 400.0


class _Planner:
    """Plans one clip's shots; `aspects` maps a brand to its opaque part's height / width."""

    def __init__(self, condition: Condition, rng: np.random.Generator,
                 aspects: Mapping[str, float]) -> None:  # fmt: skip
        self.condition = condition
        self.rng = rng
        self.aspects = aspects
        self.instances = 0

    def uniform(self, low: float, high: float) -> float:
        return float(self.rng.uniform(low, high))

    def centre(self, brand: str, width: float, region: tuple[float, float]) -> tuple[float, float]:
        """A centre keeping a logo `width` wide (any rotation) inside the frame and `region`
        (a horizontal span as shares of the frame width)."""
        half = 0.5 * width * math.hypot(1.0, self.aspects[brand]) + 8
        low, high = region[0] * SIZE[0] + half, region[1] * SIZE[0] - half
        x = self.uniform(low, high) if high > low else SIZE[0] * sum(region) / 2
        y_half = min(half, SIZE[1] / 2)
        return x, self.uniform(y_half, SIZE[1] - y_half)

    def base_pose(self, brand: str, width: float, region: tuple[float, float]) -> Pose:
        return Pose(self.centre(brand, width, region), width, rotation=self.uniform(-3, 3))

    def drifted(self, pose: Pose, brand: str, region: tuple[float, float], px: float) -> Pose:
        """`pose` moved by up to `px`, kept inside the frame."""
        x, y = self.centre(brand, pose.width, region)
        dx, dy = x - pose.centre[0], y - pose.centre[1]
        norm = max(1.0, math.hypot(dx, dy) / px)
        return moved(pose, centre=(pose.centre[0] + dx / norm, pose.centre[1] + dy / norm))

    def track(self, brand: str, first: int, last: int, region: tuple[float, float]) -> Track:
        """A track of `brand` stressing this clip's condition."""
        cond, u = self.condition, self.uniform
        width = u(90, 240)
        occluder = None
        if cond is Condition.SCALE:
            small, large = MIN_WIDTH, u(300, MAX_WIDTH)
            a, b = (small, large) if self.rng.random() < 0.5 else (large, small)
            start = self.base_pose(brand, large, region)
            start, end = moved(start, width=a), moved(start, width=b)
        elif cond is Condition.EDGES:
            start, end = self._slide(brand, width)
        else:
            start = self.base_pose(brand, width, region)
            end = self.drifted(start, brand, region, 60)
        if cond is Condition.TILT:
            axis = float(self.rng.choice([0.0, 90.0])) + u(-20, 20)
            tilt = 20.0 * float(self.rng.choice([-1.0, 1.0]))
            start, end = (
                moved(start, tilt=0.0, tilt_axis=axis),
                moved(end, tilt=tilt, tilt_axis=axis),
            )
        elif cond is Condition.ROTATION:
            sign = float(self.rng.choice([-1.0, 1.0]))
            start, end = moved(start, rotation=-15.0 * sign), moved(end, rotation=15.0 * sign)
        elif cond is Condition.MOTION_BLUR:
            angle = u(-25, 25)
            start = moved(start, blur_length=u(8, 12), blur_angle=angle)
            end = moved(end, blur_length=u(18, 22), blur_angle=angle)
        elif cond is Condition.DEFOCUS:
            start, end = moved(start, defocus=u(1.0, 2.0)), moved(end, defocus=3.0)
        elif cond is Condition.OCCLUSION:
            occluder = self._occluder(u(0.12, 0.25))
        elif cond is Condition.MIXED:
            start, end, occluder = self._mixed(brand, region)
        self.instances += 1
        return Track(self.instances - 1, brand, first, last, start, end, occluder)

    def _slide(self, brand: str, width: float) -> tuple[Pose, Pose]:
        """From fully outside one frame edge to well inside it (or back out)."""
        reach = 0.5 * width * math.hypot(1.0, self.aspects[brand]) + 4
        edge = int(self.rng.integers(0, 4))
        along = self.uniform(0.25, 0.75)
        inside = self.uniform(0.3, 0.6) * width
        if edge in (0, 1):  # left, right
            y = along * SIZE[1]
            outside = (-reach, y) if edge == 0 else (SIZE[0] + reach, y)
            into = (inside, y) if edge == 0 else (SIZE[0] - inside, y)
        else:  # top, bottom
            x = along * SIZE[0]
            outside = (x, -reach) if edge == 2 else (x, SIZE[1] + reach)
            into = (x, inside) if edge == 2 else (x, SIZE[1] - inside)
        a, b = Pose(outside, width), Pose(into, width)
        return (a, b) if self.rng.random() < 0.7 else (b, a)

    def _occluder(self, share: float) -> Occluder:
        shape = "bar" if self.rng.random() < 0.6 else "disc"
        colour = tuple(int(c) for c in self.rng.integers(0, 256, 3))
        y = self.uniform(-0.1, 0.1)
        side = float(self.rng.choice([-1.0, 1.0]))
        # Passes from beside the logo to (around) its middle: hidden share grows to `share`.
        start, end = (side * 0.9, y), (side * self.uniform(-0.2, 0.2), y)
        return Occluder(shape, share, (colour[0], colour[1], colour[2]), start, end)

    def _mixed(self, brand: str, region: tuple[float, float]) -> tuple[Pose, Pose, Occluder | None]:
        u = self.uniform
        width = math.exp(u(math.log(MIN_WIDTH), math.log(260)))
        start = self.base_pose(brand, width, region)
        start = moved(start, rotation=u(-15, 15), tilt=u(0, 20), tilt_axis=u(-90, 90),
                      blur_length=u(0, 20), blur_angle=u(-30, 30), defocus=u(0, 3))  # fmt: skip
        end = self.drifted(moved(start, width=width * u(0.7, 1.4)), brand, region, 80)
        end = moved(end, rotation=start.rotation + u(-5, 5))
        occluder = self._occluder(u(0.05, 0.25)) if self.rng.random() < 0.4 else None
        return start, end, occluder


def _background(rng: np.random.Generator, condition: Condition) -> BackgroundSpec:
    kinds = list(BackgroundKind)
    kind = kinds[int(rng.integers(0, len(kinds)))]
    if condition is Condition.LOGO_FREE and rng.random() < 0.5:
        kind = BackgroundKind.TEXT
    pan = (float(rng.uniform(-90, 90)), float(rng.uniform(-30, 30)))
    return BackgroundSpec(kind, int(rng.integers(0, 2**31)), pan, words=bool(rng.random() < 0.7))


def plan_clip(
    name: str,
    condition: Condition,
    seed: int,
    brands: Sequence[str],
    aspects: Mapping[str, float],
    *,
    shots: int = 4,
    look_alikes: Mapping[str, str] | None = None,
) -> ClipSpec:
    """A clip of `shots` shots (~3 s each) stressing `condition`, showing `brands` in turn
    (look-alike clips show `look_alikes`' keys, alone or beside the brand they imitate)."""
    rng = np.random.default_rng(seed)
    planner = _Planner(condition, rng, aspects)
    pairs = list((look_alikes or {}).items())
    cursor, built = 0, []
    for index in range(shots):
        length = round(float(rng.uniform(*SHOT_SECONDS)) * FPS)
        first, last = cursor, cursor + length - 1
        cursor += length
        background = _background(rng, condition)
        gain = (1.0, 1.0)
        if condition in (Condition.BRIGHTNESS, Condition.MIXED):
            extreme = 0.5 if index % 2 == 0 else 1.4
            gain = (float(rng.uniform(0.8, 1.1)), extreme)
        tracks: list[Track] = []
        if condition is Condition.LOOK_ALIKE and pairs:
            fake, real = pairs[index % len(pairs)]
            tracks.append(planner.track(fake, first, last, (0.0, 0.5)))
            if index % 2 == 1:
                tracks.append(planner.track(real, first, last, (0.5, 1.0)))
        elif condition is not Condition.LOGO_FREE:
            # Appearances start at the cut or up to 1 s later, and some end before the next cut.
            onset = first + int(rng.integers(0, FPS)) if rng.random() < 0.5 else first
            end = last - int(rng.integers(0, FPS)) if rng.random() < 0.3 else last
            two = condition not in (Condition.SCALE, Condition.EDGES) and rng.random() < 0.4
            regions = [(0.0, 0.5), (0.5, 1.0)] if two else [(0.0, 1.0)]
            for k, region in enumerate(regions):
                brand = brands[(index * 2 + k) % len(brands)]
                tracks.append(planner.track(brand, onset, end, region))
        built.append(Shot(first, last, background, gain, tuple(tracks)))
    return ClipSpec(name, condition, seed, cursor, tuple(built))
