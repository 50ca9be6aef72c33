"""Rule evaluation on stream time: one condition is one alert, zones and filters hold, health
runs on the clock. Pure functions, no Kafka."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sightline_alerts.evaluator import fold_detection, fold_segment, tick
from sightline_alerts.state import StreamState
from sightline_common.messages import AlertRule, AlertStatus, AnalysisInfo, AnalysisMode, Detection
from sightline_testkit.messages import detection as detection_message

LEFT_BOX = {"x": 0.05, "y": 0.4, "w": 0.1, "h": 0.1}
RIGHT_ZONE = [
    {"x": 0.5, "y": 0.0},
    {"x": 1.0, "y": 0.0},
    {"x": 1.0, "y": 1.0},
    {"x": 0.5, "y": 1.0},
]


def rule(**fields: Any) -> AlertRule:
    base = {"rule_id": "r1", "name": "acme on screen", "kind": "appearance", "stream_id": "cam"}
    return AlertRule.model_validate({**base, "brands": ["acme"], "duration_s": 10, **fields})


def detection(seq: int, visible: set[float], box: dict[str, float] | None = None) -> Detection:
    """A 2-s segment sampled at 1 fps; `visible` media times show the acme logo."""
    start = seq * 2.0
    frames = []
    for t in (start, start + 1.0):
        results = []
        if t in visible:
            results.append(
                {
                    "kind": "logo",
                    "label": "acme",
                    "confidence": 0.9,
                    "box": box or {"x": 0.6, "y": 0.4, "w": 0.1, "h": 0.1},
                }
            )
        frames.append({"media_ts": t, "results": results})
    return detection_message("cam", seq, frames)


def run(
    rules: list[AlertRule], segments: int, visible: set[float], box: dict[str, float] | None = None
) -> list[Any]:
    state = StreamState("cam", "detections")
    out = []
    for seq in range(segments):
        out += fold_detection(state, rules, detection(seq, visible, box))
    return out


def test_twelve_seconds_on_screen_fires_a_ten_second_rule_once_and_resolves_once() -> None:
    visible = {float(t) for t in range(13)}  # 0..12 s
    out = run([rule()], segments=10, visible=visible)
    assert [t.status for t in out] == [AlertStatus.fired, AlertStatus.resolved]
    assert out[0].alert_id == out[1].alert_id
    assert out[0].evidence.since_media_ts == 0.0
    assert out[0].evidence.media_ts == 10.0
    assert out[0].evidence.segment_key == "cam/5.ts"
    assert out[1].evidence.media_ts == 12.0


def test_eight_seconds_on_screen_does_not_fire_a_ten_second_rule() -> None:
    assert run([rule()], segments=10, visible={float(t) for t in range(9)}) == []


def test_a_zone_rule_ignores_the_brand_outside_the_zone() -> None:
    visible = {float(t) for t in range(13)}
    assert run([rule(zone=RIGHT_ZONE)], 10, visible, box=LEFT_BOX) == []
    assert len(run([rule(zone=RIGHT_ZONE)], 10, visible)) == 2


def test_min_confidence_and_size_filter_detections() -> None:
    visible = {float(t) for t in range(13)}
    assert run([rule(min_confidence=0.95)], 10, visible) == []
    assert run([rule(min_area=0.5)], 10, visible) == []


def test_a_second_appearance_is_a_new_alert_after_the_cooldown_only() -> None:
    visible = {float(t) for t in range(4)} | {float(t) for t in range(8, 12)}
    out = run([rule(duration_s=2, cooldown_s=100)], 10, visible)
    assert [t.status for t in out] == [AlertStatus.fired, AlertStatus.resolved]
    out = run([rule(duration_s=2)], 10, visible)
    assert [t.status for t in out] == [AlertStatus.fired, AlertStatus.resolved] * 2
    assert out[0].alert_id != out[2].alert_id


def test_a_competitor_fires_at_first_sight() -> None:
    out = run([rule(kind="competitor", duration_s=0)], 4, {3.0})
    assert out[0].status == AlertStatus.fired
    assert out[0].evidence.media_ts == 3.0


def test_absence_fires_when_unseen_for_long_enough_and_resolves_when_seen() -> None:
    out = run([rule(kind="absence", duration_s=6)], 10, {0.0, 1.0, 15.0})
    assert [t.status for t in out] == [AlertStatus.fired, AlertStatus.resolved]
    assert out[0].evidence.since_media_ts == 1.0
    assert out[0].evidence.media_ts == 7.0


def test_a_redelivered_detection_does_not_move_stream_time_back() -> None:
    state = StreamState("cam", "detections")
    visible = {float(t) for t in range(13)}
    out = []
    for seq in [0, 1, 2, 3, 4, 5, 5, 4, 6, 7, 8]:
        out += fold_detection(state, [rule()], detection(seq, visible))
    assert [t.status for t in out] == [AlertStatus.fired, AlertStatus.resolved]


def test_stream_health_fires_after_silence_and_resolves_on_the_next_segment() -> None:
    health = rule(kind="stream_health", brands=[], duration_s=5)
    state = StreamState("cam", "segments")
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    assert tick(state, [health], t0) == []  # no segment seen yet
    assert fold_segment(state, [health], t0) == []
    assert tick(state, [health], t0 + timedelta(seconds=4)) == []
    fired = tick(state, [health], t0 + timedelta(seconds=6))
    assert [t.status for t in fired] == [AlertStatus.fired]
    assert tick(state, [health], t0 + timedelta(seconds=9)) == []
    resolved = fold_segment(state, [health], t0 + timedelta(seconds=10))
    assert [(t.status, t.alert_id) for t in resolved] == [(AlertStatus.resolved, fired[0].alert_id)]


def test_state_round_trips_through_its_changelog_record() -> None:
    state = StreamState("cam", "detections")
    run_state = fold_detection(state, [rule(duration_s=0)], detection(0, {0.0}))
    assert run_state
    state.applied["t:0"] = 7
    back = StreamState.from_message(state.to_message())
    assert back == state


def test_pacing_fires_live_with_a_forecast_near_the_final_screen_time_and_resolves_at_the_end() -> (
    None
):
    pacing = rule(kind="pacing", duration_s=0, target_s=60, period_s=120, warmup_s=24)
    state = StreamState("cam", "detections")
    out = []
    for seq in range(70):  # a 2-s segment of 2 frames; acme in the first frame of 3 in 4 segments
        visible = {seq * 2.0} if seq % 4 != 3 else set()
        out += fold_detection(state, [pacing], detection(seq, visible))
    assert [t.status for t in out] == [AlertStatus.fired, AlertStatus.resolved]
    fired, final = out[0].evidence, out[1].evidence
    assert fired.media_ts is not None
    assert fired.media_ts < 120  # while the period is live
    assert final.screen_time_s == pytest.approx(45.0)
    assert fired.forecast_s == pytest.approx(final.screen_time_s, rel=0.10)
    assert fired.target_s == 60


def test_pacing_on_track_never_fires() -> None:
    pacing = rule(kind="pacing", duration_s=0, target_s=30, period_s=60, warmup_s=6)
    state = StreamState("cam", "detections")
    out = []
    for seq in range(40):
        out += fold_detection(state, [pacing], detection(seq, {seq * 2.0, seq * 2.0 + 1.0}))
    assert out == []


def quality(seq: int, flags: dict[float, str]) -> Detection:
    """A visual detection of a 2-s segment at 1 fps; `flags` gives a frame's quality label."""
    start = seq * 2.0
    frames = [
        {
            "media_ts": t,
            "results": [{"kind": "quality", "label": flags.get(t, "ok"), "confidence": 1.0}],
        }
        for t in (start, start + 1.0)
    ]
    return detection_message("cam", seq, frames, detector="visual")


