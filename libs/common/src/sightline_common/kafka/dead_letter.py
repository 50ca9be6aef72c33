"""Turning a message that cannot be processed into a record on `<topic>.dlq`.

A dead letter must always be producible, or the consumer could never move past the message:
the original travels base64-encoded (a third larger), so an original near the broker's size
limit would make a dead letter above it. Only the first `MAX_ORIGINAL_BYTES` of the original
are kept; its full size and SHA-256 say what was cut and identify it.
"""

from __future__ import annotations

import base64
import hashlib
import json

from confluent_kafka import Message as KafkaMessage

from sightline_common.envelope import deterministic_event_id, wrap
from sightline_common.messages import DeadLetter, Envelope
from sightline_common.topics import DLQ_SUFFIX

# Well below librdkafka's and the broker's default 1 MB message limit once base64-encoded
# (4/3) and wrapped in an envelope.
MAX_ORIGINAL_BYTES = 256 * 1024


def dead_letter_topic(topic: str) -> str | None:
    """Where the dead letters of `topic` go; None for a dead-letter topic itself.

    The rule for consumers of a dead-letter topic: a record they cannot process is logged and
    counted, then skipped. A `.dlq.dlq` topic would be one more topic nobody creates or reads,
    and the record is already kept on the dead-letter topic it came from.
    """
    if topic.endswith(DLQ_SUFFIX):
        return None
    return f"{topic}{DLQ_SUFFIX}"


def dead_letter_envelope(
    msg: KafkaMessage,
    *,
    group: str,
    reason: str,
    error_type: str,
    producer: str,
    max_original_bytes: int = MAX_ORIGINAL_BYTES,
) -> Envelope:
    """A dead-letter envelope carrying `reason` and the original bytes of `msg` (at most
    `max_original_bytes` of them; `original_truncated` says when they were cut).

    The event id is derived from the source position, so a crash between dead-lettering and
    committing produces the same dead letter again, not a second one.
    """
    raw = msg.value() or b""
    key = msg.key()
    original_key = key.decode(errors="replace") if key else None
    kept = raw[: max(max_original_bytes, 0)]
    payload = DeadLetter(
        source_topic=msg.topic() or "",
        partition=msg.partition() or 0,
        offset=max(msg.offset() or 0, 0),
        consumer_group=group,
        original_key=original_key[:1000] if original_key else None,
        reason=reason[:2000],
        error_type=error_type[:200],
        original_b64=base64.b64encode(kept).decode(),
        event_id=_event_id_of(raw),
        original_size=len(raw),
        original_sha256=hashlib.sha256(raw).hexdigest(),
        original_truncated=len(kept) < len(raw),
    )
    return wrap(
        payload,
        key=(original_key or "unknown")[:1000],
        producer=producer,
        event_id=deterministic_event_id(
            "dead-letter", payload.source_topic, payload.partition, payload.offset, group
        ),
    )


def _event_id_of(raw: bytes) -> str | None:
    if len(raw) > 4 * MAX_ORIGINAL_BYTES:
        return None  # not an envelope of ours; not worth parsing
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    event_id = value.get("event_id") if isinstance(value, dict) else None
    return str(event_id)[:200] if event_id is not None else None
