"""The blur-tolerant check (logo/blurred.py) and how a track lives on it (tracker `vouch`,
the pipeline's `blurred` setting)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import pytest

from sightline_analysis.frames import Frame, Image
from sightline_analysis.logo import blurred as blurred_module
from sightline_analysis.logo import net_start as net_start_module
from sightline_analysis.logo.blurred import (
    BlurConfig,
    Box,
    _moments,
    _Window,
    best_blurred,
    blurred_match,
    motion_kernel,
    without_box,
)
from sightline_analysis.logo.clarity import sharpness
from sightline_analysis.logo.learned.model import Candidate
from sightline_analysis.logo.learned.proposals import ProposalMatcher
from sightline_analysis.logo.matcher import LogoMatch, LogoMatcher
from sightline_analysis.logo.net_start import NetStartConfig, net_starts
from sightline_analysis.logo.pipeline import LogoPipeline, PipelineConfig
from sightline_analysis.logo.reference import prepare_reference
from sightline_analysis.logo.regions import RegionTemplate, region_template
from sightline_analysis.logo.tracker import VOUCHED, LogoTracker, TrackerConfig, Verified
from sightline_analysis.logo.wordmark import WordmarkConfig
from sightline_analysis.synthetic import (
    Placement,
    background,
    composite,
    make_logo,
    make_transparent_logo,
)

from .unzoomed import UNZOOMED

OPAQUE = make_logo("ORBITA", 3)
TRANSPARENT = make_transparent_logo("KESTREL", 5)
CHECK = BlurConfig()


def _template(logo: Image) -> RegionTemplate:
    return region_template(prepare_reference(logo), 0.33)


def _smeared(logo: Image, centre: tuple[float, float], length: float, angle: float,
             width: float = 220.0) -> tuple[Image, Box]:  # fmt: skip
    """A grey frame with `logo` at `centre`, the whole picture motion-blurred (a pan)."""
    frame, (x, y, w, h) = composite(background(9), logo, Placement(centre, width))
    kernel = motion_kernel(length, angle)
    assert kernel is not None
    blurred = np.asarray(cv2.filter2D(frame, -1, kernel), np.uint8)
    return np.asarray(cv2.cvtColor(blurred, cv2.COLOR_BGR2GRAY), np.uint8), (x, y, w, h)


def _near(a: tuple[float, ...], b: tuple[float, ...], tolerance: float) -> bool:
    return all(abs(p - q) <= tolerance for p, q in zip(a, b, strict=True))


def test_a_motion_blurred_logo_fits_its_reference_blurred_alike() -> None:
    for logo in (OPAQUE, TRANSPARENT):
        gray, box = _smeared(logo, (520.0, 330.0), 18.0, 10.0)
        x, y, w, h = box
        found = blurred_match(gray, (x + 6, y - 4, w, h), _template(logo), CHECK)
        assert found is not None
        assert found.agreement >= CHECK.min_agreement
        assert found.length >= 12.0
        assert _near(found.box, box, 0.06 * w)


def _on_white_box(logo: Image) -> Image:
    """A BGRA logo flattened onto a white box with a thin grey frame (no alpha), as brand kits
    deliver some marks."""
    alpha = logo[:, :, 3:].astype(np.float32) / 255.0
    flat = np.clip(logo[:, :, :3] * alpha + 255.0 * (1.0 - alpha) + 0.5, 0, 255)
    boxed = np.asarray(flat, np.uint8)
    cv2.rectangle(boxed, (2, 2), (boxed.shape[1] - 3, boxed.shape[0] - 3), (200, 200, 200), 2)
    return boxed


def test_a_mark_delivered_on_a_white_box_fits_the_footage_that_shows_the_mark_alone() -> None:
    boxed = _template(_on_white_box(TRANSPARENT))
    mark = without_box(boxed)
    assert boxed.clear is None
    assert mark.clear is not None
    opaque = np.nonzero(TRANSPARENT[:, :, 3] >= 128)
    aspect = (np.ptp(opaque[0]) + 1) / (np.ptp(opaque[1]) + 1)
    assert abs(mark.size[1] / mark.size[0] - aspect) < 0.05  # the mark's shape, not the box's
    gray, box = _smeared(TRANSPARENT, (520.0, 330.0), 12.0, 0.0)
    found = blurred_match(gray, box, boxed, CHECK)
    assert found is not None
    assert _near(found.box, box, 0.1 * box[2])
    # A plate that is part of the logo (its border not flat) is compared whole.
    plate = _template(OPAQUE)
    assert without_box(plate) is plate


def test_the_sharp_reference_alone_does_not_explain_the_blurred_picture() -> None:
    gray, box = _smeared(OPAQUE, (520.0, 330.0), 22.0, 0.0)
    sharp_only = CHECK.model_copy(update={"lengths": (0.0,)})
    assert blurred_match(gray, box, _template(OPAQUE), sharp_only) is None
    assert blurred_match(gray, box, _template(OPAQUE), CHECK) is not None


def test_a_rotated_blurred_logo_fits_only_the_reference_turned_alike() -> None:
    turned = CHECK.model_copy(update={"rotations": (-10.0, 10.0)})
    frame, (x, y, w, h) = composite(
        background(9), OPAQUE, Placement((520.0, 330.0), 220.0, angle=12.0)
    )
    box = (x, y, w, h)
    kernel = motion_kernel(18.0, 10.0)
    assert kernel is not None
    smeared = np.asarray(cv2.filter2D(frame, -1, kernel), np.uint8)
    gray = np.asarray(cv2.cvtColor(smeared, cv2.COLOR_BGR2GRAY), np.uint8)
    assert blurred_match(gray, box, _template(OPAQUE), CHECK) is None
    found = blurred_match(gray, box, _template(OPAQUE), turned)
    assert found is not None
    assert found.agreement >= CHECK.min_agreement
    other = composite(background(9), make_logo("ZENTRO", 8), Placement((520.0, 330.0), 220.0,
                                                                       angle=12.0))[0]  # fmt: skip
    other_gray = cv2.cvtColor(np.asarray(cv2.filter2D(other, -1, kernel), np.uint8),
                              cv2.COLOR_BGR2GRAY)  # fmt: skip
    assert blurred_match(np.asarray(other_gray, np.uint8), box, _template(OPAQUE), turned) is None


def test_another_logo_or_plain_background_is_not_confirmed() -> None:
    gray, box = _smeared(make_logo("ZENTRO", 8), (520.0, 330.0), 18.0, 10.0)
    assert blurred_match(gray, box, _template(OPAQUE), CHECK) is None
    gray, box = _smeared(make_transparent_logo("PETRAX", 6), (520.0, 330.0), 18.0, 10.0)
    assert blurred_match(gray, box, _template(TRANSPARENT), CHECK) is None
    ramp = np.tile(np.linspace(40, 200, 1280, dtype=np.float32), (720, 1)).astype(np.uint8)
    assert blurred_match(ramp, box, _template(TRANSPARENT), CHECK) is None


def _scene(offset: tuple[int, int]) -> Image:
    frame = np.tile(np.linspace(60, 120, 640, dtype=np.float32), (360, 1)).astype(np.uint8)
    patch = np.random.default_rng(7).integers(0, 255, (40, 80)).astype(np.uint8)
    x, y = offset
    frame[y : y + 40, x : x + 80] = patch
    return frame


def test_a_vouched_track_counts_as_verified_and_outlives_max_coast() -> None:
    tracker = LogoTracker(TrackerConfig(max_coast=1))
    tracker.step(_scene((100, 100)), [Verified("volta", "v1", (100, 100, 80, 40), 0.8, "image")])
    asked = []

    def vouch(sighting: Verified, box: tuple[float, float, float, float]) -> tuple[
        tuple[float, float, float, float], float
    ]:  # fmt: skip
        asked.append(box)
        return box, 0.95

    for step in range(1, 5):
        followed = tracker.step(_scene((100 + 6 * step, 100)), [], vouch=vouch)
        assert len(followed) == 1
        assert followed[0].coasted == 0
        assert followed[0].sighting.source == VOUCHED
        assert followed[0].sighting.confidence == 0.8  # never surer than its verification
        assert abs(followed[0].sighting.box[0] - (100 + 6 * step)) <= 2
    assert len(asked) == 4


def test_a_track_the_check_refuses_coasts_and_ends_as_before() -> None:
    tracker = LogoTracker(TrackerConfig(max_coast=1))
    tracker.step(_scene((100, 100)), [Verified("volta", "v1", (100, 100, 80, 40), 0.8, "image")])
    followed = tracker.step(_scene((106, 100)), [], vouch=lambda sighting, box: None)
    assert [(t.coasted, t.sighting.source) for t in followed] == [(1, "track")]
    assert tracker.step(_scene((112, 100)), [], vouch=lambda sighting, box: None) == []


def test_the_pipeline_keeps_a_logo_through_a_pan_the_matcher_cannot_see() -> None:
    matcher = LogoMatcher()
    matcher.add("orbita-1", "orbita", OPAQUE)
    frames = []
    for k in range(6):
        centre = (420.0 + 14 * k, 330.0)
        if k == 0:
            frame, _ = composite(background(9), OPAQUE, Placement(centre, 220.0))
        else:
            sharp, _ = composite(background(9), OPAQUE, Placement(centre, 220.0))
            kernel = motion_kernel(20.0, 0.0)
            assert kernel is not None
            frame = np.asarray(cv2.filter2D(sharp, -1, kernel), np.uint8)
        frames.append(Frame(frame, k * 0.5))
    config = PipelineConfig(wordmark=WordmarkConfig(enabled=False), backtrack=False,
                            fill_gaps=0, tracker=TrackerConfig(max_coast=2))  # fmt: skip
    found = LogoPipeline(matcher, config).process_segment(frames)
    assert [s.source for s in found[0]] == ["image"]
    assert all([s.brand for s in each] == ["orbita"] for each in found)
    assert VOUCHED in {s.source for each in found for s in each}
    off = config.model_copy(update={"blurred": BlurConfig(enabled=False)})
    without = LogoPipeline(matcher, off).process_segment(frames)
    assert [] in without  # coasting alone ends after max_coast


@dataclass
class _ProposingNet:
    """Stands in for the trained net (pure logic): proposes fixed boxes."""

    proposals: list[Candidate]
    names: list[str] = field(default_factory=lambda: ["orbita"])

    def __call__(self, image: Image) -> list[Candidate]:
        return self.proposals


def _smeared_frame(length: float) -> tuple[Image, Box]:
    """A BGR frame with ORBITA at (520, 330), 160 px wide, the picture blurred `length` px
    horizontally, and the logo's box."""
    sharp, box = composite(background(9), OPAQUE, Placement((520.0, 330.0), 160.0))
    kernel = motion_kernel(length, 0.0)
    assert kernel is not None
    return np.asarray(cv2.filter2D(sharp, -1, kernel), np.uint8), box


