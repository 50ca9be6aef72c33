"""A blur-tolerant second look at a logo where there is already evidence for it.

SIFT keypoints do not survive motion blur of 8-22 px or a strong defocus, so the matcher loses
a logo the moment the camera pans, although a viewer still reads it. Here the reference is
blurred the way the picture is (a line kernel of a few lengths and directions, the track's own
motion among them) and compared with the frame around a box where the logo is expected: the
box a verified track was just followed to. The comparison is a regression, as the region check
does it (`regions.py`): the frame explains itself as the blurred reference plus the blurred
transparent part times whatever lies behind the logo, so a transparent logo over any
background, lighter or darker, is fitted rather than assumed. It must explain the frame well
(`min_agreement`) and the logo's own inner detail must add to what its silhouette alone
explains (`min_detail`): blurred enough, a silhouette correlates with any smooth blob, and a
look-alike shares the silhouette but not the letters.

It is only ever asked about a box that other evidence points to; searched over a whole frame
it found smooth background as often as logos.

A mark delivered flattened on a flat box (a white box with a thin frame, no alpha) is compared
as the mark alone, the box taken as its transparent part (`without_box`): footage shows the
mark without the box, so where the box would be the frame has background, which a box fits
only by chance.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from sightline_analysis.frames import Image
from sightline_analysis.logo.regions import RegionTemplate

Box = tuple[float, float, float, float]  # x, y, w, h
Float = npt.NDArray[np.float32]
Double = npt.NDArray[np.float64]
_MIN_SPREAD = 2.0  # grey-level spread a frame window needs to be compared at all
_MIN_TEMPLATE_PX = 12
# An opaque reference whose outermost pixels spread less than this (grey levels) lies on a box
# (the kit's white box with its frame line: 0.6; the striped plate that is part of the volta
# logo: 6.9); the pixels this close to the border's grey and connected to it are the box (the
# frame line included); a box is at least 5 % and at most 95 % of the reference.
_FLAT_BORDER = 2.0
_BOX_DISTANCE = 72.0
_BOX_SHARE = (0.05, 0.95)
_NEUTRAL_FILL = 128.0  # the grey a transparent reference's clear part is filled with


class BlurConfig(BaseModel):
    """When and how hard the blur-tolerant check confirms a tracked logo."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    enabled: bool = True
    min_agreement: float = Field(default=0.85, gt=0.0, lt=1.0)
    """Multiple correlation the frame must reach with the blurred reference (and its
    transparent part)."""
    min_detail: float = Field(default=0.1, ge=0.0, lt=1.0)
    """How much more the reference's inner detail must explain than its silhouette alone
    (a flat-coloured logo, all silhouette, is never confirmed here)."""
    lengths: tuple[float, ...] = (0.0, 6.0, 12.0, 18.0, 24.0)
    """Motion-blur lengths tried, in frame pixels (0: unblurred)."""
    angles: tuple[float, ...] = (-20.0, 0.0, 20.0)
    """Blur directions tried, in degrees from horizontal, besides the track's own motion."""
    scales: tuple[float, ...] = (0.9, 1.0, 1.1)
    """Sizes tried, relative to the expected box."""
    rotations: tuple[float, ...] = ()
    """In-plane rotations of the reference tried besides upright, in degrees (a rotated
    logo's blurred picture no longer fits the upright reference), each only at the upright
    fit's size and the sizes next to it: turning a logo barely changes the size it fits at,
    and every size tried is another whole search (the net starter's 8 sizes three times over
    cost 42 % more CPU per kit frame)."""
    margin: float = Field(default=0.25, ge=0.0)
    """The frame is searched this far around the expected box, in box sizes."""
    min_ink: float = Field(default=0.5, gt=0.0, le=1.0)
    """A transparent logo is compared where its blurred opaque part covers at least this
    share of a pixel: farther off, the background behind it is anybody's."""
    work_width: int = Field(default=96, ge=32)
    """The comparison runs with the logo at most this wide (cost, not accuracy: the blur
    has taken the finer detail)."""


