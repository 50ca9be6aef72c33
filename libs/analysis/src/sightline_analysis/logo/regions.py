"""Region-by-region verification: every part of a found logo must look like the reference's.

A look-alike brand shares most of a target's letters, its plate or its icon, so keypoints
agree on a transform and the whole-logo correlation (`appearance.py`) stays high: AURORE
passes for AURORA, VOLTEX for VOLTA. They differ in one letter, one local region. Here the
frame under the found transform is compared with the reference window by window (windows a
third of the logo's height, half-overlapping, at `REGION_WIDTH` px), and the worst window
decides: a real logo agrees everywhere it shows texture, a look-alike fails where it differs.

What a window may not hold against a real logo:
- a small misregistration (a homography from few inliers): each window takes its best
  correlation over shifts of up to `shift` px;
- the background behind a transparent logo: each window fits it (how much of the frame the
  reference explains together with its transparent part, at whatever level and polarity the
  background has there), and only pixels within `NEAR_INK_PX` of the opaque part are
  compared (the rest of the background is anybody's);
- a flat occluder (a caption bar, a disc): where the frame is flat over `_OCCLUDER_PX` px
  while the reference has detail, it is hidden (with its edge), not evidence against it; a
  letter missing from a look-alike leaves flat patches smaller than that;
- the frame's edge: only pixels well inside the frame are compared.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from sightline_analysis.frames import Image
from sightline_analysis.logo.reference import ReferenceImage

Matrix = npt.NDArray[np.float64]
Float = npt.NDArray[np.float32]
REGION_WIDTH = 160
NEAR_INK_PX = 2
_BLUR = 1.0
_INSIDE = np.ones((7, 7), np.uint8)  # beyond the frame's edge, smoothing reaches this far in
_MIN_COVERED = 0.3  # share of a window that must be compared
_MIN_CLEAR_VARIANCE = 1e-4  # a window whose transparency varies (alpha spread >= 0.01)
_MIN_TEXTURE = 8.0  # grey-level spread a window of the reference needs to be compared
_FLAT_FRAME = 3.0  # spread over `_OCCLUDER_PX` below which the frame shows nothing (hidden)
_OCCLUDER_PX = 9  # an occluder is flat over this much, and hides this far around
_DETAILED = 8.0  # local spread above which the reference shows detail


@dataclass(frozen=True)
class RegionTemplate:
    """A reference prepared for window-by-window comparison at `REGION_WIDTH`.

    `smoothed` is the reference (transparent part at the neutral fill) smoothed, `clear` the
    smoothed transparency (0 where opaque; None for an opaque reference), and `compared` the
    pixels windows compare (all of an opaque reference; near the opaque part of a transparent
    one).
    """

    smoothed: Float
    clear: Float | None
    compared: npt.NDArray[np.bool_]
    window: int

    @property
    def size(self) -> tuple[int, int]:
        """Width and height in template pixels."""
        return int(self.smoothed.shape[1]), int(self.smoothed.shape[0])


def region_template(ref: ReferenceImage, window_share: float) -> RegionTemplate:
    """`ref` at `REGION_WIDTH` px wide, windows `window_share` of its shorter side."""
    size = (REGION_WIDTH, max(8, round(REGION_WIDTH * ref.height / ref.width)))
    gray = cv2.resize(ref.gray, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    window = max(5, round(min(size) * window_share))
    if not ref.transparent:
        return RegionTemplate(_smoothed(gray), None, np.ones(gray.shape, bool), window)
    alpha = cv2.resize(ref.opaque, size, interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    near = np.ones((2 * NEAR_INK_PX + 1, 2 * NEAR_INK_PX + 1), np.uint8)
    compared = cv2.dilate((alpha >= 0.5).astype(np.uint8), near) > 0
    clear = (1.0 - alpha).astype(np.float32)
    return RegionTemplate(_smoothed(gray), _smoothed(clear), compared, window)


def worst_region(tpl: RegionTemplate, ref_size: tuple[int, int], frame_gray: Image,
                 matrix: Matrix, shift: int, *, enough: float | None = None,
                 ) -> float | None:  # fmt: skip
    """The lowest correlation over the windows of `tpl` that show texture, each at its best
    shift within `shift` px, between the reference and the frame region `matrix` maps the
    reference (`ref_size` w, h, to frame pixels) onto; None when no window can be compared.

    With `enough`, a caller that only asks whether the worst window reaches it: once every
    window that can be compared has reached it at some shift (the unshifted one first, where
    a real logo's windows mostly do), the worst so far is returned without trying the other
    shifts (a window's best only rises with more shifts, so the answer is the same). A window
    counts as comparable when the reference's side allows comparing it at some shift (a
    window no shift can compare is left out either way)."""
    tw, th = tpl.size
    to_template = np.array(
        [[tw / ref_size[0], 0.0, shift], [0.0, th / ref_size[1], shift], [0.0, 0.0, 1.0]]
    )
    inverse_map = matrix @ np.linalg.inv(to_template)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    padded = (tw + 2 * shift, th + 2 * shift)
    raw = cv2.warpPerspective(frame_gray, inverse_map, padded, flags=flags).astype(np.float32)
    inside = cv2.warpPerspective(
        np.full(frame_gray.shape[:2], 255, np.uint8), inverse_map, padded, flags=flags
    )
    in_frame = cv2.erode(inside, _INSIDE) == 255
    centre = (slice(shift, shift + th), slice(shift, shift + tw))
    reference = tpl.smoothed
    frame = _smoothed(raw)
    detailed = cv2.dilate(_local_spread(reference), np.ones((3, 3), np.uint8)) > _DETAILED
    base = in_frame[centre] & tpl.compared
    occluder = np.ones((_OCCLUDER_PX, _OCCLUDER_PX), np.uint8)
    flat = _local_spread(frame, _OCCLUDER_PX) < _FLAT_FRAME
    # What every shift shares, computed once (per shift it was a third of the call's CPU).
    corners = _window_corners(reference.shape, tpl.window)
    fixed = [plane.astype(np.float64) for plane in (reference, tpl.clear) if plane is not None]
    # Nearest shifts first (a logo the transform placed well reaches `enough` at once).
    shifts = sorted(((dy, dx) for dy in range(-shift, shift + 1)
                     for dx in range(-shift, shift + 1)),
                    key=lambda d: abs(d[0]) + abs(d[1]))  # fmt: skip
    # The reference's own moments depend on the weights only, which most shifts share (no
    # occluder, logo well inside the frame): computed once per distinct weights, found by the
    # mask's packed bits (comparing each shift's weights with every distinct one so far cost
    # as much as the correlations: ~20 distinct masks a call on the kit's tune seed).
    shared: dict[bytes, _Weighted] = {}
    planned: list[tuple[slice, slice, _Weighted]] = []
    for dy, dx in shifts:
        rows = slice(shift + dy, shift + dy + th)
        cols = slice(shift + dx, shift + dx + tw)
        hidden = detailed & flat[rows, cols]
        hidden = cv2.dilate(hidden.astype(np.uint8), occluder) > 0
        mask = base & in_frame[rows, cols] & ~hidden
        key = np.packbits(mask).tobytes()
        known = shared.get(key)
        if known is None:
            known = _Weighted.of(fixed, mask.astype(np.float32), corners)
            shared[key] = known
        planned.append((rows, cols, known))
    # The windows some shift can compare: any other is NaN at every shift.
    comparable = (
        np.logical_or.reduce([_comparable(k, tpl.window) for k in shared.values()])
        if enough is not None
        else None
    )
    # The shifts are correlated in runs (`_chunks`): the per-window arithmetic for a run at
    # once (per shift, its ~20 small array operations cost twice its integral images).
    best: Float | None = None
    for chunk in _chunks(shifts, enough is not None):
        scores = _window_correlations(
            [(known, frame[rows, cols]) for rows, cols, known in planned[chunk]], tpl.window
        )
        # Each window's best so far after each shift, in the order tried.
        running = np.fmax.accumulate(scores, axis=0)
        if best is not None:
            running = np.fmax(best, running)
        if comparable is not None and enough is not None:
            reached = _reached(running, comparable, enough)
            if reached.any():
                return float(np.nanmin(running[int(np.argmax(reached))]))
        best = running[-1]
    if best is None or bool(np.isnan(best).all()):
        return None
    return float(np.nanmin(best))


def _chunks(shifts: list[tuple[int, int]], early: bool) -> list[slice]:
    """The runs of `shifts` correlated together: all at once, or, where an early answer may
    end the search, the unshifted window alone and then each ring of equal distance (a real
    logo mostly ends it at the first, and a run costs little more than one shift)."""
    if not early:
        return [slice(0, len(shifts))]
    distances = [abs(dy) + abs(dx) for dy, dx in shifts]
    starts = [i for i in range(len(shifts)) if i == 0 or distances[i] != distances[i - 1]]
    return [slice(a, b) for a, b in zip(starts, [*starts[1:], len(shifts)], strict=True)]


Corners = npt.NDArray[np.intp]


def _window_corners(shape: tuple[int, ...], window: int) -> Corners:
    """Where the half-overlapping `window`-px windows of an image of `shape` (rows, columns)
    have their corners in its integral image (`shape` plus one each way): bottom-right,
    bottom-left, top-right, top-left, as flat indices (4 x window rows x window columns; one
    gather of all four cost a quarter of four `np.ix_` lookups)."""
    th, tw = shape[:2]
    half, step = window // 2, max(1, window // 2)
    ys = np.arange(half, th - half + 1, step) if th > window else np.array([th // 2])
    xs = np.arange(half, tw - half + 1, step) if tw > window else np.array([tw // 2])
    top, left = np.clip(ys - half, 0, th), np.clip(xs - half, 0, tw)
    bottom, right = np.clip(ys - half + window, 0, th), np.clip(xs - half + window, 0, tw)
    return np.stack([rows[:, None] * (tw + 1) + cols[None, :]
                     for rows in (bottom, top) for cols in (right, left)])  # fmt: skip


def _summed(values: npt.NDArray[np.float64], corners: Corners) -> npt.NDArray[np.float64]:
    """Sum of `values` in each window `corners` locates (from an integral image, in float64:
    the moments below are differences of such sums)."""
    at = np.asarray(cv2.integral(values, sdepth=cv2.CV_64F), np.float64).ravel()[corners]
    window_sums: npt.NDArray[np.float64] = at[0] - at[1] - at[2] + at[3]
    return window_sums


@dataclass(frozen=True)
class _Weighted:
    """The reference's planes (`fixed`: the reference and, for a transparent one, its `clear`
    part, float64) under one `weight` of the compared pixels, and what of the per-window
    moments does not depend on the frame: computed once for the shifts sharing the weights."""

    weight: Float
    w: npt.NDArray[np.float64]
    corners: Corners
    count: npt.NDArray[np.float64]
    n: npt.NDArray[np.float64]
    fixed: list[npt.NDArray[np.float64]]
    weighted: list[npt.NDArray[np.float64]]
    means: list[npt.NDArray[np.float64]]
    covariances: dict[tuple[int, int], npt.NDArray[np.float64]]
    """Of `fixed` planes i and j: (0, 0) the reference's variance; (1, 1), (0, 1) with `clear`."""

    @classmethod
    def of(cls, fixed: list[npt.NDArray[np.float64]], weight: Float, corners: Corners) -> _Weighted:
        w = weight.astype(np.float64)
        count = _summed(w, corners)
        n = np.maximum(count, 1.0)
        weighted = [w * plane for plane in fixed]
        means = [_summed(plane, corners) / n for plane in weighted]
        pairs = [(0, 0)] if len(fixed) == 1 else [(0, 0), (1, 1), (0, 1)]
        covariances = {(a, b): _covariance(weighted[a], fixed[b], means[a], means[b], corners, n)
                       for a, b in pairs}  # fmt: skip
        return cls(weight, w, corners, count, n, fixed, weighted, means, covariances)


