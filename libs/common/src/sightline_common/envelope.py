"""Wrapping payloads in envelopes, and checking bytes from the wire against the schemas.

Every message enters a service through `decode`, so a message that does not match its schema
is an `InvalidMessageError` (a dead letter), never a crash deeper in a handler.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from sightline_common.errors import InvalidMessageError, UnknownMessageTypeError
from sightline_common.messages import MESSAGE_TYPES, TYPE_OF_MODEL, Envelope

P = TypeVar("P", bound=BaseModel)

# Namespace for event ids derived from what a message is about, so re-producing the same fact
# (after a crash, a replay) yields the same id and sinks deduplicate it.
EVENT_NAMESPACE = uuid.UUID("6f1c3a52-5d1e-4f51-9c0b-3f1f5e2b7a10")


def deterministic_event_id(*parts: object) -> uuid.UUID:
    """A stable event id for the fact identified by `parts` (e.g. stream id and sequence)."""
    return uuid.uuid5(EVENT_NAMESPACE, "/".join(str(part) for part in parts))


@dataclass(frozen=True)
class Message(Generic[P]):
    """A decoded message: its envelope and its payload as the schema's model."""

    envelope: Envelope
    payload: P

    @property
    def event_id(self) -> str:
        """The envelope's event id as a string."""
        return str(self.envelope.event_id)


def wrap(
    payload: BaseModel,
    *,
    key: str,
    producer: str,
    event_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
) -> Envelope:
    """Put `payload` in an envelope; its type and version come from the message registry."""
    try:
        type_name, version = TYPE_OF_MODEL[type(payload)]
    except KeyError as exc:
        raise UnknownMessageTypeError(f"no message type for {type(payload).__name__}") from exc
    return Envelope(
        event_id=event_id or uuid.uuid4(),
        type=type_name,
        version=version,
        occurred_at=occurred_at or datetime.now(UTC),
        producer=producer,
        key=key,
        payload=payload.model_dump(mode="json"),
    )


def encode(envelope: Envelope) -> bytes:
    """The wire form of an envelope: UTF-8 JSON."""
    return envelope.model_dump_json().encode()


def decode(raw: bytes | None, expected: type[P] | None = None) -> Message[P]:
    """Parse and validate wire bytes into an envelope and a typed payload.

    Raises `InvalidMessageError` for bytes that are not a valid envelope or payload, and
    `UnknownMessageTypeError` for a type/version this code does not know, or one other than
    `expected` when given.
    """
    if not raw:
        raise InvalidMessageError("empty message value")
    try:
        envelope = Envelope.model_validate(json.loads(raw))
    except (ValueError, ValidationError) as exc:
        raise InvalidMessageError(f"not a valid envelope: {_short(exc)}") from exc
    known = MESSAGE_TYPES.get(envelope.type)
    if known is None:
        raise UnknownMessageTypeError(f"unknown message type {envelope.type!r}")
    version, model = known
    if envelope.version != version:
        raise UnknownMessageTypeError(
            f"unsupported version {envelope.version} of {envelope.type!r} (expected {version})"
        )
    if expected is not None and model is not expected:
        raise UnknownMessageTypeError(
            f"message type {envelope.type!r} is not {expected.__name__} on this topic"
        )
    try:
        payload = model.model_validate(envelope.payload)
    except ValidationError as exc:
        raise InvalidMessageError(f"payload of {envelope.type!r} invalid: {_short(exc)}") from exc
    return Message(envelope=envelope, payload=payload)  # type: ignore[arg-type]


def _short(exc: Exception, limit: int = 500) -> str:
    text = str(exc).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."
