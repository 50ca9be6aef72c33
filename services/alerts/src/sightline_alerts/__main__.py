"""Entry point: `python -m sightline_alerts`.

One process runs two consumer groups: the evaluator (`detections` + `segments` → `alerts`, its
state on the `alert-state` changelog) on the main thread, which owns SIGTERM, and webhook
delivery (`alerts` → receivers, `alert-deliveries`) in a thread; a clock thread runs the
stream-health rules; `/healthz` `/readyz` `/metrics` on the HTTP port. Before consuming it reads
the rule table, its own changelog and the final deliveries back from their compacted topics.
"""

from __future__ import annotations

import threading

import structlog
from fastapi import FastAPI

from sightline_alerts.delivery import RetrySchedule, WebhookDelivery
from sightline_alerts.evaluation import AlertEvaluator
from sightline_alerts.rules import RuleBook
from sightline_alerts.settings import AlertsSettings
from sightline_alerts.webhooks import WebhookSender
from sightline_common.kafka import ConsumerLoop, EventProducer
from sightline_common.kafka.follower import CompactedTopicFollower
from sightline_common.logging import configure_logging
from sightline_common.messages import (
    Alert,
    AlertDelivery,
    AlertProgress,
    AlertRule,
    AlertState,
    Detection,
    SegmentReady,
)
from sightline_common.ops import BackgroundServer, ops_router
from sightline_common.shutdown import stop_on_signals
from sightline_common.topics import Topic

log = structlog.get_logger("sightline_alerts")


def main() -> int:
    """Run until SIGTERM/SIGINT; returns the exit code."""
    settings = AlertsSettings()
    configure_logging(settings.service_name, settings.log_level)
    settings.refuse_dev_credentials(storage=False)  # it never touches the object store
    webhook_secret = settings.webhook_deployment_secret()
    topics, client = settings.topics, settings.producer_id
    stopping = threading.Event()
    producer = EventProducer(settings.kafka_bootstrap, client)
    rules = RuleBook()
    evaluator = AlertEvaluator(
        rules=rules,
        producer=producer,
        topics=topics,
        producer_id=client,
        detectors=settings.detector_names(),
        picture_detectors=settings.picture_detector_names(),
        max_input_age_s=settings.max_input_age_s,
    )
    webhook_group = topics.group("alerts-webhooks")
    delivery = WebhookDelivery(
        rules=rules,
        sender=WebhookSender(webhook_secret, settings.webhook_timeout_s),
        schedule=RetrySchedule(
            attempts=settings.webhook_attempts,
            backoff_s=settings.webhook_backoff_s,
            backoff_max_s=settings.webhook_backoff_max_s,
            allow_private=settings.webhook_allow_private,
        ),
        producer=producer,
        topics=topics,
        producer_id=client,
        group=webhook_group,
        stopping=stopping,
    )
    bootstrap = settings.kafka_bootstrap
    followers = [
        CompactedTopicFollower(
            bootstrap, topics.name(Topic.ALERT_RULES), AlertRule, rules.apply, client
        ),
        CompactedTopicFollower(
            bootstrap, topics.name(Topic.ALERT_STATE), AlertState, evaluator.restore, client
        ),
        CompactedTopicFollower(
            bootstrap,
            topics.name(Topic.ALERT_DELIVERIES),
            AlertDelivery,
            delivery.record,
            client,
        ),
    ]
    evaluate = ConsumerLoop(
        bootstrap=bootstrap,
        group_id=topics.group("alerts-evaluator"),
        client_id=client,
        topics={
            topics.name(Topic.DETECTIONS): Detection,
            topics.name(Topic.SEGMENTS): SegmentReady,
            topics.name(Topic.ALERT_PROGRESS): AlertProgress,
        },
        producer=producer,
        handler=evaluator.handle,
        on_assign=evaluator.assigned,
        on_revoke=evaluator.revoked,
    )
    deliver = ConsumerLoop(
        bootstrap=bootstrap,
        group_id=webhook_group,
        client_id=client,
        topics={topics.name(Topic.ALERTS): Alert},
        producer=producer,
        handler=delivery.handle,
    )

    def stop() -> None:
        stopping.set()
        evaluate.stop()
        deliver.stop()

    stop_on_signals(stop, "alerts.stopping")

    def caught_up() -> bool:
        return all(f.caught_up.is_set() for f in followers)

    app = FastAPI(title="Sightline alerts")
    app.include_router(
        ops_router(
            lambda: caught_up() and evaluate.ready and deliver.ready,
            lambda: evaluate.alive() and deliver.alive(),
        )
    )
    server = BackgroundServer(app, settings.http_host, settings.http_port)
    server.start()
    for follower in followers:
        follower.start()
    # The tables must be complete before the first input is judged against them.
    while not caught_up() and not stopping.wait(0.1):
        pass
    threads = [
        threading.Thread(target=deliver.run, name="deliver", daemon=True),
        threading.Thread(target=_clock, args=(evaluator, stopping, settings.tick_s), daemon=True),
    ]
    for thread in threads:
        thread.start()
    log.info("alerts.started", port=settings.http_port)
    try:
        if not stopping.is_set():
            evaluate.run()
    finally:
        stop()
        for thread in threads:
            thread.join(timeout=30)
        for follower in followers:
            follower.stop()
        server.stop()
        producer.close()
    log.info("alerts.stopped")
    return 0


def _clock(evaluator: AlertEvaluator, stopping: threading.Event, every_s: float) -> None:
    """The stream-health clock: a failed tick is logged and the next one tries again."""
    while not stopping.wait(every_s):
        try:
            evaluator.tick_owned()
        except Exception:  # the clock must keep running; the next tick retries
            log.exception("alerts.tick_failed")


if __name__ == "__main__":
    raise SystemExit(main())
