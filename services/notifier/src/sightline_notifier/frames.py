"""The WebSocket protocol: frames the server pushes and operations a client sends.

Pure: no sockets, no Kafka. Every frame is encoded once, when it is built: to UTF-8 JSON, and
that to the WebSocket text frame that carries it (a server's frames are unmasked and, without
compression, the same bytes for every client). Fan-out then writes those bytes to each socket:
no per-client encoding. The protocol is documented in the service README and in
`schemas/notifier-frame.schema.json`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from websockets.frames import Frame, Opcode

from sightline_common.envelope import Message
from sightline_common.topics import Topic

ALL_STREAMS = "*"
MAX_STREAMS_PER_OP = 1000

# The frame `type` is named after the topic, so a client needs only one name per kind of event.
FRAME_TYPE_OF_TOPIC: dict[Topic, str] = {
    Topic.DETECTIONS: "detection",
    Topic.STREAMS: "stream.lifecycle",
    Topic.EXPOSURE: "exposure",
    Topic.SEGMENTS: "segment.ready",
    Topic.ALERTS: "alert",
}


class ProtocolError(ValueError):
    """A client frame that is not a valid operation; answered with an `error` frame."""


@dataclass(frozen=True)
class ServerFrame:
    """A frame the server pushes: its JSON text and the WebSocket frame that carries it."""

    text: bytes
    wire: bytes

    @classmethod
    def of(cls, text: bytes) -> ServerFrame:
        """Encode `text` as an unmasked, uncompressed WebSocket text frame, once for everyone."""
        return cls(text, Frame(Opcode.TEXT, text).serialize(mask=False))


@dataclass(frozen=True)
class Event:
    """One Kafka event as the frame every subscriber of its stream receives."""

    event_id: str
    stream_id: str
    frame: ServerFrame


@dataclass(frozen=True)
class Subscribe:
    """Start receiving `streams` (or every stream, `*`), optionally resuming after an event."""

    streams: frozenset[str]
    last_event_id: str | None = None


@dataclass(frozen=True)
class Unsubscribe:
    """Stop receiving `streams`."""

    streams: frozenset[str]


Operation = Subscribe | Unsubscribe


def event_from_message(frame_type: str, message: Message[Any]) -> Event:
    """The frame for a decoded Kafka message; its stream is the payload's, else the key."""
    envelope = message.envelope
    stream_id = str(getattr(message.payload, "stream_id", None) or envelope.key)
    event_id = str(envelope.event_id)
    frame = _dump(
        {
            "type": frame_type,
            "event_id": event_id,
            "stream_id": stream_id,
            "occurred_at": envelope.occurred_at.isoformat(),
            "payload": envelope.payload,
        }
    )
    return Event(event_id=event_id, stream_id=stream_id, frame=ServerFrame.of(frame))


def parse_operation(text: str | bytes) -> Operation:
    """Parse a client frame; raises `ProtocolError` saying what is wrong."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ProtocolError("frame is not JSON") from exc
    if not isinstance(data, dict):
        raise ProtocolError("frame must be a JSON object")
    op = data.get("op")
    streams = _streams(data.get("streams"))
    if op == "subscribe":
        last = data.get("last_event_id")
        if last is not None and (not isinstance(last, str) or not last):
            raise ProtocolError("last_event_id must be a non-empty string")
        return Subscribe(streams=streams, last_event_id=last)
    if op == "unsubscribe":
        return Unsubscribe(streams=streams)
    raise ProtocolError("op must be 'subscribe' or 'unsubscribe'")


def _streams(value: object) -> frozenset[str]:
    if not isinstance(value, list) or not value:
        raise ProtocolError("streams must be a non-empty list of stream ids (or ['*'])")
    if len(value) > MAX_STREAMS_PER_OP:
        raise ProtocolError(f"at most {MAX_STREAMS_PER_OP} streams per operation")
    if not all(isinstance(item, str) and item for item in value):
        raise ProtocolError("every stream id must be a non-empty string")
    return frozenset(value)


def subscribed_frame(streams: Iterable[str]) -> ServerFrame:
    """Acknowledges a subscribe: frames for these streams follow (replayed, then live)."""
    return _control({"type": "subscribed", "streams": sorted(streams)})


def unsubscribed_frame(streams: Iterable[str]) -> ServerFrame:
    """Acknowledges an unsubscribe: no further frames for these streams."""
    return _control({"type": "unsubscribed", "streams": sorted(streams)})


def resync_frame(streams: Iterable[str], reason: str) -> ServerFrame:
    """Tells the client that events it missed on `streams` cannot be replayed: refetch them."""
    return _control({"type": "resync", "streams": sorted(streams), "reason": reason})


def dropped_frame(count: int) -> ServerFrame:
    """Tells a slow client that its `count` oldest queued frames were discarded."""
    return _control({"type": "dropped", "count": count})


def error_frame(reason: str) -> ServerFrame:
    """Answers an invalid client frame; the connection stays open."""
    return _control({"type": "error", "reason": reason})


def _control(frame: dict[str, Any]) -> ServerFrame:
    return ServerFrame.of(_dump(frame))


def _dump(frame: dict[str, Any]) -> bytes:
    return json.dumps(frame, separators=(",", ":")).encode()