@dataclass(frozen=True)
class BlurMatch:
    """Where the blurred reference fits best: box in frame pixels, the multiple correlation,
    and the blur (length in frame pixels, direction in degrees) that fitted."""

    box: Box
    agreement: float
    length: float
    angle: float


def blurred_match(
    gray: Image,
    box: Box,
    reference: RegionTemplate,
    config: BlurConfig,
    motion_angle: float | None = None,
) -> BlurMatch | None:
    """The best fit of `reference` blurred near `box` (frame pixels) in the grey frame `gray`,
    when it reaches `config.min_agreement` with enough detail; None otherwise (also when the
    box is too small or mostly outside the frame)."""
    best = best_blurred(gray, box, reference, config, motion_angle)
    if best is None or best.agreement < config.min_agreement:
        return None
    return best


def best_blurred(
    gray: Image,
    box: Box,
    reference: RegionTemplate,
    config: BlurConfig,
    motion_angle: float | None = None,
) -> BlurMatch | None:
    """`blurred_match`'s best fit before `config.min_agreement` is asked for (None only when
    nothing fits with enough detail): the search does not depend on it, so a caller asking
    the same box at two agreements searches once."""
    reference = without_box(reference)
    x, y, w, h = box
    factor = min(1.0, config.work_width / max(w, 1.0))
    mx, my = config.margin * w, config.margin * h
    left, top = max(0, int(x - mx)), max(0, int(y - my))
    right = min(gray.shape[1], math.ceil(x + w + mx))
    bottom = min(gray.shape[0], math.ceil(y + h + my))
    if right - left < _MIN_TEMPLATE_PX or bottom - top < _MIN_TEMPLATE_PX:
        return None
    pixels = np.asarray(
        cv2.resize(gray[top:bottom, left:right], None, fx=factor, fy=factor,
                   interpolation=cv2.INTER_AREA),
        np.float32,
    )  # fmt: skip
    window = _Window(pixels, left, top, factor, w, {})
    angles = (*config.angles, motion_angle) if motion_angle is not None else config.angles
    best = _best_over_scales(
        window, reference, 0.0, config.scales, angles, config=config, best=None
    )
    if best is not None and config.rotations:
        near = _next_to(config.scales, best.box[2] / w)
        for rotation in config.rotations:
            best = _best_over_scales(
                window, reference, rotation, near, angles, config=config, best=best
            )
    return best


class _Window(NamedTuple):
    """The searched part of the frame, shrunk by `factor`: its frame-pixel origin, the
    expected box's width in frame pixels, and the window's moments under each weight mask
    compared so far (`_moments`)."""

    pixels: Float
    left: int
    top: int
    factor: float
    box_width: float
    moments: dict[tuple[tuple[int, ...], bytes], tuple[Double, Double]]


def _moments(window: _Window, weight: Float) -> tuple[Double, Double]:
    """Per patch, the weighted sum of `window`'s pixels and of their squares under `weight`.

    They depend on the weight mask alone, not on the blur the reference is fitted with: an
    opaque reference has the same mask for every kernel of a size, and a transparent one's
    blurred mask, thresholded at `min_ink`, often repeats too, so each mask's moments are
    correlated once per window rather than once per fit (two of a fit's three or four
    correlations)."""
    key = (weight.shape, np.packbits(weight > 0).tobytes())
    found = window.moments.get(key)
    if found is None:
        pixels = window.pixels
        found = (_correlate(pixels, weight), _correlate(pixels * pixels, weight))
        window.moments[key] = found
    return found


