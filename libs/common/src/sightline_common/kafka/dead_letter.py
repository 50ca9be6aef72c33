"""Turning a message that cannot be processed into a record on `<topic>.dlq`."""

from __future__ import annotations

import base64
import json

from confluent_kafka import Message as KafkaMessage

from sightline_common.envelope import deterministic_event_id, wrap
from sightline_common.messages import DeadLetter, Envelope


def dead_letter_envelope(
    msg: KafkaMessage, *, group: str, reason: str, error_type: str, producer: str
) -> Envelope:
    """A dead-letter envelope carrying `reason` and the original bytes of `msg`.

    The event id is derived from the source position, so a crash between dead-lettering and
    committing produces the same dead letter again, not a second one.
    """
    raw = msg.value() or b""
    key = msg.key()
    original_key = key.decode(errors="replace") if key else None
    payload = DeadLetter(
        source_topic=msg.topic() or "",
        partition=msg.partition() or 0,
        offset=max(msg.offset() or 0, 0),
        consumer_group=group,
        original_key=original_key,
        reason=reason[:2000],
        error_type=error_type,
        original_b64=base64.b64encode(raw).decode(),
        event_id=_event_id_of(raw),
    )
    return wrap(
        payload,
        key=original_key or "unknown",
        producer=producer,
        event_id=deterministic_event_id(
            "dead-letter", payload.source_topic, payload.partition, payload.offset, group
        ),
    )


def _event_id_of(raw: bytes) -> str | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    event_id = value.get("event_id") if isinstance(value, dict) else None
    return str(event_id) if event_id is not None else None
