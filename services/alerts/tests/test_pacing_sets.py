"""Pacing over a set of streams: each member's figure is folded where its detections are, the
sum where the rule's key is; wall-clock period, each feed its own audience. Pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sightline_alerts.pacing import fold_member, fold_progress, segment_wall_end
from sightline_alerts.rules import RuleBook
from sightline_alerts.state import StreamState
from sightline_alerts.transitions import Transition
from sightline_common.messages import AlertKind, AlertProgress, AlertRule, AlertStatus, Detection
from sightline_testkit.messages import detection as detection_message

START = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
BOX = {"x": 0.6, "y": 0.4, "w": 0.1, "h": 0.1}


def set_rule(**fields: Any) -> AlertRule:
    base = {
        "rule_id": "pace-set",
        "name": "acme across feeds",
        "kind": "pacing",
        "stream_id": "cam-a",
        "stream_ids": ["cam-a", "cam-b"],
        "brands": ["acme"],
        "target_s": 60,
        "period_s": 120,
        "warmup_s": 24,
        "period_start_at": START.isoformat(),
    }
    return AlertRule.model_validate({**base, **fields})


def detection(stream_id: str, seq: int, seen: int) -> Detection:
    """A 2-s segment sampled at 2 fps, `seen` of its 4 frames showing acme."""
    frames = [
        {
            "media_ts": seq * 2.0 + i * 0.5,
            "results": [{"kind": "logo", "label": "acme", "confidence": 0.9, "box": BOX}]
            if i < seen
            else [],
        }
        for i in range(4)
    ]
    return detection_message(stream_id, seq, frames)


class TwoFeeds:
    """Both members' evaluators and the summing one, fed segment by segment in wall order."""

    def __init__(self, rule: AlertRule) -> None:
        self.rule = rule
        self.members = {m: StreamState(m, "detections") for m in rule.stream_ids}
        self.sum = StreamState(rule.stream_id, "alert-progress")
        self.progress: list[AlertProgress] = []

    def segment(self, seq: int, seen: dict[str, int]) -> list[Transition]:
        """Segment `seq` of every member (it ends `2 * (seq + 1)` s after the start)."""
        out: list[Transition] = []
        wall_end = START + timedelta(seconds=2.0 * (seq + 1))
        for member, state in self.members.items():
            det = detection(member, seq, seen[member])
            for figure in fold_member(state, [self.rule], det, wall_end):
                self.progress.append(figure)
                out += fold_progress(self.sum, self.rule, figure)
        return out


def test_the_set_fires_on_the_summed_forecast_and_resolves_with_the_final_sum() -> None:
    feeds = TwoFeeds(set_rule())
    out: list[Transition] = []
    for seq in range(60):  # 120 s: cam-a shows acme 1/4 of the time, cam-b 1/8
        out += feeds.segment(seq, {"cam-a": 1, "cam-b": seq % 2})
    assert [t.status for t in out] == [AlertStatus.fired, AlertStatus.resolved]
    fired, final = out[0].evidence, out[1].evidence
    assert out[0].stream_id == "cam-a"
    assert out[0].alert_id == out[1].alert_id
    assert final.member_screen_time_s == {"cam-a": 30.0, "cam-b": 15.0}
    assert final.screen_time_s == pytest.approx(45)
    assert fired.forecast_s is not None
    assert fired.forecast_s == pytest.approx(45, rel=0.10)
    assert fired.shortfall_s == pytest.approx(60 - fired.forecast_s)
    assert fired.observed_to is not None
    assert fired.observed_to - START >= timedelta(seconds=24)  # after the warm-up


def test_a_member_whose_detections_come_later_neither_drags_the_forecast_nor_ends_the_period() -> (
    None
):
    rule = set_rule()
    lagging = TwoFeeds(rule)
    out: list[Transition] = []
    for member in ("cam-b", "cam-a"):  # cam-b's partition consumed wholly before cam-a's
        for seq in range(60):
            wall_end = START + timedelta(seconds=2.0 * (seq + 1))
            det = detection(member, seq, 1 if member == "cam-a" else seq % 2)
            for figure in fold_member(lagging.members[member], [rule], det, wall_end):
                out += fold_progress(lagging.sum, rule, figure)
    assert [t.status for t in out] == [AlertStatus.fired, AlertStatus.resolved]
    # cam-b's whole period (15 s) does not make cam-a's first seconds a late start, nor does
    # cam-b at the period's end close it before cam-a gets there.
    assert out[0].evidence.forecast_s == pytest.approx(45)
    assert out[1].evidence.screen_time_s == pytest.approx(45)


