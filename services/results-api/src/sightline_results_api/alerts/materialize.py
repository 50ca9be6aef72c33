"""`alerts` and `alert-deliveries` → Postgres, on a consumer group of their own.

Alerts are few (transitions, not frames), so each message is one idempotent upsert rather than
the detection sink's COPY batches. One row per alert: `fired` inserts it, `resolved` completes
it; a replayed message changes nothing (a transition already recorded is not overwritten). A
delivery row keeps the latest state of a webhook delivery, and a final state (delivered, dead)
is never replaced by a stale `retrying`.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy.exc
from sqlalchemy import Engine, or_
from sqlalchemy.dialects.postgresql import insert

from sightline_common.errors import TransientError
from sightline_common.kafka import ConsumerLoop, EventProducer, Received
from sightline_common.messages import Alert, AlertDelivery, AlertStatus, DeliveryStatus
from sightline_common.topics import Topic
from sightline_results_api.alerts.tables import AlertDeliveryRow, AlertRow
from sightline_results_api.settings import ResultsApiSettings

GROUP = "results-api-alerts"
_FINAL = (DeliveryStatus.delivered.value, DeliveryStatus.dead.value)


class AlertSink:
    """The handler: one upsert per message, in its own transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def __call__(self, item: Received) -> None:
        """Record the message; a database outage is a TransientError (retried)."""
        payload = item.payload
        statement = (
            _alert_upsert(payload) if isinstance(payload, Alert) else _delivery_upsert(payload)
        )
        try:
            with self._engine.begin() as conn:
                conn.execute(statement)
        except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError) as exc:
            raise TransientError(f"database unavailable: {exc}") from exc


def _alert_upsert(alert: Alert):  # type: ignore[no-untyped-def]  # noqa: ANN202 - SQLAlchemy's Insert generics
    table = AlertRow.__table__  # type: ignore[attr-defined]
    evidence = alert.evidence.model_dump(mode="json")
    fired = alert.status == AlertStatus.fired
    values = {
        "alert_id": alert.alert_id,
        "rule_id": alert.rule_id,
        "rule_name": alert.rule_name,
        "kind": alert.kind.value,
        "stream_id": alert.stream_id,
        "brand": alert.brand,
        "status": alert.status.value,
        "fired_at": alert.at if fired else None,
        "resolved_at": None if fired else alert.at,
        "fired_evidence": evidence if fired else None,
        "resolved_evidence": None if fired else evidence,
    }
    statement = insert(table).values(**values)
    if fired:
        return statement.on_conflict_do_update(
            index_elements=["alert_id"],
            set_={"fired_at": alert.at, "fired_evidence": evidence},
            where=table.c.fired_at.is_(None),
        )
    return statement.on_conflict_do_update(
        index_elements=["alert_id"],
        set_={"status": "resolved", "resolved_at": alert.at, "resolved_evidence": evidence},
        where=table.c.resolved_at.is_(None),
    )


def _delivery_upsert(delivery: AlertDelivery):  # type: ignore[no-untyped-def]  # noqa: ANN202
    table = AlertDeliveryRow.__table__  # type: ignore[attr-defined]
    values = {
        "alert_event_id": delivery.alert_event_id,
        "url": delivery.url,
        "alert_id": delivery.alert_id,
        "rule_id": delivery.rule_id,
        "stream_id": delivery.stream_id,
        "alert_status": delivery.alert_status.value if delivery.alert_status else None,
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "updated_at": datetime.now(UTC),
    }
    changed = {k: v for k, v in values.items() if k not in ("alert_event_id", "url")}
    return (
        insert(table)
        .values(**values)
        .on_conflict_do_update(
            index_elements=["alert_event_id", "url"],
            set_=changed,
            where=or_(
                table.c.status.not_in(_FINAL),
                table.c.attempts < delivery.attempts,
            ),
        )
    )


def build_alerts_consumer(
    settings: ResultsApiSettings, engine: Engine, producer: EventProducer
) -> ConsumerLoop:
    """The consumer loop materializing alerts and their deliveries."""
    topics = settings.topics
    return ConsumerLoop(
        bootstrap=settings.kafka_bootstrap,
        group_id=topics.group(GROUP),
        client_id=settings.producer_id,
        topics={
            topics.name(Topic.ALERTS): Alert,
            topics.name(Topic.ALERT_DELIVERIES): AlertDelivery,
        },
        producer=producer,
        handler=AlertSink(engine),
    )
