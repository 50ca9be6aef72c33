"""The blur-tolerant check (logo/blurred.py) and how a track lives on it (tracker `vouch`,
the pipeline's `blurred` setting)."""

from __future__ import annotations

import cv2
import numpy as np

from sightline_analysis.frames import Frame, Image
from sightline_analysis.logo.blurred import BlurConfig, blurred_match, motion_kernel
from sightline_analysis.logo.matcher import LogoMatcher
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

OPAQUE = make_logo("ORBITA", 3)
TRANSPARENT = make_transparent_logo("KESTREL", 5)
CHECK = BlurConfig()


def _template(logo: Image) -> RegionTemplate:
    return region_template(prepare_reference(logo), 0.33)


def _smeared(logo: Image, centre: tuple[float, float], length: float, angle: float,
             width: float = 220.0) -> tuple[Image, tuple[float, ...]]:  # fmt: skip
    """A grey frame with `logo` at `centre`, the whole picture motion-blurred (a pan)."""
    frame, box = composite(background(9), logo, Placement(centre, width))
    kernel = motion_kernel(length, angle)
    assert kernel is not None
    blurred = np.asarray(cv2.filter2D(frame, -1, kernel), np.uint8)
    return np.asarray(cv2.cvtColor(blurred, cv2.COLOR_BGR2GRAY), np.uint8), box


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


def test_the_sharp_reference_alone_does_not_explain_the_blurred_picture() -> None:
    gray, box = _smeared(OPAQUE, (520.0, 330.0), 22.0, 0.0)
    sharp_only = CHECK.model_copy(update={"lengths": (0.0,)})
    assert blurred_match(gray, box, _template(OPAQUE), sharp_only) is None
    assert blurred_match(gray, box, _template(OPAQUE), CHECK) is not None


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