def test_a_net_proposal_the_matcher_rejects_starts_a_track_where_the_blurred_reference_fits() -> (
    None
):
    frame, box = _smeared_frame(12.0)
    x, y, w, h = box
    on_logo = Candidate("orbita", (x - 10, y + 6, w * 1.1, h * 0.9), 0.98, 20)
    clutter = Candidate("orbita", (900.0, 80.0, 220.0, 120.0), 0.98, 20)
    matcher = ProposalMatcher()
    matcher.add("orbita-1", "orbita", OPAQUE)
    matcher.use(_ProposingNet([on_logo, clutter]))  # type: ignore[arg-type]
    assert matcher.match(frame) == []  # SIFT does not see the blurred logo
    config = PipelineConfig(wordmark=WordmarkConfig(enabled=False), backtrack=False, fill_gaps=0,
                            zoomed=UNZOOMED)  # fmt: skip
    # The stand-in net has no zoomed look: the start waits for the next frame to confirm it.
    two = [Frame(frame, 0.0), Frame(frame, 0.5)]
    found, again = LogoPipeline(matcher, config).process_segment(two)
    assert [(s.brand, s.source) for s in found] == [("orbita", VOUCHED)]
    assert _near(found[0].box, box, 0.1 * w)
    assert [s.brand for s in again] == ["orbita"]
    assert LogoPipeline(matcher, config).process_segment(two[:1]) == [[]]
    off = config.model_copy(update={"net_start": NetStartConfig(enabled=False)})
    assert LogoPipeline(matcher, off).process_segment(two) == [[], []]


