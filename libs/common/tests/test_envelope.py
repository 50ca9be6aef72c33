"""Envelopes: what a valid message is, and that anything else is a clear InvalidMessageError."""

from __future__ import annotations

import json
import uuid

import pytest
from pydantic import BaseModel

from sightline_common.envelope import Message, decode, deterministic_event_id, encode, wrap
from sightline_common.errors import InvalidMessageError, UnknownMessageTypeError
from sightline_common.messages import SegmentReady, SourceKind, StreamLifecycle, StreamStatus


def lifecycle() -> StreamLifecycle:
    return StreamLifecycle(stream_id="s1", status=StreamStatus.started, source_kind=SourceKind.rtmp)


def test_round_trip_keeps_type_version_and_payload() -> None:
    envelope = wrap(lifecycle(), key="s1", producer="test")
    message: Message[BaseModel] = decode(encode(envelope))
    assert message.envelope.type == "stream.lifecycle"
    assert message.envelope.version == 1
    assert message.payload == lifecycle()
    assert message.event_id == str(envelope.event_id)


def test_expected_type_mismatch_is_rejected() -> None:
    raw = encode(wrap(lifecycle(), key="s1", producer="test"))
    with pytest.raises(UnknownMessageTypeError, match="not SegmentReady"):
        decode(raw, SegmentReady)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"not json", "not a valid envelope"),
        (b'{"event_id": "x"}', "not a valid envelope"),
    ],
)
def test_garbage_is_an_invalid_message(raw: bytes, reason: str) -> None:
    with pytest.raises(InvalidMessageError, match=reason):
        decode(raw)


def test_payload_not_matching_its_schema_is_invalid() -> None:
    envelope = json.loads(encode(wrap(lifecycle(), key="s1", producer="test")))
    envelope["payload"]["status"] = "exploded"
    with pytest.raises(InvalidMessageError, match=r"payload of 'stream\.lifecycle' invalid"):
        decode(json.dumps(envelope).encode())


def test_unknown_type_and_version_are_rejected() -> None:
    envelope = json.loads(encode(wrap(lifecycle(), key="s1", producer="test")))
    with pytest.raises(UnknownMessageTypeError, match="unsupported version 9"):
        decode(json.dumps({**envelope, "version": 9}).encode())
    with pytest.raises(UnknownMessageTypeError, match="unknown message type"):
        decode(json.dumps({**envelope, "type": "nope"}).encode())


def test_deterministic_ids_are_stable_and_distinct() -> None:
    assert deterministic_event_id("s1", 4) == deterministic_event_id("s1", 4)
    assert deterministic_event_id("s1", 4) != deterministic_event_id("s1", 5)
    assert isinstance(deterministic_event_id("x"), uuid.UUID)
