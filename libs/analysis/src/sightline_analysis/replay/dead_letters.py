"""Dead-lettering a record replay cannot process, exactly as a live consumer loop would.

The record is the one read from its topic (a `reanalysis` request, a `segments` record), so the
dead letter has the shape, the original bytes and the deterministic event id (source position
and consumer group) of the consumer loop's: dead-lettering the same record again under the same
group, after a crash or by another run, yields the same event, not a second one.
"""

from __future__ import annotations

import structlog
from confluent_kafka import KafkaException
from confluent_kafka import Message as KafkaMessage

from sightline_common import metrics
from sightline_common.kafka import EventProducer
from sightline_common.kafka.dead_letter import dead_letter_envelope, dead_letter_topic


def dead_letter(
    producer: EventProducer,
    record: KafkaMessage,
    *,
    group: str,
    reason: str,
    error_type: str,
    client_id: str,
    log: structlog.BoundLogger,
) -> None:
    """Produce `record`'s dead letter to `<topic>.dlq` and wait until it is durable.

    Raises `DeliveryError` (transient) when the broker does not acknowledge it, so the caller
    never moves past the record. A dead letter librdkafka refuses at once (too large even when
    cut), or a record of a dead-letter topic, is logged and counted instead, as the consumer
    loop does: nothing could ever take it.
    """
    source = record.topic() or ""
    where = {"topic": source, "partition": record.partition(), "offset": record.offset()}
    envelope = dead_letter_envelope(
        record, group=group, reason=reason, error_type=error_type, producer=client_id
    )
    target = dead_letter_topic(source)
    refused = "the source is a dead-letter topic" if target is None else None
    if target is not None:
        try:
            producer.publish(target, envelope)
        except KafkaException as exc:
            refused = str(exc)
    if refused is not None:
        metrics.DEAD_LETTERS_DROPPED.labels(source, error_type).inc()
        log.error(
            "replay.unprocessable_skipped",
            **where,
            reason=reason,
            not_dead_lettered_because=refused,
        )
        return
    producer.flush()
    metrics.DEAD_LETTERS.labels(source, error_type).inc()
    log.warning(
        "replay.dead_lettered",
        **where,
        group=group,
        event_id=envelope.payload.get("event_id"),
        reason=reason,
    )