def test_a_blurred_start_is_sure_only_where_the_zoomed_net_is_sure_of_its_proposal() -> None:
    frame, box = _smeared_frame(12.0)
    x, y, w, h = box
    on_logo = Candidate("orbita", (x - 10, y + 6, w * 1.1, h * 0.9), 0.98, 20)
    matcher = ProposalMatcher()
    matcher.add("orbita-1", "orbita", OPAQUE)
    gray = np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), np.uint8)
    config = NetStartConfig()
    starts = [net_starts(gray, matcher, [on_logo], [], config, look=look)
              for look in (None, lambda _c: 0.9, lambda _c: 0.99)]  # fmt: skip
    assert [[s.sure for s in each] for each in starts] == [[False], [False], [True]]


class _Rejecting(ProposalMatcher):
    """A proposal matcher whose search verifies nothing where the net proposes."""

    def search(self, frame: Image, candidates: Sequence[Candidate]) -> list[list[LogoMatch]]:
        return [[] for _ in candidates]


def _rejecting(box: Box) -> tuple[_Rejecting, Candidate]:
    """A `_Rejecting` matcher holding orbita whose net surely proposes orbita over `box`,
    boxed as coarsely as the kit's net boxes logos, and that proposal."""
    x, y, w, h = box
    on_logo = Candidate("orbita", (x - 10, y + 6, w * 1.1, h * 0.9), 0.98, 20)
    matcher = _Rejecting()
    matcher.add("orbita-1", "orbita", OPAQUE)
    matcher.use(_ProposingNet([on_logo]))  # type: ignore[arg-type]
    return matcher, on_logo


