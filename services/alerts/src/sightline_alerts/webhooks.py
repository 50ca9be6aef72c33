"""Signed webhook POSTs.

The body is the alert's envelope as JSON (a Slack message for Slack incoming webhooks).
`X-Sightline-Signature: t=<unix seconds>,v1=<hex>` is HMAC-SHA256 over `<t>.<body>` with the
rule's own secret (`sightline_common.webhook_keys`; the timestamp inside the MAC lets a receiver
refuse replays);
`X-Sightline-Event-Id` is the idempotency key (the same on a retry). Redirects are not followed:
a 3xx could lead to an address the URL policy refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlparse

from sightline_common.envelope import encode
from sightline_common.messages import Alert, Envelope
from sightline_common.webhook_keys import rule_webhook_secret

SIGNATURE_HEADER = "X-Sightline-Signature"
EVENT_ID_HEADER = "X-Sightline-Event-Id"


SLACK_HOSTS = ("hooks.slack.com",)


def webhook_body(envelope: Envelope, url: str) -> bytes:
    """What is POSTed to `url`: the alert envelope as JSON, or for a Slack incoming webhook
    (hooks.slack.com) a Slack message (`{"text": …}`) saying the same in one line."""
    host = (urlparse(url).hostname or "").lower()
    if not host.endswith(SLACK_HOSTS):
        return encode(envelope)
    alert = Alert.model_validate(envelope.payload)
    what = alert.brand or alert.evidence.detail or alert.kind.value
    icon = ":rotating_light:" if alert.status.value == "fired" else ":white_check_mark:"
    text = f"{icon} {alert.rule_name} {alert.status.value} on stream {alert.stream_id}: {what}"
    return json.dumps({"text": text}).encode()


class WebhookError(Exception):
    """The POST did not get an answer (connection refused, timeout, TLS)."""


def signature(secret: bytes, timestamp: int, body: bytes) -> str:
    """The signature header's value for `body` sent at `timestamp`."""
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: bytes, header: str, body: bytes) -> bool:
    """True when `header` is a valid signature of `body` (what a receiver does)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), header)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


class WebhookSender:
    """POSTs bodies signed with their rule's secret; answers the HTTP status, raises
    WebhookError without one."""

    def __init__(self, deployment_secret: bytes, timeout_s: float) -> None:
        self._deployment_secret = deployment_secret
        self._timeout_s = timeout_s
        self._opener = urllib.request.build_opener(_NoRedirect())

    def post(self, url: str, body: bytes, event_id: str, *, rule_id: str, key_version: int) -> int:
        """Send once, signed for rule `rule_id` at `key_version`; the receiver's status code
        (any, 2xx meaning delivered)."""
        secret = rule_webhook_secret(self._deployment_secret, rule_id, key_version)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "sightline-alerts",
            EVENT_ID_HEADER: event_id,
            SIGNATURE_HEADER: signature(secret, int(time.time()), body),
        }
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - scheme checked by the webhook policy
        try:
            with self._opener.open(request, timeout=self._timeout_s) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)
        except (urllib.error.URLError, OSError) as exc:
            raise WebhookError(str(getattr(exc, "reason", exc))) from exc
