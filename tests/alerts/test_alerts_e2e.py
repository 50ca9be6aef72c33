"""Acceptance of #18 on the real broker: the alerts service as a process, input published to
Kafka as the detectors and ingest publish it, a local HTTP server as the webhook receiver."""

from __future__ import annotations

import pytest

from sightline_common.messages import Alert, AlertDelivery, DeadLetter
from sightline_common.topics import Topic
from sightline_testkit.plugin import Isolated

from .harness import Feed, detection, eventually, messages, receiver, start_alerts

# Production partition counts (testkit's default is 1): deliveries spread over
# partitions, a member's partitions moving.
pytestmark = [pytest.mark.integration, pytest.mark.topic_partitions(None)]

RIGHT = {"x": 0.6, "y": 0.4, "w": 0.1, "h": 0.1}
LEFT = {"x": 0.05, "y": 0.4, "w": 0.1, "h": 0.1}


def alerts(isolated: Isolated) -> list[Alert]:
    return [m.payload for m in messages(isolated, Topic.ALERTS)]


def transitions(isolated: Isolated, rule_id: str) -> list[tuple[str, str]]:
    return [(a.alert_id, a.status.value) for a in alerts(isolated) if a.rule_id == rule_id]


def test_twelve_seconds_on_screen_fires_once_resolves_once_and_the_webhook_gets_both_signed(
    isolated: Isolated,
) -> None:
    with receiver() as hook:
        feed = Feed(isolated)
        rule = feed.rule(rule_id="r-12s", brands=["acme"], duration_s=10, webhook_url=hook.url)
        start_alerts(isolated)
        feed.segments_with_brand(0, 9, lambda t: t <= 12.0, RIGHT)  # 0..12 s of 20
        got = eventually(
            lambda: found if len(found := hook.accepted()) >= 2 else None, what="2 webhooks"
        )
        seen = transitions(isolated, rule.rule_id)
        assert [s for _, s in seen] == ["fired", "resolved"]
        assert seen[0][0] == seen[1][0]
        assert [e["payload"]["status"] for e in got] == ["fired", "resolved"]
        assert got[0]["payload"]["evidence"]["since_media_ts"] == 0.0
        assert got[0]["payload"]["evidence"]["segment_key"] == "cam/5.ts"


def test_a_receiver_failing_three_times_gets_the_alert_once_after_retries(
    isolated: Isolated,
) -> None:
    with receiver(fail_first=3) as hook:
        feed = Feed(isolated)
        feed.rule(rule_id="r-rival", kind="competitor", brands=["acme"], webhook_url=hook.url)
        start_alerts(isolated)
        feed.segments_with_brand(0, 1, lambda t: t == 1.0, RIGHT)
        eventually(hook.accepted, what="a delivered webhook")
        fired = eventually(
            lambda: [
                str(a.event_id)
                for a in messages(isolated, Topic.ALERTS)
                if a.payload.status.value == "fired"
            ],
            what="the fired alert",
        )[0]
        # Delivery records are keyed per alert and URL, so they spread over partitions: the
        # resolved alert's record (delivered at once) may read first. Take the fired one's.
        final = eventually(
            lambda: [
                d.payload
                for d in messages(isolated, Topic.ALERT_DELIVERIES)
                if d.payload.status.value == "delivered" and d.payload.alert_event_id == fired
            ],
            what="a delivered record of the fired alert",
        )
        assert final[0].attempts == 4
        tries = [status for headers, _, status in hook.requests if fired in headers.values()]
        assert tries == [500, 500, 500, 200]
        accepted = [e["event_id"] for e in hook.accepted()]
        assert accepted.count(fired) == 1
        assert len(accepted) == len(set(accepted))


def test_a_receiver_that_never_recovers_yields_a_dead_letter(isolated: Isolated) -> None:
    with receiver(fail_always=True) as hook:
        feed = Feed(isolated)
        feed.rule(rule_id="r-dead", kind="competitor", brands=["acme"], webhook_url=hook.url)
        start_alerts(isolated, SIGHTLINE_WEBHOOK_ATTEMPTS="3")
        feed.segments_with_brand(0, 0, lambda t: t == 0.5, RIGHT)
        dlq = isolated.topics.dlq(isolated.topics.name(Topic.ALERTS))
        dead = eventually(lambda: messages(isolated, dlq), what="a dead letter")
        letter: DeadLetter = dead[0].payload
        assert letter.error_type == "WebhookDeliveryFailed"
        assert "failed 3 time(s)" in letter.reason
        records: list[AlertDelivery] = [
            d.payload for d in messages(isolated, Topic.ALERT_DELIVERIES)
        ]
        assert [r.status.value for r in records] == ["retrying", "retrying", "dead"]
        assert len(hook.requests) == 3