def test_a_sharp_picture_the_matcher_rejected_does_not_start_a_track() -> None:
    sharp, box = composite(background(9), OPAQUE, Placement((520.0, 330.0), 160.0))
    blurred, _ = _smeared_frame(12.0)
    # A matcher that verifies nothing stands in for one that rejected a look-alike: the
    # blurred reference fits the sharp picture too, but the picture is not blurred.
    matcher, on_logo = _rejecting(box)
    config = PipelineConfig(wordmark=WordmarkConfig(enabled=False), backtrack=False, fill_gaps=0,
                            zoomed=UNZOOMED)  # fmt: skip
    gray = np.asarray(cv2.cvtColor(sharp, cv2.COLOR_BGR2GRAY), np.uint8)
    assert blurred_match(gray, on_logo.box, _template(OPAQUE), config.net_start.blurred)
    assert LogoPipeline(matcher, config).process_segment([Frame(sharp, 0.0)]) == [[]]
    # Two frames: the stand-in net has no zoomed look, so the start waits for a confirmation.
    twice = [Frame(blurred, 0.0), Frame(blurred, 0.5)]
    found, _ = LogoPipeline(matcher, config).process_segment(twice)
    assert [(s.brand, s.source) for s in found] == [("orbita", VOUCHED)]


def test_the_net_starter_is_off_without_learned_proposals() -> None:
    frame, _ = _smeared_frame(12.0)
    matcher = LogoMatcher()
    matcher.add("orbita-1", "orbita", OPAQUE)
    config = PipelineConfig(wordmark=WordmarkConfig(enabled=False), backtrack=False, fill_gaps=0)
    assert LogoPipeline(matcher, config).process_segment([Frame(frame, 0.0)]) == [[]]


def test_a_net_start_refreshes_a_live_track_no_channel_verified_on_the_frame() -> None:
    frame, box = _smeared_frame(12.0)
    matcher, _ = _rejecting(box)
    # No coasting and no blur check of the tracker's own: only the starter keeps the track.
    config = PipelineConfig(wordmark=WordmarkConfig(enabled=False), backtrack=False, fill_gaps=0,
                            zoomed=UNZOOMED,
                            tracker=TrackerConfig(max_coast=0),
                            blurred=BlurConfig(enabled=False))  # fmt: skip
    found = LogoPipeline(matcher, config).process_segment(
        [Frame(frame, 0.0), Frame(frame, 0.5), Frame(frame, 1.0)]
    )
    assert [[(s.brand, s.source) for s in each] for each in found] == [[("orbita", VOUCHED)]] * 3
    assert all(_near(each[0].box, box, 0.1 * box[2]) for each in found)


def test_a_proposal_over_a_tracked_logo_is_checked_at_the_tracks_size() -> None:
    frame, (x, y, w, h) = _smeared_frame(12.0)
    gray = np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), np.uint8)
    box = (x, y, w, h)
    # The net boxed the logo with much of its surroundings: 4 times as wide, below the
    # smallest size the starter tries on its own.
    wide = Candidate("orbita", (x - 1.5 * w, y - h, 4 * w, 3 * h), 0.98, 80)
    matcher = ProposalMatcher()
    matcher.add("orbita-1", "orbita", OPAQUE)
    config = NetStartConfig()
    assert net_starts(gray, matcher, [wide], [], config) == []
    (start,) = net_starts(gray, matcher, [wide], [], config, tracked=[("orbita", box)])
    assert _near(start.found.box, box, 0.1 * w)
    other = net_starts(gray, matcher, [wide], [], config, tracked=[("volta", box)])
    assert other == []  # another brand's track says nothing about this logo's size


