"""`/api/rules` and `/api/alerts` on the real Postgres and Kafka: rules are checked (clear 422s),
stored and announced on the compacted topic (pacing over a set of streams too: members checked,
listed under each); alerts and webhook deliveries published on their
topics are materialized once, filtered and acknowledged."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from sightline_common.envelope import deterministic_event_id, wrap
from sightline_common.kafka import EventProducer
from sightline_common.messages import Alert, AlertDelivery
from sightline_common.topics import Topic
from sightline_results_api.alerts.materialize import GROUP, build_alerts_consumer
from sightline_results_api.models import Logo
from sightline_results_api.settings import ResultsApiSettings
from sightline_testkit.kafka import read_all, wait_caught_up
from sightline_testkit.plugin import Isolated

pytestmark = pytest.mark.integration

RIGHT_HALF = [{"x": 0.5, "y": 0}, {"x": 1, "y": 0}, {"x": 1, "y": 1}, {"x": 0.5, "y": 1}]


@pytest.fixture
def acme(engine: Engine) -> str:
    with Session(engine) as session:
        session.add(
            Logo(
                id=str(uuid.uuid4()),
                brand="acme",
                bucket="b",
                object_key="logos/acme.png",
                sha256="0" * 64,
                content_type="image/png",
                size_bytes=1,
                created_at=datetime.now(UTC),
            )
        )
        session.commit()
    return "acme"


def rule_body(stream: str, **fields: object) -> dict[str, object]:
    return {
        "name": "acme 10 s",
        "kind": "appearance",
        "stream_id": stream,
        "brands": ["acme"],
        "duration_s": 10,
        **fields,
    }


def rule_records(isolated: Isolated) -> list[tuple[str, bytes | None]]:
    topic = isolated.topics.name(Topic.ALERT_RULES)
    return [(m.key().decode(), m.value()) for m in read_all(isolated.bootstrap, topic)]


def test_a_rule_is_stored_announced_changed_and_deleted(
    client: TestClient, new_stream: str, acme: str, isolated: Isolated
) -> None:
    created = client.post("/api/rules", json=rule_body(new_stream, zone=RIGHT_HALF))
    assert created.status_code == 201, created.text
    rule = created.json()
    assert rule["zone"] == RIGHT_HALF
    assert [r["id"] for r in client.get(f"/api/rules?stream_id={new_stream}").json()] == [
        rule["id"]
    ]

    changed = client.patch(f"/api/rules/{rule['id']}", json={"duration_s": 20, "clear_zone": True})
    pacing = client.post(
        "/api/rules",
        json=rule_body(new_stream, kind="pacing", target_s=300, period_s=5400, warmup_s=600),
    )
    assert pacing.status_code == 201, pacing.text
    assert pacing.json()["period_s"] == 5400
    picture = client.post(
        "/api/rules",
        json=rule_body(new_stream, kind="picture", brands=[], conditions=["dark", "still"]),
    )
    assert picture.status_code == 201, picture.text
    assert picture.json()["conditions"] == ["dark", "still"]
    assert changed.status_code == 200, changed.text
    assert changed.json()["duration_s"] == 20
    assert changed.json()["zone"] is None

    # Its own webhook secret: answered at creation, rotated on request, announced by version
    # only, never listed.
    assert rule["webhook_secret_version"] == 1
    rotated = client.post(f"/api/rules/{rule['id']}/webhook-secret")
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["version"] == 2
    assert len({rule["webhook_secret"], rotated.json()["secret"]}) == 2
    assert client.get(f"/api/rules/{rule['id']}").json()["webhook_secret_version"] == 2
    assert rotated.json()["secret"] not in client.get("/api/rules").text
    assert client.post("/api/rules/no-such-rule/webhook-secret").status_code == 404
    announced = [v for k, v in rule_records(isolated) if k == rule["id"]]
    assert announced[-1] is not None
    assert json.loads(announced[-1])["payload"]["webhook_secret_version"] == 2
    assert all(rotated.json()["secret"].encode() not in v for v in announced if v)

    assert client.delete(f"/api/rules/{rule['id']}").status_code == 204
    assert client.get(f"/api/rules/{rule['id']}").status_code == 404
    records = rule_records(isolated)
    assert [k for k, _ in records if k == rule["id"]] == [rule["id"]] * 4
    assert records[-1] == (rule["id"], None)  # the tombstone the evaluators follow


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"stream_id": "no-such-stream"}, "unknown stream"),
        ({"brands": ["zenith"]}, "unknown brand"),
        ({"brands": []}, "at least one brand"),
        (
            {"zone": [{"x": 0, "y": 0}, {"x": 1, "y": 1}, {"x": 1, "y": 0}, {"x": 0, "y": 1}]},
            "intersects itself",
        ),
        ({"webhook_url": "ftp://example.com/hook"}, "http or https"),
        ({"webhook_url": "http://127.0.0.1:8000/api/streams"}, "internal address"),
        ({"webhook_url": "http://169.254.169.254/latest/meta-data/"}, "internal address"),
        ({"kind": "stream_health", "brands": [], "duration_s": 0}, "duration_s > 0"),
        ({"kind": "pacing"}, "needs target_s and period_s"),
        ({"kind": "detector_lag", "brands": [], "duration_s": 0}, "duration_s > 0"),
        ({"kind": "detector_lag", "brands": ["acme"], "duration_s": 5}, "names no brands"),
        ({"kind": "picture", "brands": []}, "at least one of dark, blurry, still"),
        ({"conditions": ["dark"]}, "only a picture rule"),
        ({"kind": "pacing", "target_s": 600, "period_s": 300}, "more screen time"),
    ],
)
def test_a_rule_that_cannot_be_evaluated_is_a_clear_422(
    client: TestClient, new_stream: str, acme: str, fields: dict[str, object], detail: str
) -> None:
    response = client.post("/api/rules", json=rule_body(new_stream, **fields))
    assert response.status_code == 422, response.text
    assert detail in response.json()["detail"]


def test_alerts_and_deliveries_are_materialized_once_filtered_and_acknowledged(
    client: TestClient, api_settings: ResultsApiSettings, engine: Engine, isolated: Isolated
) -> None:
    producer = EventProducer(isolated.bootstrap, "test")
    loop = build_alerts_consumer(api_settings, engine, producer)
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    try:
        alert_id = str(deterministic_event_id("alert", "r1", "cam", 1))
        for status in ("fired", "resolved", "fired"):  # a replayed fired changes nothing
            alert = Alert.model_validate(
                {
                    "alert_id": alert_id,
                    "rule_id": "r1",
                    "rule_name": "acme 10 s",
                    "kind": "appearance",
                    "stream_id": "cam",
                    "status": status,
                    "brand": "acme",
                    "at": datetime.now(UTC).isoformat(),
                    "evidence": {"media_ts": 10.0 if status == "fired" else 12.0},
                }
            )
            producer.publish(
                isolated.topics.name(Topic.ALERTS), wrap(alert, key="cam", producer="test")
            )
        for status, attempts in (("retrying", 1), ("delivered", 2), ("retrying", 1)):
            delivery = AlertDelivery.model_validate(
                {
                    "alert_event_id": "e1",
                    "alert_id": alert_id,
                    "rule_id": "r1",
                    "stream_id": "cam",
                    "alert_status": "fired",
                    "url": "http://hooks.example/x",
                    "status": status,
                    "attempts": attempts,
                }
            )
            producer.publish(
                isolated.topics.name(Topic.ALERT_DELIVERIES),
                wrap(delivery, key="e1|http://hooks.example/x", producer="test"),
            )
        producer.flush()
        # Every record on both topics handled (committed) before anything is read: the replayed
        # 'fired' and the stale 'retrying' after 'delivered' are then part of what is asserted
        # (a poll for the first delivery and resolution, then a 1-s pause, guessed at that).
        for topic in (Topic.ALERTS, Topic.ALERT_DELIVERIES):
            wait_caught_up(
                isolated.bootstrap, isolated.topics.group(GROUP), isolated.topics.name(topic)
            )
        body = client.get(f"/api/alerts/{alert_id}").json()
        assert body["status"] == "resolved"
        assert body["fired_evidence"]["media_ts"] == 10.0
        assert body["resolved_evidence"]["media_ts"] == 12.0
        deliveries = client.get(f"/api/alerts/{alert_id}").json()["deliveries"]
        assert [(d["status"], d["attempts"]) for d in deliveries] == [("delivered", 2)]

        assert len(client.get("/api/alerts?stream_id=cam&kind=appearance").json()) == 1
        assert client.get("/api/alerts?status=fired").json() == []
        assert client.get("/api/alerts?brand=other").json() == []
        assert len(client.get("/api/alerts?acknowledged=false").json()) == 1
        acked = client.post(f"/api/alerts/{alert_id}/acknowledge", json={"by": "ops"})
        assert acked.status_code == 200
        assert acked.json()["acknowledged_by"] == "ops"
        assert client.get("/api/alerts?acknowledged=false").json() == []
        assert client.post("/api/alerts/nope/acknowledge", json={}).status_code == 404
    finally:
        loop.stop()
        thread.join(30)


@pytest.fixture
def second_stream(client: TestClient) -> str:
    response = client.post("/api/streams", json={"name": "cam 2", "source": {"kind": "test"}})
    assert response.status_code == 201
    return str(response.json()["id"])


def pacing(stream: str, **fields: object) -> dict[str, object]:
    return rule_body(stream, **{"kind": "pacing", "target_s": 300, "period_s": 5400, **fields})


def test_a_set_rule_is_stored_members_first_listed_under_each_and_announced(
    client: TestClient, new_stream: str, second_stream: str, acme: str, isolated: Isolated
) -> None:
    before = datetime.now(UTC)
    created = client.post(
        "/api/rules", json=pacing(new_stream, stream_ids=[second_stream, new_stream])
    )
    assert created.status_code == 201, created.text
    rule = created.json()
    assert rule["stream_ids"] == [new_stream, second_stream]
    assert datetime.fromisoformat(rule["period_start_at"]) >= before
    for stream in (new_stream, second_stream):
        listed = client.get(f"/api/rules?stream_id={stream}").json()
        assert [r["id"] for r in listed] == [rule["id"]]
    topic = isolated.topics.name(Topic.ALERT_RULES)
    announced = [
        json.loads(m.value())["payload"]
        for m in read_all(isolated.bootstrap, topic)
        if m.key().decode() == rule["id"]
    ]
    assert announced[-1]["stream_ids"] == [new_stream, second_stream]
    assert announced[-1]["period_start_at"] is not None

    naive = client.patch(f"/api/rules/{rule['id']}", json={"period_start_at": "2026-12-06T20:00"})
    assert naive.status_code == 422, naive.text  # a wall-clock start says its time zone
    start = "2026-12-06T20:00:00Z"
    moved = client.patch(f"/api/rules/{rule['id']}", json={"period_start_at": start})
    assert moved.status_code == 200, moved.text
    assert datetime.fromisoformat(moved.json()["period_start_at"]) == datetime.fromisoformat(start)
    single = client.patch(f"/api/rules/{rule['id']}", json={"stream_ids": []})
    assert single.status_code == 200, single.text
    assert single.json()["stream_ids"] == []
    assert single.json()["period_start_at"] is None


@pytest.mark.parametrize(
    ("members", "fields", "detail"),
    [
        (["{a}", "no-such-stream"], {}, "unknown stream 'no-such-stream'"),
        (["{a}", "gone-1", "gone-2"], {}, "unknown streams ['gone-1', 'gone-2']"),
        (["{b}"], {}, "must include stream_id"),
        (["{a}"], {}, "at least two"),
        (["{a}", "{b}"], {"period_start_s": 0}, "give period_start_at"),
        (["{a}", "{b}"], {"kind": "appearance"}, "only a pacing rule"),
        ([], {"period_start_at": "2026-12-06T20:00:00Z"}, "for pacing over a set"),
    ],
)
def test_a_set_rule_that_cannot_be_evaluated_is_a_clear_422(
    client: TestClient,
    new_stream: str,
    second_stream: str,
    acme: str,
    members: list[str],
    fields: dict[str, object],
    detail: str,
) -> None:
    stream_ids = [m.format(a=new_stream, b=second_stream) for m in members]
    response = client.post("/api/rules", json=pacing(new_stream, stream_ids=stream_ids, **fields))
    assert response.status_code == 422, response.text
    assert detail in response.json()["detail"]