def _best_over_scales(
    window: _Window,
    reference: RegionTemplate,
    rotation: float,
    scales: tuple[float, ...],
    angles: tuple[float, ...],
    *,
    config: BlurConfig,
    best: BlurMatch | None,
) -> BlurMatch | None:
    """The better of `best` and the best fit in `window` of `reference` turned by `rotation`
    degrees, over `scales` and the blurs of `config`."""
    factor, height, width = window.factor, *window.pixels.shape
    aspect = reference.size[1] / reference.size[0]
    for scale in scales:
        tw = round(window.box_width * scale * factor)
        th = round(tw * aspect)
        if min(tw, th) < _MIN_TEMPLATE_PX or tw > width or th > height:
            continue
        smoothed, clear = _rotated(*_sized(reference, (tw, th)), rotation)
        tried: set[bytes] = set()
        for length, angle in _kernels(config.lengths, angles):
            kernel = motion_kernel(length * factor, angle)
            if not _first_time(kernel, tried):
                continue
            fit = _best_fit(window, _blurred(smoothed, kernel), _blurred(clear, kernel),
                            config, beat=None if best is None else best.agreement)  # fmt: skip
            if fit is None or (best is not None and fit[0] <= best.agreement):
                continue
            agreement, (ax, ay) = fit
            found = (window.left + ax / factor, window.top + ay / factor, tw / factor,
                     th / factor)  # fmt: skip
            best = BlurMatch(found, round(agreement, 4), length, angle)
    return best


def _first_time(kernel: Float | None, tried: set[bytes]) -> bool:
    """Whether `kernel` (None: no blur) is not among the kernels in `tried` (their shapes and
    values), which it joins. At the working size the lengths and directions tried often draw
    the same pixels (a 6-px blur of a 300-px box is under 2 px at 96 px wide, no blur; a
    3-px line at +-20 deg rounds to the level one), and the same kernel fits the same: on the
    kit's tune seed 2878 of the 11085 fits of a replay repeated one (the starter's wide boxes)."""
    key = b"" if kernel is None else repr(kernel.shape).encode() + kernel.tobytes()
    if key in tried:
        return False
    tried.add(key)
    return True


def _next_to(scales: tuple[float, ...], scale: float) -> tuple[float, ...]:
    """The size in `scales` nearest `scale` and its neighbours in the list."""
    nearest = min(range(len(scales)), key=lambda index: abs(scales[index] - scale))
    return scales[max(0, nearest - 1) : nearest + 2]


def without_box(reference: RegionTemplate) -> RegionTemplate:
    """`reference` as its mark alone when it is an opaque reference delivered on a flat box
    (the box cut away and taken as the transparent part, so the regression fits whatever
    background the footage has there); any other reference unchanged. On tune seed 1401 the
    white-boxed helix fitted its blurred pictures at most 0.41-0.43 with the box."""
    if reference.clear is not None:
        return reference
    gray = reference.smoothed
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if float(border.std()) >= _FLAT_BORDER:
        return reference
    flat = (np.abs(gray - np.float32(border.mean())) < _BOX_DISTANCE).astype(np.uint8)
    _, parts = cv2.connectedComponents(flat)
    edge = np.unique(np.concatenate([parts[0], parts[-1], parts[:, 0], parts[:, -1]]))
    boxed = np.isin(parts, edge[edge != 0]) & (flat > 0)
    if not _BOX_SHARE[0] < float(boxed.mean()) < _BOX_SHARE[1]:
        return reference
    ys, xs = np.nonzero(~boxed)
    rows, cols = slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1)
    clear = np.asarray(cv2.GaussianBlur(boxed[rows, cols].astype(np.float32), (3, 3), 0),
                       np.float32)  # fmt: skip
    mark = gray[rows, cols] * (1.0 - clear) + np.float32(_NEUTRAL_FILL) * clear
    return RegionTemplate(np.asarray(mark, np.float32), clear, ~boxed[rows, cols],
                          reference.window)  # fmt: skip