def _covariance(  # noqa: PLR0917 - one moment's operands
    weighted_a: npt.NDArray[np.float64],
    plane_b: npt.NDArray[np.float64],
    mean_a: npt.NDArray[np.float64],
    mean_b: npt.NDArray[np.float64],
    corners: Corners,
    n: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Weighted covariance per window of plane a (`weighted_a`: times the weights) and b."""
    covariance: npt.NDArray[np.float64] = _summed(weighted_a * plane_b, corners) / n
    return covariance - mean_a * mean_b


def _reached(
    running: Float, comparable: npt.NDArray[np.bool_], enough: float
) -> npt.NDArray[np.bool_]:
    """After each shift of `running` (shifts x windows, each window's best so far), whether
    every `comparable` window's best is known and at least `enough` (never with none)."""
    if not comparable.any():
        return np.zeros(running.shape[0], bool)
    return np.asarray((running[:, comparable] >= enough).all(axis=1), bool)


def _comparable(known: _Weighted, window: int) -> npt.NDArray[np.bool_]:
    """The windows the reference's side allows comparing under `known`'s weights (enough
    compared pixels and texture): the others are NaN whatever the frame shows."""
    comparable: npt.NDArray[np.bool_] = (known.count >= _MIN_COVERED * window * window) & (
        known.covariances[0, 0] >= _MIN_TEXTURE**2
    )
    return comparable


def _window_correlations(shifted: list[tuple[_Weighted, Float]], window: int) -> Float:
    """How well the reference explains each patch of `shifted` (one per shift, with the
    weights and reference moments that shift's `_Weighted` holds) in the windows the
    `_Weighted`'s corners locate (NaN where a window has too few compared pixels or too little
    texture): shifts x window rows x window columns.

    Opaque: their weighted correlation. Transparent: the multiple correlation of a patch with
    the reference and its `clear` part, so whatever lies behind the logo in each window (its
    level, lighter or darker than the logo) is fitted there rather than assumed.
    """
    sums = [_patch_sums(known, patch) for known, patch in shifted]
    n = np.stack([known.n for known, _ in shifted])
    mean = np.stack([each[0] for each in sums]) / n
    var_r = np.stack([known.covariances[0, 0] for known, _ in shifted])
    var_p = np.stack([each[1] for each in sums]) / n - mean * mean
    mean_r = np.stack([known.means[0] for known, _ in shifted])
    cov_rp = np.stack([each[2] for each in sums]) / n - mean_r * mean
    comparable = np.stack([_comparable(known, window) for known, _ in shifted])
    usable = comparable & (var_p >= 1.0)
    if len(shifted[0][0].fixed) == 1:
        correlation = cov_rp / np.sqrt(np.maximum(var_r * var_p, 1e-6))
        return np.where(usable, correlation, np.nan).astype(np.float32)
    var_c = np.stack([known.covariances[1, 1] for known, _ in shifted])
    cov_rc = np.stack([known.covariances[0, 1] for known, _ in shifted])
    mean_c = np.stack([known.means[1] for known, _ in shifted])
    cov_cp = np.stack([each[3] for each in sums]) / n - mean * mean_c
    # R^2 = c' S^-1 c / var_p over the two regressors (reference, clear). Where they are
    # (nearly) collinear, or the window holds no transparency, the reference alone explains.
    det = var_r * var_c - cov_rc * cov_rc
    both = (var_c > _MIN_CLEAR_VARIANCE) & (det > 1e-3 * var_r * var_c)
    explained = np.where(
        both,
        (var_c * cov_rp**2 - 2 * cov_rc * cov_rp * cov_cp + var_r * cov_cp**2)
        / np.where(both, det, 1.0),
        cov_rp**2 / np.maximum(var_r, 1e-9),
    )
    correlation = np.sqrt(np.clip(explained / np.maximum(var_p, 1e-6), 0.0, 1.0))
    return np.where(usable, correlation, np.nan).astype(np.float32)


def _patch_sums(known: _Weighted, patch: Float) -> list[npt.NDArray[np.float64]]:
    """The window sums of one shift's frame `patch` under `known`'s weights: of the patch,
    its square, its product with the reference and (transparent) with the `clear` part."""
    plane = patch.astype(np.float64)
    weighted = known.w * plane
    products = [weighted, weighted * plane, known.weighted[0] * plane]
    if len(known.fixed) > 1:
        products.append(weighted * known.fixed[1])
    return [_summed(values, known.corners) for values in products]


def _local_spread(image: Float, size: int = 3) -> Float:
    mean = cv2.blur(image, (size, size))
    return np.sqrt(np.maximum(cv2.blur(image * image, (size, size)) - mean * mean, 0.0))


def _smoothed(image: Float) -> Float:
    return np.asarray(cv2.GaussianBlur(image, (0, 0), _BLUR), np.float32)
