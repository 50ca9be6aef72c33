"""Acceptance of pacing over a set of streams (#18) on the real broker: the alerts service as a
process, two streams' detections published to Kafka as the logo detector publishes them, and a
SIGKILL of the service mid-period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sightline_common.messages import Alert, AlertEvidence
from sightline_common.topics import Topic
from sightline_testkit.plugin import Isolated

from .harness import Feed, detection, eventually, messages, start_alerts

pytestmark = pytest.mark.integration

BOX = {"x": 0.6, "y": 0.4, "w": 0.1, "h": 0.1}
MEMBERS = ("cam-a", "cam-b")
PERIOD_S = 120.0


def seen_frames(stream_id: str, seq: int) -> int:
    """Frames of 4 showing acme: cam-a a quarter of the time, cam-b every other segment."""
    return 1 if stream_id == "cam-a" or seq % 2 == 0 else 0


# cam-a 0.5 s of each 2-s segment over 60 segments, cam-b 0.5 s of every other one.
FINAL_SCREEN_S = 60 * 0.5 + 30 * 0.5


def publish_segments(feed: Feed, start: datetime, first: int, last: int) -> None:
    """Segments `first..last` of both streams, in wall-clock order: segment `seq` was stored
    `2 * (seq + 1)` s after the period's start (the detection's publication time, with no lag)."""
    for seq in range(first, last + 1):
        for stream_id in MEMBERS:
            frames: list[dict[str, Any]] = [
                {
                    "media_ts": seq * 2.0 + i * 0.5,
                    "results": [{"kind": "logo", "label": "acme", "confidence": 0.9, "box": BOX}]
                    if i < seen_frames(stream_id, seq)
                    else [],
                }
                for i in range(4)
            ]
            payload = detection(seq, frames, stream_id)
            payload.timings.total_ms = 0
            stored = start + timedelta(seconds=2.0 * (seq + 1))
            feed.publish(Topic.DETECTIONS, payload, stream_id, occurred_at=stored)


def set_alerts(isolated: Isolated, rule_id: str) -> list[Alert]:
    return [m.payload for m in messages(isolated, Topic.ALERTS) if m.payload.rule_id == rule_id]


def test_a_set_pacing_rule_fires_live_on_the_summed_forecast_and_survives_a_kill(
    isolated: Isolated,
) -> None:
    feed = Feed(isolated)
    # The period lies in the recent past so the test need not wait for wall time: the
    # detections carry the times their segments were stored (within the input age bound).
    start = (datetime.now(UTC) - timedelta(seconds=200)).replace(microsecond=0)
    rule = feed.rule(
        rule_id="r-pace-set",
        kind="pacing",
        stream_id="cam-a",
        stream_ids=list(MEMBERS),
        brands=["acme"],
        target_s=60,
        period_s=PERIOD_S,
        warmup_s=24,
        period_start_at=start.isoformat(),
    )
    process, _ = start_alerts(isolated)
    publish_segments(feed, start, 0, 29)  # the first 60 s: 45 s projected, 60 s contracted
    fired = eventually(
        lambda: set_alerts(isolated, rule.rule_id), timeout=60, what="the set fired"
    )[0]
    process.kill()  # SIGKILL: no graceful commit
    publish_segments(feed, start, 30, 59)
    process.start()
    eventually(
        lambda: {a.status.value for a in set_alerts(isolated, rule.rule_id)} >= {"resolved"},
        timeout=90,
        what="the set resolved at the period's end",
    )
    seen = {(a.alert_id, a.status.value) for a in set_alerts(isolated, rule.rule_id)}
    # A re-emission after the kill carries the same alert id and event id (sinks drop it);
    # neither a second alert nor a lost resolution is allowed.
    assert sorted(status for _, status in seen) == ["fired", "resolved"]
    assert len({alert_id for alert_id, _ in seen}) == 1
    proof: AlertEvidence = fired.evidence
    assert fired.stream_id == "cam-a"
    assert fired.status.value == "fired"
    assert proof.observed_to is not None
    assert proof.observed_to < start + timedelta(seconds=PERIOD_S)  # while live
    assert proof.forecast_s == pytest.approx(FINAL_SCREEN_S, rel=0.10)
    assert proof.shortfall_s == pytest.approx(60 - proof.forecast_s, abs=0.01)
    assert set(proof.member_screen_time_s or {}) == set(MEMBERS)
    figures = [m.payload for m in messages(isolated, Topic.ALERT_PROGRESS)]
    final = {
        member: max(f.screen_time_s for f in figures if f.member_stream_id == member)
        for member in MEMBERS
    }
    assert sum(final.values()) == pytest.approx(FINAL_SCREEN_S)
