"""Webhook delivery: the handler of the `alerts` consumer loop.

Each alert message goes to its rule's webhook with retries and exponential back-off. Every
failed attempt is published as `retrying`, the outcome as `delivered` or `dead` on the compacted
`alert-deliveries` topic (keyed by message and URL) which results-api shows; a dead delivery is
also a dead-letter record on `alerts.dlq` with the reason. Deliveries already final are read
back from that topic at start (`record`), so a redelivered alert message is not sent twice; a
receiver still sees a message twice only if the service dies between the receiver's answer and
the `delivered` record being durable, and `X-Sightline-Event-Id` lets it drop that duplicate.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from dataclasses import dataclass

import structlog

from sightline_alerts import metrics
from sightline_alerts.rules import RuleBook
from sightline_alerts.webhooks import WebhookError, WebhookSender, webhook_body
from sightline_common.envelope import deterministic_event_id, encode, wrap
from sightline_common.errors import TransientError
from sightline_common.kafka import EventProducer, Received
from sightline_common.kafka.dead_letter import dead_letter_topic
from sightline_common.messages import Alert, AlertDelivery, DeadLetter, DeliveryStatus
from sightline_common.topics import Topic, TopicNames
from sightline_common.webhook_policy import WebhookNotAllowedError, check_webhook_url

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RetrySchedule:
    """How often and how patiently a webhook is tried."""

    attempts: int
    backoff_s: float
    backoff_max_s: float
    allow_private: bool

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        return min(self.backoff_s * 2.0 ** (attempt - 1), self.backoff_max_s)


class StoppedDuringRetryError(TransientError):
    """Shutting down between attempts: the message stays uncommitted and is retried later."""


class WebhookDelivery:
    """Delivers each alert message to its rule's webhook once."""

    def __init__(
        self,
        *,
        rules: RuleBook,
        sender: WebhookSender,
        schedule: RetrySchedule,
        producer: EventProducer,
        topics: TopicNames,
        producer_id: str,
        group: str,
        stopping: threading.Event,
    ) -> None:
        self._rules = rules
        self._sender = sender
        self._schedule = schedule
        self._producer = producer
        self._topics = topics
        self._producer_id = producer_id
        self._group = group
        self._stopping = stopping
        self._final: set[str] = set()
        self._lock = threading.Lock()

    def record(self, key: str, delivery: AlertDelivery | None) -> None:
        """Follower callback: remember deliveries that are final."""
        if delivery is not None and delivery.status != DeliveryStatus.retrying:
            with self._lock:
                self._final.add(key)

    def handle(self, item: Received) -> None:
        """Deliver one alert message, or record why it could not be."""
        alert: Alert = item.payload
        rule = self._rules.get(alert.rule_id)
        if rule is None or not rule.webhook_url:
            return
        url = rule.webhook_url
        key = f"{item.event_id}|{url}"
        with self._lock:
            if key in self._final:
                return
        body = webhook_body(item.message.envelope, url)
        attempt, code, error = 0, None, None
        while attempt < self._schedule.attempts:
            attempt += 1
            try:
                check_webhook_url(url, allow_private=self._schedule.allow_private)
                code = self._sender.post(
                    url,
                    body,
                    item.event_id,
                    rule_id=rule.rule_id,
                    key_version=rule.webhook_secret_version,
                )
                error = None if 200 <= code < 300 else f"HTTP {code}"
            except WebhookNotAllowedError as exc:
                error = str(exc)
                metrics.WEBHOOK_ATTEMPTS.labels("refused").inc()
                break  # policy refusals do not get better with time
            except WebhookError as exc:
                code, error = None, str(exc)
            if error is None:
                metrics.WEBHOOK_ATTEMPTS.labels("ok").inc()
                self._finish(key, item, alert, url, DeliveryStatus.delivered, attempt, code, None)
                return
            metrics.WEBHOOK_ATTEMPTS.labels("failed").inc()
            if attempt < self._schedule.attempts:
                self._publish(key, alert, url, DeliveryStatus.retrying, attempt, code, error)
                if self._stopping.wait(self._schedule.delay(attempt)):
                    raise StoppedDuringRetryError(f"stopping after attempt {attempt} to {url}")
        self._finish(key, item, alert, url, DeliveryStatus.dead, attempt, code, error)

    def _finish(  # noqa: PLR0917
        self,
        key: str,
        item: Received,
        alert: Alert,
        url: str,
        status: DeliveryStatus,
        attempts: int,
        code: int | None,
        error: str | None,
    ) -> None:
        self._publish(key, alert, url, status, attempts, code, error)
        if status == DeliveryStatus.dead:
            self._dead_letter(item, url, f"webhook {url} failed {attempts} time(s): {error}")
        metrics.WEBHOOK_FINAL.labels(status.value).inc()
        log.info(
            "alerts.webhook",
            status=status.value,
            alert_id=alert.alert_id,
            event_id=item.event_id,
            attempts=attempts,
            last_error=error,
        )
        with self._lock:
            self._final.add(key)

    def _publish(  # noqa: PLR0917
        self,
        key: str,
        alert: Alert,
        url: str,
        status: DeliveryStatus,
        attempts: int,
        code: int | None,
        error: str | None,
    ) -> None:
        delivery = AlertDelivery(
            alert_event_id=key.split("|", 1)[0],
            alert_id=alert.alert_id,
            rule_id=alert.rule_id,
            stream_id=alert.stream_id,
            alert_status=alert.status,
            url=url,
            status=status,
            attempts=attempts,
            last_status_code=code,
            last_error=error[:1000] if error else None,
        )
        envelope = wrap(delivery, key=key, producer=self._producer_id)
        self._producer.publish(self._topics.name(Topic.ALERT_DELIVERIES), envelope)

    def _dead_letter(self, item: Received, url: str, reason: str) -> None:
        raw = encode(item.message.envelope)
        record = DeadLetter(
            source_topic=item.topic,
            partition=item.partition,
            offset=item.offset,
            consumer_group=self._group,
            original_key=item.payload.stream_id,
            reason=reason[:2000],
            error_type="WebhookDeliveryFailed",
            original_b64=base64.b64encode(raw).decode(),
            event_id=item.event_id,
            original_size=len(raw),
            original_sha256=hashlib.sha256(raw).hexdigest(),
            original_truncated=False,
        )
        envelope = wrap(
            record,
            key=item.payload.stream_id,
            producer=self._producer_id,
            event_id=deterministic_event_id("webhook-dead-letter", item.event_id, url),
        )
        target = dead_letter_topic(item.topic)
        assert target is not None
        self._producer.publish(target, envelope)