def test_a_black_picture_for_long_enough_fires_a_picture_rule_and_resolves_when_it_returns() -> (
    None
):
    picture = rule(kind="picture", brands=[], conditions=["dark", "still"], duration_s=5)
    state = StreamState("cam", "detections.visual")
    flags = {float(t): "dark,still" for t in range(4, 12)} | {5.0: "blurry,dark"}
    out = []
    for seq in range(10):
        out += fold_detection(state, [picture], quality(seq, flags))
    assert [t.status for t in out] == [AlertStatus.fired, AlertStatus.resolved]
    assert out[0].evidence.since_media_ts == 4.0
    assert out[0].evidence.media_ts == 9.0
    assert out[0].brand is None
    assert "dark" in (out[0].evidence.detail or "")
    blurry_only = rule(kind="picture", brands=[], conditions=["blurry"], duration_s=5)
    state = StreamState("cam", "detections.visual")
    assert [
        t for seq in range(10) for t in fold_detection(state, [blurry_only], quality(seq, flags))
    ] == []


def test_detector_lag_fires_above_the_bound_or_when_degraded_and_resolves_when_it_keeps_up() -> (
    None
):
    lag_rule = rule(kind="detector_lag", brands=[], duration_s=5)
    state = StreamState("cam", "detections")
    lags = [(1.0, "full"), (7.0, "full"), (9.0, "full"), (2.0, "degraded"), (1.0, "full")]
    out = []
    for seq, (lag, mode) in enumerate(lags):
        message = detection(seq, set()).model_copy(
            update={"analysis": AnalysisInfo(mode=AnalysisMode(mode), sample_fps=1, lag_s=lag)}
        )
        out += fold_detection(state, [lag_rule], message)
    assert [(t.status, t.evidence.segment_sequence) for t in out] == [
        (AlertStatus.fired, 1),
        (AlertStatus.resolved, 4),
    ]
    assert "lag 7.0 s" in (out[0].evidence.detail or "")
