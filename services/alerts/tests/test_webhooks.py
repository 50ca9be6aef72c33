"""Webhook bodies and signatures: what a receiver gets and how it checks it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sightline_alerts.webhooks import signature, verify, webhook_body
from sightline_common.envelope import encode, wrap
from sightline_common.messages import Alert

ALERT = Alert.model_validate(
    {
        "alert_id": "a1",
        "rule_id": "r1",
        "rule_name": "acme 10 s",
        "kind": "appearance",
        "stream_id": "cam",
        "status": "fired",
        "brand": "acme",
        "at": datetime(2026, 1, 1, tzinfo=UTC).isoformat(),
    }
)


def test_a_signature_verifies_only_the_body_and_key_it_was_made_for() -> None:
    header = signature(b"k", 1700000000, b'{"a":1}')
    assert header.startswith("t=1700000000,v1=")
    assert verify(b"k", header, b'{"a":1}')
    assert not verify(b"k", header, b'{"a":2}')
    assert not verify(b"other", header, b'{"a":1}')
    assert not verify(b"k", "garbage", b'{"a":1}')


def test_a_receiver_gets_the_envelope_and_slack_gets_a_message() -> None:
    envelope = wrap(ALERT, key="cam", producer="test")
    assert webhook_body(envelope, "https://hooks.example/x") == encode(envelope)
    slack = json.loads(webhook_body(envelope, "https://hooks.slack.com/services/T/B/X"))
    assert slack == {"text": ":rotating_light: acme 10 s fired on stream cam: acme"}