def test_a_deeply_blurred_proposal_the_check_refuses_gets_the_deep_check() -> None:
    # A check asking more detail than any picture has stands in for a thin-stroked logo
    # blurred to its silhouette: it refuses kestrel in a 24-px pan (sharpness ~0.5).
    strict = NetStartConfig().blurred.model_copy(update={"min_detail": 0.95})
    config = NetStartConfig(blurred=strict, deep_sharpness=0.53)
    matcher = ProposalMatcher()
    matcher.add("kestrel-1", "kestrel", TRANSPARENT)
    deep, (x, y, w, h) = _smeared(TRANSPARENT, (520.0, 330.0), 24.0, 10.0)
    on_logo = Candidate("kestrel", (x - 10, y + 6, w * 1.1, h * 0.9), 0.98, 20)
    off = config.model_copy(update={"deep_sharpness": 0.0})
    assert net_starts(deep, matcher, [on_logo], [], off) == []
    (start,) = net_starts(deep, matcher, [on_logo], [], config)
    assert _near(start.found.box, (x, y, w, h), 0.1 * w)
    assert start.found.agreement >= config.deep_agreement
    # Less blurred (a 6-px pan, sharper than `deep_sharpness`): the check alone decides.
    mild, _ = _smeared(TRANSPARENT, (520.0, 330.0), 6.0, 10.0)
    assert net_starts(mild, matcher, [on_logo], [], config) == []


def test_a_windows_moments_are_correlated_once_per_weight_mask() -> None:
    """The window's weighted sums of pixels and squared pixels are those of a direct
    correlation, and a mask equal to one already used (another blur of an opaque reference)
    gets the stored ones instead of two more correlations."""
    rng = np.random.default_rng(3)
    pixels = rng.uniform(0, 255, (40, 60)).astype(np.float32)
    window = _Window(pixels, 0, 0, 1.0, 30.0, {})
    ones = np.ones((12, 20), np.float32)
    holed = ones.copy()
    holed[4:8, 5:15] = 0.0
    sums, squares = _moments(window, ones)
    expected = cv2.matchTemplate(pixels, ones, cv2.TM_CCORR)
    assert np.allclose(sums, expected)
    assert np.allclose(squares, cv2.matchTemplate(pixels * pixels, ones, cv2.TM_CCORR))
    assert _moments(window, ones.copy())[0] is sums
    assert not np.allclose(_moments(window, holed)[0], expected)
    assert len(window.moments) == 2