@functools.lru_cache(maxsize=1024)
def motion_kernel(length: float, angle: float) -> Float | None:
    """A line of `length` px at `angle` degrees, normalised (None below 2 px: no blur); drawn
    once and shared, read-only: a fit search asks for the same few kernels at every size it
    tries (kit seed 1401: 7939 draws for 188 size searches)."""
    if length < 2.0:
        return None
    size = max(3, round(length) | 1)
    kernel = np.zeros((size, size), np.float32)
    centre, half = size // 2, (length - 1.0) / 2.0
    dx, dy = half * math.cos(math.radians(angle)), half * math.sin(math.radians(angle))
    cv2.line(kernel, (round(centre - dx), round(centre - dy)),
             (round(centre + dx), round(centre + dy)), 1.0, 1)  # fmt: skip
    normalised: Float = kernel / np.float32(kernel.sum())
    normalised.flags.writeable = False
    return normalised


def _kernels(
    lengths: tuple[float, ...], angles: tuple[float, ...]
) -> Iterator[tuple[float, float]]:
    """Each (length, angle) once: the unblurred one has no direction."""
    for length in lengths:
        if length < 2.0:
            yield length, 0.0
            continue
        yield from ((length, angle) for angle in angles)


def _sized(reference: RegionTemplate, size: tuple[int, int]) -> tuple[Float, Float | None]:
    smoothed = np.asarray(cv2.resize(reference.smoothed, size, interpolation=cv2.INTER_AREA),
                          np.float32)  # fmt: skip
    if reference.clear is None:
        return smoothed, None
    clear = np.asarray(cv2.resize(reference.clear, size, interpolation=cv2.INTER_AREA), np.float32)
    return smoothed, clear


def _rotated(smoothed: Float, clear: Float | None, degrees: float) -> tuple[Float, Float | None]:
    """The sized reference turned by `degrees` about its centre, same size: the corners it
    uncovers become transparent (clear 1), so they are not compared."""
    if degrees == 0.0:
        return smoothed, clear
    height, width = smoothed.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    turned = cv2.warpAffine(smoothed, matrix, (width, height), flags=cv2.INTER_LINEAR,
                            borderValue=_NEUTRAL_FILL)  # fmt: skip
    base = np.zeros_like(smoothed) if clear is None else clear
    cleared = cv2.warpAffine(base, matrix, (width, height), flags=cv2.INTER_LINEAR,
                             borderValue=1.0)  # fmt: skip
    return np.asarray(turned, np.float32), np.asarray(cleared, np.float32)


def _blurred(image: Float | None, kernel: Float | None) -> Float | None:
    if image is None or kernel is None:
        return image
    return np.asarray(cv2.filter2D(image, -1, kernel, borderType=cv2.BORDER_REPLICATE), np.float32)


def _best_fit(
    searched: _Window,
    reference: Float | None,
    clear: Float | None,
    config: BlurConfig,
    *,
    beat: float | None = None,
) -> tuple[float, tuple[int, int]] | None:
    """The highest multiple correlation of `window`'s template-sized patches with
    (`reference`, `clear`) where the reference enters with its own polarity and its detail
    adds at least `config.min_detail` over `clear` alone, and that patch's top-left corner.
    With `beat` (the caller's best so far, which a fit must exceed to count), the answer may
    also be None or any fit not above it when no patch exceeds it.

    Only pixels the logo covers are compared (all of an opaque reference; at least
    `config.min_ink` of a pixel of a transparent one)."""
    assert reference is not None
    weight = (
        np.ones(reference.shape, np.float32)
        if clear is None
        else (clear <= 1.0 - config.min_ink).astype(np.float32)
    )
    count = float(weight.sum())
    if count < _MIN_TEMPLATE_PX**2 / 2:
        return None
    window = searched.pixels
    sum_p, sum_pp = _moments(searched, weight)
    var_p = sum_pp - sum_p * sum_p / count
    ref = weight * (reference - np.float32((weight * reference).sum() / count))
    var_r = float((ref * reference).sum())
    if var_r < 1e-3 * count:
        return None
    cov_pr = _correlate(window, ref)
    usable = var_p >= _MIN_SPREAD**2 * count
    if clear is None:
        return _correlation_peak(cov_pr, var_p, var_r, usable)
    clr = weight * (clear - np.float32((weight * clear).sum() / count))
    moments = (clr, float((clr * clear).sum()), float((ref * clear).sum()))
    return _with_clear(window, (ref, var_r, cov_pr), moments, (var_p, usable),
                       config.min_detail, beat)  # fmt: skip