def test_a_logo_on_two_feeds_at_once_counts_twice() -> None:
    feeds = TwoFeeds(set_rule(target_s=100))
    out: list[Transition] = []
    for seq in range(60):  # both feeds show acme 3/4 of the time: 90 + 90 s
        out += feeds.segment(seq, {"cam-a": 3, "cam-b": 3})
    assert out == []  # 180 s on track for 100 s
    assert feeds.sum.rules["pace-set"].screen_time == pytest.approx(180)


def test_the_set_fires_while_live_without_waiting_for_the_period_to_end() -> None:
    # 40 s of 20 segments: 2.3 + 10 s so far, a forecast of ~37 s for a 60-s target.
    feeds = TwoFeeds(set_rule())
    out: list[Transition] = []
    for seq in range(20):
        out += feeds.segment(seq, {"cam-a": 1 if seq % 3 == 0 else 0, "cam-b": 1})
    assert [t.status for t in out] == [AlertStatus.fired]


def test_a_stale_or_repeated_member_figure_changes_nothing() -> None:
    feeds = TwoFeeds(set_rule())
    for seq in range(20):
        feeds.segment(seq, {"cam-a": 1, "cam-b": 1})
    held = dict(feeds.sum.rules["pace-set"].members)
    old = feeds.progress[0]
    assert fold_progress(feeds.sum, feeds.rule, old) == []
    assert fold_progress(feeds.sum, feeds.rule, feeds.progress[-1]) == []
    assert feeds.sum.rules["pace-set"].members == held


def test_a_figure_of_another_period_or_a_non_member_is_ignored() -> None:
    feeds = TwoFeeds(set_rule())
    feeds.segment(0, {"cam-a": 4, "cam-b": 4})
    figure = feeds.progress[0]
    moved = set_rule(period_start_at=(START + timedelta(hours=1)).isoformat())
    assert fold_progress(StreamState("cam-a", "alert-progress"), moved, figure) == []
    stranger = figure.model_copy(update={"member_stream_id": "cam-z"})
    state = StreamState("cam-a", "alert-progress")
    assert fold_progress(state, feeds.rule, stranger) == []
    assert state.rules == {}


def test_the_summing_state_round_trips_through_its_changelog_record() -> None:
    feeds = TwoFeeds(set_rule())
    for seq in range(15):
        feeds.segment(seq, {"cam-a": 0, "cam-b": 1})
    back = StreamState.from_message(feeds.sum.to_message())
    assert back.rules["pace-set"] == feeds.sum.rules["pace-set"]
    assert back.rules["pace-set"].members["cam-b"][0] == pytest.approx(7.5)


def test_a_member_counts_only_inside_the_wall_clock_period() -> None:
    rule = set_rule(period_start_at=(START + timedelta(seconds=3)).isoformat(), period_s=10)
    state = StreamState("cam-b", "detections")
    figures = []
    for seq in range(8):  # segments end at START + 2, 4, ... 16 s; all frames show acme
        wall_end = START + timedelta(seconds=2.0 * (seq + 1))
        figures += fold_member(state, [rule], detection("cam-b", seq, 4), wall_end)
    assert figures[-1].screen_time_s == pytest.approx(10)  # [3 s, 13 s]
    assert figures[-1].observed_to == START + timedelta(seconds=13)
    assert figures[0].member_stream_id == "cam-b"
    assert figures[0].stream_id == "cam-a"  # keyed by the set's first stream


def test_a_segment_ends_when_it_was_stored_before_its_analysis_began() -> None:
    fields = detection("cam-a", 0, 0).model_dump(mode="json")
    fields["analysis"] = {"mode": "full", "sample_fps": 2, "lag_s": 1.5}
    fields["timings"] = {"total_ms": 500}
    det = Detection.model_validate(fields)
    assert segment_wall_end(det, START) == START - timedelta(seconds=2)


def test_set_rules_are_evaluated_per_member_never_as_a_single_stream_rule() -> None:
    book = RuleBook()
    single = set_rule(rule_id="pace-one", stream_ids=[])
    both = set_rule()
    book.apply(single.rule_id, single)
    book.apply(both.rule_id, both)
    assert book.for_stream("cam-a", frozenset({AlertKind.pacing})) == [single]
    assert book.with_member("cam-b") == [both]
    assert book.with_member("cam-a") == [both]
    assert book.with_member("cam-c") == []