def _counting(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[int]:
    """Calls of `module.name` counted (the function itself still answers)."""
    calls = [0]
    original = getattr(module, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def test_blurs_that_draw_the_same_kernel_at_the_working_size_are_fitted_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A 400-px box is searched at 96 px: a 6-px blur is then under 2 px (no blur) in every
    # direction, the same picture as the unblurred reference.
    gray, box = _smeared(OPAQUE, (640.0, 360.0), 4.0, 0.0, width=400.0)
    unblurred = CHECK.model_copy(update={"lengths": (0.0,), "scales": (1.0,)})
    repeated = unblurred.model_copy(update={"lengths": (0.0, 6.0)})
    fits = _counting(monkeypatch, blurred_module, "_best_fit")
    once = blurred_match(gray, box, _template(OPAQUE), unblurred)
    assert once is not None
    assert fits[0] == 1
    assert blurred_match(gray, box, _template(OPAQUE), repeated) == once
    assert fits[0] == 2  # not 1 + 4: the three directions of the 6-px blur repeat no blur


def test_the_best_blurred_fit_is_kept_below_the_agreement_the_match_needs() -> None:
    gray, box = _smeared(OPAQUE, (520.0, 330.0), 22.0, 0.0)
    sharp_only = CHECK.model_copy(update={"lengths": (0.0,)})
    best = best_blurred(gray, box, _template(OPAQUE), sharp_only)
    assert best is not None
    assert best.agreement < sharp_only.min_agreement
    assert blurred_match(gray, box, _template(OPAQUE), sharp_only) is None
    looser = sharp_only.model_copy(update={"min_agreement": best.agreement})
    assert blurred_match(gray, box, _template(OPAQUE), looser) == best


def _sharp_proposal() -> tuple[Image, Box, Candidate, ProposalMatcher]:
    """A grey frame with a sharp ORBITA, its box, the net's sure proposal over it (boxed as
    coarsely as the kit's net boxes logos) and a proposal matcher holding orbita."""
    sharp, box = composite(background(9), OPAQUE, Placement((520.0, 330.0), 160.0))
    gray = np.asarray(cv2.cvtColor(sharp, cv2.COLOR_BGR2GRAY), np.uint8)
    _, on_logo = _rejecting(box)
    matcher = ProposalMatcher()
    matcher.add("orbita-1", "orbita", OPAQUE)
    return gray, box, on_logo, matcher


def test_the_second_look_reuses_the_starters_fit_of_the_same_proposal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A sharp logo: the starter fits its reference (its gate on the proposal's sharpness off)
    # but refuses the sharp picture; the second look (the zoomed net sure of it) asks the
    # same fit at a lower agreement.
    gray, box, on_logo, matcher = _sharp_proposal()
    config = NetStartConfig(fit_sharpness=1.0)
    assert net_starts(gray, matcher, [on_logo], [], config) == []
    searches = _counting(monkeypatch, net_start_module, "best_blurred")
    (start,) = net_starts(gray, matcher, [on_logo], [], config, look=lambda _candidate: 0.99)
    assert start.brand == "orbita"
    assert _near(start.found.box, box, 0.1 * box[2])
    assert searches[0] == 1


def test_a_sure_proposal_over_a_sharp_picture_is_not_fitted_unless_the_zoomed_net_is_sure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gray, _, on_logo, matcher = _sharp_proposal()
    config = NetStartConfig()
    assert (sharpness(gray, on_logo.box) or 0.0) > config.fit_sharpness
    searches = _counting(monkeypatch, net_start_module, "best_blurred")
    assert net_starts(gray, matcher, [on_logo], [], config) == []
    assert searches[0] == 0
    ungated = config.model_copy(update={"fit_sharpness": 1.0})
    assert net_starts(gray, matcher, [on_logo], [], ungated) == []
    assert searches[0] == 1  # fitted, and refused for the sharp picture where it fits
    (start,) = net_starts(gray, matcher, [on_logo], [], config, look=lambda _candidate: 0.99)
    assert start.brand == "orbita"
    smeared, _ = _smeared_frame(12.0)
    blurred = np.asarray(cv2.cvtColor(smeared, cv2.COLOR_BGR2GRAY), np.uint8)
    assert (sharpness(blurred, on_logo.box) or 1.0) <= config.fit_sharpness
    (start,) = net_starts(blurred, matcher, [on_logo], [], config)
    assert start.brand == "orbita"


def test_a_motion_kernel_is_drawn_once_and_shared_read_only() -> None:
    """A fit search asks for the same kernels at every size it tries: drawn once, and no
    caller may change the shared copy."""
    kernel = motion_kernel(12.0, 20.0)
    assert kernel is not None
    assert motion_kernel(12.0, 20.0) is kernel
    assert float(kernel.sum()) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="read-only"):
        kernel[0, 0] = 1.0


def test_a_fit_asked_to_beat_a_score_answers_as_the_full_fit_above_it() -> None:
    """`_best_fit` with `beat` (the search's best so far) tests detail and polarity only on
    the patches that could exceed it: wherever the full fit exceeds `beat` the answer is the
    same fit, bit for bit (score and corner), and wherever it does not, the answer does not
    exceed it either."""
    rng = np.random.default_rng(5)
    window = np.asarray(cv2.GaussianBlur(rng.uniform(0, 255, (90, 130)), (0, 0), 2.0), np.float32)
    config = BlurConfig()
    exceeded = 0
    for seed in range(6):
        draw = np.random.default_rng(seed)
        top, left = draw.integers(0, 40), draw.integers(0, 60)
        reference = window[top : top + 40, left : left + 60] + draw.normal(0, 12, (40, 60))
        clear = np.clip(cv2.GaussianBlur(draw.uniform(-1, 2, (40, 60)), (0, 0), 3.0), 0, 1)
        planes = (reference.astype(np.float32), clear.astype(np.float32))
        full = blurred_module._best_fit(_Window(window, 0, 0, 1.0, 60.0, {}), *planes, config)
        assert full is not None
        for beat in (0.0, 0.3, 0.6, full[0] - 1e-9, full[0], 0.99):
            cut = blurred_module._best_fit(_Window(window, 0, 0, 1.0, 60.0, {}), *planes, config,
                                           beat=beat)  # fmt: skip
            if full[0] > beat:
                exceeded += 1
                assert cut == full
            else:
                assert cut is None or cut[0] <= beat
    assert exceeded >= 12
