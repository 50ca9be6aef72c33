"""Acceptance of pacing over a set of streams (#18) on the real stack: the rule made through
results-api (Postgres), the alerts service as a process, two streams' detections published to
Kafka as the logo detector publishes them, a SIGKILL of the alerts service mid-period, and the
alert materialized back in results-api."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from sightline_common.messages import Alert
from sightline_common.topics import Topic
from sightline_testkit.plugin import Isolated

from .harness import (
    Feed,
    detection,
    eventually,
    logo_jpeg,
    messages,
    start_alerts,
    start_results_api,
)

# Production partition counts (testkit's default is 1): a set's streams on different partitions.
pytestmark = [pytest.mark.integration, pytest.mark.topic_partitions(None)]

BOX = {"x": 0.6, "y": 0.4, "w": 0.1, "h": 0.1}
PERIOD_S = 120.0
# The first member shows acme in 1 of 4 frames of every 2-s segment, the second in every other
# segment only: 30 + 15 s of screen time over the 60 segments of the period.
FINAL_SCREEN_S = 60 * 0.5 + 30 * 0.5


def seen_frames(member: int, seq: int) -> int:
    return 1 if member == 0 or seq % 2 == 0 else 0


def publish_segments(
    feed: Feed, members: list[str], start: datetime, first: int, last: int
) -> None:
    """Segments `first..last` of every member, in wall-clock order: segment `seq` was stored
    `2 * (seq + 1)` s after the period's start (the detection's publication time, no lag)."""
    for seq in range(first, last + 1):
        for index, stream_id in enumerate(members):
            frames: list[dict[str, Any]] = [
                {
                    "media_ts": seq * 2.0 + i * 0.5,
                    "results": [{"kind": "logo", "label": "acme", "confidence": 0.9, "box": BOX}]
                    if i < seen_frames(index, seq)
                    else [],
                }
                for i in range(4)
            ]
            payload = detection(seq, frames, stream_id)
            payload.timings.total_ms = 0
            stored = start + timedelta(seconds=2.0 * (seq + 1))
            feed.publish(Topic.DETECTIONS, payload, stream_id, occurred_at=stored)


def test_a_set_pacing_rule_fires_live_on_the_summed_forecast_and_survives_a_kill(
    isolated: Isolated,
) -> None:
    base, token = start_results_api(isolated)
    api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    members = [
        api.post("/api/streams", json={"name": name, "source": {"kind": "test"}}).json()["id"]
        for name in ("main feed", "second feed")
    ]
    logo = api.post("/api/logos", data={"brand": "acme"}, files={"image": ("a.jpg", logo_jpeg())})
    assert logo.status_code == 201, logo.text
    # The period lies in the recent past so the test need not wait for wall time: detections
    # carry the times their segments were stored (within the service's input age bound).
    start = (datetime.now(UTC) - timedelta(seconds=200)).replace(microsecond=0)
    created = api.post(
        "/api/rules",
        json={
            "name": "acme across both feeds",
            "kind": "pacing",
            "stream_id": members[0],
            "stream_ids": [members[1], members[0]],
            "brands": ["acme"],
            "target_s": 60,
            "period_s": PERIOD_S,
            "warmup_s": 24,
            "period_start_at": start.isoformat(),
        },
    )
    assert created.status_code == 201, created.text
    rule_id = created.json()["id"]
    assert created.json()["stream_ids"] == members

    def listed() -> list[dict[str, Any]]:
        found = api.get("/api/alerts", params={"stream_id": members[0]}).json()
        return [a for a in found if a["rule_id"] == rule_id]

    feed = Feed(isolated)
    # Input older than the service's age bound is not evaluated; this period began 200 s ago,
    # so give a slow (loaded) machine room.
    alerts_service, _ = start_alerts(isolated, SIGHTLINE_MAX_INPUT_AGE_S="3600")
    publish_segments(feed, members, start, 0, 29)  # the first 60 s: 45 s projected of 60
    fired = eventually(listed, timeout=120, what="the set's alert in results-api")
    assert fired[0]["status"] == "fired"
    alerts_service.kill()  # SIGKILL mid-period: no graceful commit
    publish_segments(feed, members, start, 30, 59)
    alerts_service.start()
    done = eventually(
        lambda: [a for a in listed() if a["status"] == "resolved"],
        timeout=180,  # the restarted service reads its tables back before consuming
        what="the set's alert resolved at the period's end",
    )

    # One alert, fired once and resolved once, in the API and on the topic (a re-emission after
    # the kill carries the same alert id and event id, which every sink drops).
    assert len(listed()) == 1
    on_topic: list[Alert] = [
        m.payload for m in messages(isolated, Topic.ALERTS) if m.payload.rule_id == rule_id
    ]
    assert sorted({(a.alert_id, a.status.value) for a in on_topic}) == sorted(
        {(done[0]["alert_id"], "fired"), (done[0]["alert_id"], "resolved")}
    )
    proof = done[0]["fired_evidence"]
    assert datetime.fromisoformat(proof["observed_to"]) < start + timedelta(seconds=PERIOD_S)
    assert proof["forecast_s"] == pytest.approx(FINAL_SCREEN_S, rel=0.10)
    assert proof["shortfall_s"] == pytest.approx(60 - proof["forecast_s"], abs=0.01)
    assert set(proof["member_screen_time_s"]) == set(members)
    final = done[0]["resolved_evidence"]
    assert final["screen_time_s"] == pytest.approx(FINAL_SCREEN_S)
    assert final["member_screen_time_s"] == {members[0]: 30.0, members[1]: 15.0}
