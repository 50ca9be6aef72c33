"""How detectable a reference logo is, judged when it is uploaded (pure: no I/O).

The estimate is empirical, not a rule of thumb: the reference is shown to the matcher on a
plain, slightly noisy background at decreasing widths (JPEG-compressed as video is), and the
smallest width from which it is still found, with its box where it was put, is reported. A
reference the matcher cannot find even large is "cannot be found at all".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from sightline_analysis.frames import Image
from sightline_analysis.logo.matcher import LogoMatcher, MatcherConfig, iou
from sightline_analysis.logo.reference import prepare_reference
from sightline_analysis.synthetic import Placement, composite

# Widths (px) a reference is tried at, from large to small; the smallest found is reported.
PROBE_WIDTHS = (400, 320, 256, 200, 160, 128, 100, 80, 64, 48, 32)
FEW_FEATURES = 40
SMALL_ONLY_ABOVE_PX = 160
LOW_RESOLUTION_PX = 100
_PROBE = "probe"


@dataclass(frozen=True)
class Detectability:
    """What the matcher makes of a reference.

    `features`: keypoints on its opaque part at the described reference width;
    `min_width_px`: the smallest on-screen width (px) at which it was found, None if never;
    `detectable`: whether it can be found at all; `warnings`: plain-language problems.
    """

    detectable: bool
    features: int
    min_width_px: int | None
    width_px: int
    height_px: int
    transparent: bool
    opaque_share: float
    warnings: list[str] = field(default_factory=list)


def describe_detectability(image: Image, config: MatcherConfig | None = None) -> Detectability:
    """Judge reference `image` (gray, BGR or BGRA) with a matcher tuned by `config`."""
    config = config or MatcherConfig()
    try:
        reference = prepare_reference(image, config.alpha_threshold)
    except ValueError as exc:
        return _undetectable(0, 0, True, 0.0, f"cannot be found at all: {exc}")
    size = (reference.width, reference.height, reference.transparent, reference.canvas_share)
    matcher = LogoMatcher(config)
    try:
        matcher.add(_PROBE, _PROBE, image)
    except ValueError:
        return _undetectable(
            *size, "cannot be found at all: too few distinctive features (a flat or blank image)"
        )
    features = matcher.features(_PROBE)[0]
    smallest = _smallest_found_width(matcher, image)
    warnings: list[str] = []
    if smallest is None:
        warnings.append(
            "cannot be found at all: the matcher did not find it even shown "
            f"{PROBE_WIDTHS[0]} px wide on a plain background"
        )
        return Detectability(False, features, None, *size, warnings=warnings)
    if features < FEW_FEATURES:
        warnings.append(
            f"few distinctive features ({features}): small, blurred or partly hidden "
            "appearances will be missed; a larger or more detailed reference helps"
        )
    if smallest > SMALL_ONLY_ABOVE_PX:
        warnings.append(f"only found when shown at least {smallest} px wide")
    if reference.width < LOW_RESOLUTION_PX:
        warnings.append(
            f"low-resolution reference ({reference.width} px wide): a larger original keeps "
            "detail the matcher needs"
        )
    if reference.transparent and reference.canvas_share < 0.05:
        warnings.append("mostly transparent: very little of the image is logo")
    return Detectability(True, features, smallest, *size, warnings=warnings)


def _found(matcher: LogoMatcher, image: Image, width: int) -> bool:
    """Whether `matcher` finds its probe reference shown `width` px wide, where it was put."""
    frame, truth = _centred(image, width)
    jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])[1]
    matches = matcher.match(np.asarray(cv2.imdecode(jpeg, cv2.IMREAD_COLOR), np.uint8))
    x, y, w, h = truth
    return any(m.logo_id == _PROBE and iou(m.box, (x, y, w, h)) >= 0.5 for m in matches)


def _centred(image: Image, width: int) -> tuple[Image, tuple[float, ...]]:
    """`image` scaled to `width` px in the middle of a plain frame with room around it."""
    height = max(1, round(width * image.shape[0] / image.shape[1]))
    frame_size = (max(2 * width, 240), max(2 * height, 240))
    centre = (frame_size[0] / 2, frame_size[1] / 2)
    return composite(_background(image, frame_size), image, Placement(centre, width))


def _background(image: Image, size: tuple[int, int]) -> Image:
    """A plain grey frame of `size` (w, h) with sensor-like noise, dark behind a light logo and
    light behind a dark one (a logo shown on its own colour is invisible to anyone)."""
    bgr = image[:, :, :3] if image.ndim == 3 else np.dstack([image] * 3)
    weight = (image[:, :, 3] >= 128) if image.ndim == 3 and image.shape[2] == 4 else None
    gray = cv2.cvtColor(np.ascontiguousarray(bgr), cv2.COLOR_BGR2GRAY)
    level = float(gray[weight].mean()) if weight is not None and weight.any() else gray.mean()
    base = 64.0 if level > 128 else 192.0
    noise = np.random.default_rng(0).normal(0.0, 4.0, size=(size[1], size[0], 3))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def _smallest_found_width(matcher: LogoMatcher, image: Image) -> int | None:
    """The smallest probe width of the first unbroken run of widths the reference is found at
    (going down from the largest); None when it is found at none."""
    smallest = None
    for width in PROBE_WIDTHS:
        if _found(matcher, image, width):
            smallest = width
        elif smallest is not None:
            break
    return smallest


def _undetectable(
    width: int, height: int, transparent: bool, share: float, warning: str
) -> Detectability:
    return Detectability(False, 0, None, width, height, transparent, share, [warning])