def _correlation_peak(
    cov_pr: Double, var_p: Double, var_r: float, usable: npt.NDArray[np.bool_]
) -> tuple[float, tuple[int, int]] | None:
    """The highest positive correlation of a usable patch with the reference alone (patch
    variances `var_p`, the reference's `var_r`, their covariances `cov_pr`) and where."""
    correlation = cov_pr / np.sqrt(np.maximum(var_p * var_r, 1e-9))
    _, peak, _, at = cv2.minMaxLoc(np.where(usable & (cov_pr > 0), correlation, -1.0))
    if peak <= 0.0:
        return None
    return float(peak), (int(at[0]), int(at[1]))


def _with_clear(  # noqa: PLR0917 - the regression's moments
    window: Float,
    reference: tuple[Float, float, Double],
    clear: tuple[Float, float, float],
    patches: tuple[Double, npt.NDArray[np.bool_]],
    min_detail: float,
    beat: float | None,
) -> tuple[float, tuple[int, int]] | None:
    """`_best_fit` of a transparent reference: the highest multiple correlation of a patch
    (`patches`: each one's variance, whether it is usable) with the reference (its centred
    weighted pixels, their variance, their covariance with each patch) and its transparent
    part (centred pixels, variance, covariance with the reference), where the reference's
    coefficient is positive and its detail adds at least `min_detail` over the silhouette
    alone; and where. The tests past the multiple correlation are made only on the patches
    where it can exceed `beat` (or 0): most of a fit's arithmetic on the tune seeds, whose
    later fits of a search rarely beat its first, ran on patches that could not count."""
    var_p, usable = patches
    _, var_r, cov_pr = reference
    clr, var_c, cov_rc = clear
    if var_c < 1e-6 * clr.size:
        return _correlation_peak(cov_pr, var_p, var_r, usable)
    cov_pc = _correlate(window, clr)
    det = var_r * var_c - cov_rc * cov_rc
    if det <= 1e-3 * var_r * var_c:  # the logo is its silhouette: no detail to confirm
        return None
    # Least squares of the patch on (reference, clear): coefficients S^-1 c, R^2 = c'S^-1 c.
    explained = (var_c * cov_pr**2 - 2 * cov_rc * cov_pr * cov_pc + var_r * cov_pc**2) / det
    safe_p = np.maximum(var_p, 1e-9)
    ratio = explained / safe_p
    # A patch left out has sqrt(ratio) below `beat` by far more than rounding.
    floor = 0.0 if beat is None else (max(beat, 0.0) * (1.0 - 1e-6)) ** 2
    at = np.flatnonzero(usable & (ratio > floor))
    if at.size == 0:
        return None
    c_pr, c_pc, s_p = cov_pr.ravel()[at], cov_pc.ravel()[at], safe_p.ravel()[at]
    coefficient = (var_c * c_pr - cov_rc * c_pc) / det
    both = np.sqrt(np.clip(ratio.ravel()[at], 0.0, 1.0))
    silhouette = np.sqrt(np.clip(c_pc**2 / (var_c * s_p), 0.0, 1.0))
    score = np.where((coefficient > 0) & (both - silhouette >= min_detail), both, -1.0)
    top = int(np.argmax(score))
    if score[top] <= 0.0:
        return None
    row, column = divmod(int(at[top]), cov_pr.shape[1])
    return float(score[top]), (column, row)


def _correlate(window: Float, template: Float) -> Double:
    """Sum of `window` times `template` at every placement (top-left corners)."""
    return np.asarray(cv2.matchTemplate(window, template, cv2.TM_CCORR), np.float64)
