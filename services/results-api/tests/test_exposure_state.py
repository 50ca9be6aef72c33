"""The exposure processor's per-window state: folding detections, once each."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sightline_common.messages import Detection, Envelope, FrameResult
from sightline_results_api.exposure import BrandFrame
from sightline_results_api.exposure_state import (
    analysis_key,
    by_window,
    fold,
    logo_frames,
    window_update,
)


def _detection(factory: Callable[..., Envelope], seq: int, **kwargs: object) -> Detection:
    return Detection.model_validate(factory("s1", seq, **kwargs).payload)


def test_logo_frames_keep_one_frame_per_brand_with_its_largest_area(
    detection_factory: Callable[..., Envelope],
) -> None:
    detection = _detection(detection_factory, 0, labels=("acme", "acme", "globex"), frames=2)
    frames = logo_frames(detection)
    assert len(frames) == 4
    acme = [f for f in frames if f.brand == "acme"]
    assert {f.area_share for f in acme} == {0.04}  # the larger of 0.02 and 0.04
    assert {f.span for f in frames} == {1.0}


def test_earlier_frames_count_where_they_fall(
    detection_factory: Callable[..., Envelope],
) -> None:
    detection = _detection(detection_factory, 5, labels=("acme",), frames=2)
    late = FrameResult(media_ts=9.0, results=[detection.frames[0].results[0]])
    frames = logo_frames(detection.model_copy(update={"earlier_frames": [late]}))
    assert [f.media_ts for f in frames] == [*(f.media_ts for f in detection.frames), 9.0]
    assert {f.span for f in frames} == {1.0}


def test_non_logo_results_are_not_exposure(detection_factory: Callable[..., Envelope]) -> None:
    assert logo_frames(_detection(detection_factory, 0, kind="face")) == []


def test_frames_fall_into_media_time_windows() -> None:
    frames = [BrandFrame("a", ts, 1.0, None) for ts in (0.0, 9.99, 10.0, 35.0)]
    assert {k: len(v) for k, v in by_window(frames, 10.0).items()} == {0: 2, 1: 1, 3: 1}


def test_folding_the_same_detection_twice_changes_nothing() -> None:
    frames = [BrandFrame("a", 0.0, 1.0, 0.5), BrandFrame("b", 0.0, 1.0, 0.1)]
    state = fold(None, "e1", frames)
    assert state is not None
    assert fold(state, "e1", frames) is None
    state = fold(state, "e2", [BrandFrame("a", 1.0, 1.0, 0.3)])
    assert state is not None
    update = window_update("s1", "live", 2, 10.0, state)
    assert (update.window_start, update.window_end, update.detections) == (20.0, 30.0, 2)
    a, b = update.brands
    assert (a.brand, a.screen_time, a.frames) == ("a", 2.0, 2)
    assert a.share_of_voice == pytest.approx(2 / 3)
    assert a.prominence == pytest.approx(0.4)
    assert b.share_of_voice == pytest.approx(1 / 3)


def test_a_segment_analysed_live_again_under_a_new_config_hash_is_folded_once(
    detection_factory: Callable[..., Envelope],
) -> None:
    """After a rolling deploy the same segment arrives under a second event id (the hash is in
    it): the window counts it once, as the materializer stores it once."""
    before, after = (_detection(detection_factory, 3, config_hash=h) for h in ("old", "new"))
    state = fold(None, analysis_key(before), logo_frames(before))
    assert state is not None
    assert fold(state, analysis_key(after), logo_frames(after)) is None
    other_segment = _detection(detection_factory, 4, config_hash="new")
    other_detector = _detection(detection_factory, 3, detector="visual", kind="logo")
    for detection in (other_segment, other_detector):
        state = fold(state, analysis_key(detection), logo_frames(detection))
        assert state is not None
    assert window_update("s1", "live", 0, 10.0, state).detections == 3
