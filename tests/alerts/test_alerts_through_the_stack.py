"""The whole path on the real platform: a rule created through results-api reaches the alerts
service over the compacted topic; detections fire and resolve it; results-api lists the alert
with its webhook deliveries, the notifier pushes both transitions to a subscribed dashboard
client, and the receiver gets both, signed."""

from __future__ import annotations

import json
import threading
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from sightline_alerts.webhooks import SIGNATURE_HEADER, verify
from sightline_devstack.ports import ephemeral_port
from sightline_testkit.plugin import Isolated

from .harness import (
    SECRET,
    Feed,
    detection,
    eventually,
    logo_jpeg,
    receiver,
    start_alerts,
    start_results_api,
)

# Production partition counts (testkit's default is 1): rule state kept per owned partition.
pytestmark = [pytest.mark.integration, pytest.mark.topic_partitions(None)]


def _dashboard(
    isolated: Isolated, token: str, stream_id: str, frames: list[dict[str, Any]], stack: ExitStack
) -> None:
    """A dashboard client of a notifier process, collecting the alert frames it is pushed."""
    port = ephemeral_port()
    notifier = isolated.spawn("sightline_notifier", SIGHTLINE_HTTP_PORT=str(port))
    notifier.wait_http_ok(f"http://127.0.0.1:{port}/readyz", timeout=60)
    offered = [Subprotocol("sightline.v1"), Subprotocol(f"bearer.{token}")]
    ws = stack.enter_context(connect(f"ws://127.0.0.1:{port}/ws", subprotocols=offered))
    ws.send(json.dumps({"op": "subscribe", "streams": [stream_id]}))

    def read() -> None:
        for raw in ws:
            frame = json.loads(raw)
            if frame.get("type") == "alert":
                frames.append(frame)

    threading.Thread(target=read, daemon=True).start()


def test_a_rule_made_in_the_api_fires_resolves_and_reaches_api_dashboard_and_webhook(
    isolated: Isolated,
) -> None:
    base, token = start_results_api(isolated)
    api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    stream = api.post("/api/streams", json={"name": "match", "source": {"kind": "test"}}).json()
    logo = api.post("/api/logos", data={"brand": "acme"}, files={"image": ("a.jpg", logo_jpeg())})
    assert logo.status_code == 201, logo.text
    pushed: list[dict[str, Any]] = []
    with ExitStack() as stack, receiver() as hook:
        _dashboard(isolated, token, stream["id"], pushed, stack)
        rule = api.post(
            "/api/rules",
            json={
                "name": "acme 10 s",
                "kind": "appearance",
                "stream_id": stream["id"],
                "brands": ["acme"],
                "duration_s": 10,
                "webhook_url": hook.url,
            },
        )
        assert rule.status_code == 201, rule.text
        first_secret = rule.json()["webhook_secret"].encode()
        # The rule's own secret, rotated before the alerts service starts (so it reads the
        # rotation with the rules, before any delivery): only the new secret may verify.
        rotated = api.post(f"/api/rules/{rule.json()['id']}/webhook-secret")
        assert rotated.status_code == 200, rotated.text
        assert rotated.json()["version"] == rule.json()["webhook_secret_version"] + 1
        secret = rotated.json()["secret"].encode()
        assert len({first_secret, secret, SECRET.encode()}) == 3
        listed = api.get("/api/rules", params={"stream_id": stream["id"]}).json()
        assert "webhook_secret" not in listed[0]
        assert secret.decode() not in json.dumps(listed)
        start_alerts(isolated)
        feed = Feed(isolated)
        box = {"x": 0.6, "y": 0.4, "w": 0.1, "h": 0.1}
        for seq in range(10):  # acme on screen 0..12 s of 20
            frames = [
                {
                    "media_ts": seq * 2.0 + step * 0.5,
                    "results": [{"kind": "logo", "label": "acme", "confidence": 0.9, "box": box}]
                    if seq * 2.0 + step * 0.5 <= 12.0
                    else [],
                }
                for step in range(4)
            ]
            feed.publish_detection(detection(seq, frames, stream_id=stream["id"]))

        def resolved_with_deliveries() -> dict[str, Any] | None:
            listed = api.get("/api/alerts", params={"stream_id": stream["id"]}).json()
            if len(listed) != 1 or listed[0]["status"] != "resolved":
                return None
            detail = api.get(f"/api/alerts/{listed[0]['alert_id']}").json()
            statuses = sorted(d["status"] for d in detail["deliveries"])
            return detail if statuses == ["delivered", "delivered"] else None

        alert = eventually(resolved_with_deliveries, timeout=60, what="alert in results-api")
        assert alert["rule_id"] == rule.json()["id"]
        assert alert["brand"] == "acme"
        assert alert["fired_evidence"]["since_media_ts"] == 0.0
        assert [e["payload"]["status"] for e in hook.accepted(secret)] == ["fired", "resolved"]
        for headers, body, _status in hook.requests:
            assert not verify(first_secret, headers[SIGNATURE_HEADER], body)
            assert not verify(SECRET.encode(), headers[SIGNATURE_HEADER], body)
        eventually(lambda: len(pushed) >= 2, what="alert frames on the WebSocket")
        assert [f["payload"]["status"] for f in pushed] == ["fired", "resolved"]
        assert {f["event_id"] for f in pushed} == {e["event_id"] for e in hook.accepted(secret)}
        acked = api.post(f"/api/alerts/{alert['alert_id']}/acknowledge", json={"by": "ops"})
        assert acked.json()["acknowledged_by"] == "ops"