def test_a_zone_rule_ignores_the_brand_outside_the_zone(isolated: Isolated) -> None:
    feed = Feed(isolated)
    right_half = [
        {"x": 0.5, "y": 0.0},
        {"x": 1.0, "y": 0.0},
        {"x": 1.0, "y": 1.0},
        {"x": 0.5, "y": 1.0},
    ]
    zoned = feed.rule(rule_id="r-zone", brands=["acme"], duration_s=2, zone=right_half)
    anywhere = feed.rule(rule_id="r-any", brands=["acme"], duration_s=2)
    start_alerts(isolated)
    feed.segments_with_brand(0, 4, lambda t: t <= 5.0, LEFT)
    eventually(lambda: len(transitions(isolated, anywhere.rule_id)) == 2, what="r-any resolved")
    assert transitions(isolated, zoned.rule_id) == []
    feed.segments_with_brand(5, 9, lambda t: 10.0 <= t <= 15.0, RIGHT)
    eventually(lambda: len(transitions(isolated, zoned.rule_id)) == 2, what="r-zone in zone")


def test_a_stopped_publisher_raises_a_health_alert_that_resolves_when_segments_return(
    isolated: Isolated,
) -> None:
    feed = Feed(isolated)
    rule = feed.rule(rule_id="r-health", kind="stream_health", duration_s=3)
    start_alerts(isolated)
    for seq in range(3):
        feed.segment(seq)
    fired = eventually(lambda: transitions(isolated, rule.rule_id), what="health alert")
    assert [s for _, s in fired] == ["fired"]
    feed.segment(3)
    both = eventually(
        lambda: found if len(found := transitions(isolated, rule.rule_id)) == 2 else None,
        what="resolved",
    )
    assert [s for _, s in both] == ["fired", "resolved"]


def test_killing_the_service_mid_stream_neither_loses_nor_repeats_an_alert(
    isolated: Isolated,
) -> None:
    with receiver() as hook:
        feed = Feed(isolated)
        rule = feed.rule(rule_id="r-kill", brands=["acme"], duration_s=10, webhook_url=hook.url)
        process, _ = start_alerts(isolated)
        on_screen = lambda t: t <= 16.0  # noqa: E731
        feed.segments_with_brand(0, 6, on_screen, RIGHT)  # 0..14 s: fires at 10 s
        eventually(lambda: transitions(isolated, rule.rule_id), what="fired before the kill")
        process.kill()  # SIGKILL: no graceful commit
        feed.segments_with_brand(7, 12, on_screen, RIGHT)  # gone after 16 s: resolves
        process.start()
        # The killed member keeps its partitions until its 30-s session times out; only then
        # does the restarted one get them, read its tables back and resolve. The bound is
        # that plus a loaded machine's start-up, not a latency target.
        eventually(
            lambda: len(transitions(isolated, rule.rule_id)) >= 2, timeout=120, what="resolved"
        )
        eventually(lambda: len(hook.accepted()) >= 2, timeout=60, what="both webhooks")
        # A re-emission after the kill would carry the same alert id and event id (sinks
        # drop it); neither a second alert nor a lost resolution is allowed.
        seen = set(transitions(isolated, rule.rule_id))
        assert sorted(status for _, status in seen) == ["fired", "resolved"]
        assert len({alert_id for alert_id, _ in seen}) == 1
        received = {e["event_id"] for e in hook.accepted()}
        assert len(received) == 2


def test_a_pacing_rule_fires_while_live_with_a_forecast_within_ten_percent_of_the_final(
    isolated: Isolated,
) -> None:
    feed = Feed(isolated)
    rule = feed.rule(
        rule_id="r-pace", kind="pacing", brands=["acme"], target_s=60, period_s=120, warmup_s=24
    )
    start_alerts(isolated)
    # acme in 1 of 4 frames of 3 segments in 4: 18.75 % of the time, 22.5 s of the 120-s period.
    feed.segments_with_brand(0, 64, lambda t: t % 8 < 6 and t % 2 == 0, RIGHT)
    both = eventually(
        lambda: alerts(isolated) if len(transitions(isolated, rule.rule_id)) == 2 else None,
        what="pacing fired and resolved",
    )
    fired, final = (a.evidence for a in both if a.rule_id == rule.rule_id)
    assert fired.media_ts is not None
    assert fired.media_ts < 120  # while the period is still live
    assert final.screen_time_s == pytest.approx(22.5, rel=0.01)
    assert fired.forecast_s == pytest.approx(final.screen_time_s, rel=0.10)


def test_a_black_frozen_picture_raises_a_picture_alert_beside_the_logo_detector(
    isolated: Isolated,
) -> None:
    feed = Feed(isolated)
    rule = feed.rule(rule_id="r-black", kind="picture", conditions=["dark"], duration_s=4)
    start_alerts(isolated)
    for seq in range(8):  # the visual detector: black from 4 s to 10 s
        frames = [
            {
                "media_ts": t,
                "results": [
                    {
                        "kind": "quality",
                        "label": "dark,still" if 4 <= t <= 10 else "ok",
                        "confidence": 1.0,
                    }
                ],
            }
            for t in (seq * 2.0, seq * 2.0 + 1.0)
        ]
        visual = detection(seq, frames).model_copy(
            update={
                "detector": detection(seq, frames).detector.model_copy(update={"name": "visual"})
            }
        )
        feed.publish_detection(visual)
        # The logo detector's detections of the same segments must not disturb the picture clock.
        feed.publish_detection(detection(seq, [{"media_ts": seq * 2.0, "results": []}]))
    seen = eventually(
        lambda: found if len(found := transitions(isolated, rule.rule_id)) == 2 else None,
        what="picture alert fired and resolved",
    )
    assert [s for _, s in seen] == ["fired", "resolved"]
