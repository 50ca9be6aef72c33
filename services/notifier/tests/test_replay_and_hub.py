"""The pure fan-out logic: replay buffer bounds, resume gaps, subscriptions, client outboxes."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import BaseModel
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.uri import parse_uri

from sightline_common.api_tokens import hash_token
from sightline_common.envelope import Message, decode, encode, wrap
from sightline_common.messages import ApiToken, SourceKind, StreamLifecycle, StreamStatus
from sightline_common.messages.schema.notifier_frame_schema import EventFrame, NotifierFrame
from sightline_notifier import frames
from sightline_notifier.client_queue import ClientQueue
from sightline_notifier.frames import (
    Event,
    ProtocolError,
    ServerFrame,
    Subscribe,
    Unsubscribe,
    parse_operation,
)
from sightline_notifier.hub import Hub
from sightline_notifier.replay import ReplayBuffer
from sightline_notifier.tokens import TokenRegistry


def event(stream: str, n: int) -> Event:
    return Event(
        event_id=f"{stream}-{n}", stream_id=stream, frame=ServerFrame.of(f"{stream}:{n}".encode())
    )


class Recorder:
    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def deliver(self, frame: ServerFrame) -> None:
        self.frames.append(frame.text)

    def events(self) -> list[str]:
        return [f.decode() for f in self.frames if not f.startswith(b"{")]

    def controls(self) -> list[dict[str, object]]:
        return [json.loads(f) for f in self.frames if f.startswith(b"{")]


def test_resume_replays_events_after_the_last_one_seen_across_streams_in_arrival_order() -> None:
    buffer = ReplayBuffer(per_stream=10, max_streams=10)
    for n in range(3):
        buffer.append(event("a", n))
        buffer.append(event("b", n))
    replay = buffer.since("a-1", ["a", "b"])
    assert [e.frame.text for e in replay.events] == [b"b:1", b"a:2", b"b:2"]
    assert not replay.gaps


def test_resume_after_an_evicted_event_reports_a_gap() -> None:
    buffer = ReplayBuffer(per_stream=2, max_streams=10)
    for n in range(5):
        buffer.append(event("a", n))
    assert buffer.since("a-0", ["a"]).gaps == {"a"}
    assert buffer.since("a-3", ["a"]).events == [event("a", 4)]


def test_a_stream_that_lost_events_after_the_resume_point_is_a_gap() -> None:
    buffer = ReplayBuffer(per_stream=2, max_streams=10)
    buffer.append(event("a", 0))
    for n in range(4):
        buffer.append(event("b", n))
    replay = buffer.since("a-0", ["a", "b"])
    assert replay.gaps == {"b"}


def test_the_least_recently_active_stream_is_forgotten_beyond_max_streams() -> None:
    buffer = ReplayBuffer(per_stream=5, max_streams=2)
    buffer.append(event("a", 0))
    buffer.append(event("b", 0))
    buffer.append(event("c", 0))
    assert buffer.since("a-0", ["a"]).gaps == {"a"}
    assert buffer.since("b-0", ["c"]).events == [event("c", 0)]
    assert len(buffer) == 2


def test_hub_delivers_only_subscribed_streams_once_each() -> None:
    hub = Hub(ReplayBuffer(10, 10))
    alice, bob = Recorder(), Recorder()
    hub.subscribe(alice, frozenset({"a"}), None)
    hub.subscribe(bob, frozenset({"*", "a"}), None)
    hub.publish(event("a", 0))
    hub.publish(event("b", 0))
    assert alice.events() == ["a:0"]
    assert bob.events() == ["a:0", "b:0"]
    hub.unsubscribe(alice, ["a"])
    hub.publish(event("a", 1))
    assert alice.events() == ["a:0"]
    assert not hub.has_subscriptions(alice)


def test_subscribe_with_last_event_id_replays_then_goes_live_and_unknown_ids_resync() -> None:
    hub = Hub(ReplayBuffer(10, 10))
    for n in range(3):
        hub.publish(event("a", n))
    client = Recorder()
    hub.subscribe(client, frozenset({"a"}), "a-0")
    hub.publish(event("a", 3))
    assert client.events() == ["a:1", "a:2", "a:3"]
    assert client.controls()[0] == {"type": "subscribed", "streams": ["a"]}

    late = Recorder()
    hub.subscribe(late, frozenset({"a"}), "never-seen")
    assert [c["type"] for c in late.controls()] == ["subscribed", "resync"]
    assert late.events() == []


def test_a_burst_of_any_size_to_a_client_that_keeps_reading_is_kept_whole() -> None:
    async def scenario() -> list[bytes]:
        queue = ClientQueue(stalled_capacity=3, max_bytes=1_000_000)
        assert [queue.offer(b"%d" % n) for n in range(10_000)] == [0] * 10_000
        return [await queue.next_frame() for _ in range(10_000)]

    assert asyncio.run(scenario()) == [b"%d" % n for n in range(10_000)]


def test_a_stalled_client_keeps_its_newest_frames_and_is_told_how_many_it_lost() -> None:
    async def scenario() -> list[bytes]:
        queue = ClientQueue(stalled_capacity=3, max_bytes=1_000_000)
        for n in range(5):
            queue.offer(str(n).encode())
        assert queue.stalled() == 2
        assert queue.offer(b"5") == 1  # still slow: the oldest kept frame makes room
        out = [await queue.next_frame() for _ in range(4)]
        queue.drained()  # it reads again: a new burst is kept whole
        assert [queue.offer(str(n).encode()) for n in range(6, 11)] == [0] * 5
        return out + [await queue.next_frame() for _ in range(5)]

    assert asyncio.run(scenario()) == [
        frames.dropped_frame(3).wire,
        b"3",
        b"4",
        b"5",
        *(str(n).encode() for n in range(6, 11)),
    ]


def test_a_frame_is_encoded_once_as_the_websocket_text_frame_a_client_reads() -> None:
    client = ClientProtocol(parse_uri("ws://localhost/ws"), state=State.OPEN)
    text = json.dumps({"type": "detection", "payload": "x" * 70_000}).encode()
    for frame in (frames.error_frame("bad"), ServerFrame.of(text)):
        client.receive_data(frame.wire)
        [received] = client.events_received()
        assert isinstance(received, Frame)
        assert (received.opcode, received.data) == (Opcode.TEXT, frame.text)


def test_more_bytes_waiting_than_the_bound_makes_a_client_slow() -> None:
    queue = ClientQueue(stalled_capacity=2, max_bytes=12)
    assert [queue.offer(b"abcd") for _ in range(3)] == [0, 0, 0]
    assert not queue.slow
    assert queue.offer(b"abcd") == 2  # 16 bytes > 12: keep the newest 2
    assert queue.slow
    assert queue.queued_bytes == 8


def test_operations_are_parsed_and_bad_ones_explained() -> None:
    assert parse_operation('{"op":"subscribe","streams":["a"],"last_event_id":"e"}') == Subscribe(
        frozenset({"a"}), "e"
    )
    assert parse_operation('{"op":"unsubscribe","streams":["*"]}') == Unsubscribe(frozenset("*"))
    for bad in ("nope", "[]", '{"op":"subscribe"}', '{"op":"x","streams":["a"]}'):
        with pytest.raises(ProtocolError):
            parse_operation(bad)


def test_tokens_are_accepted_until_revoked() -> None:
    registry = TokenRegistry()
    record = ApiToken(token_id="t1", name="dash", token_hash=hash_token("secret"))
    registry.apply(record)
    assert registry.accepts("secret")
    assert not registry.accepts("other")
    assert not registry.accepts(None)
    registry.apply(record.model_copy(update={"revoked": True}))
    assert not registry.accepts("secret")
    registry.apply(record)
    registry.forget("t1")
    assert not registry.accepts("secret")


def test_tokens_with_an_expiry_are_refused_from_it_on() -> None:
    registry = TokenRegistry()
    ends = datetime(2030, 1, 1, tzinfo=UTC)
    record = ApiToken(token_id="t1", name="wall", token_hash=hash_token("s"), expires_at=ends)
    registry.apply(record)
    assert registry.accepts("s", now=ends - timedelta(seconds=1))
    assert not registry.accepts("s", now=ends)
    registry.apply(record.model_copy(update={"expires_at": None}))  # reissued without one
    assert registry.accepts("s", now=ends + timedelta(days=1))


def test_every_frame_the_server_builds_matches_the_published_frame_schema() -> None:
    lifecycle = StreamLifecycle(
        stream_id="cam-1", status=StreamStatus.started, source_kind=SourceKind.test
    )
    message: Message[BaseModel] = decode(encode(wrap(lifecycle, key="cam-1", producer="t")))
    built = [
        frames.event_from_message("stream.lifecycle", message).frame.text,
        frames.subscribed_frame(["cam-1"]).text,
        frames.unsubscribed_frame(["*"]).text,
        frames.resync_frame(["cam-1"], "too old").text,
        frames.dropped_frame(3).text,
        frames.error_frame("bad").text,
    ]
    for text in built:
        NotifierFrame.model_validate_json(text)
    assert EventFrame.model_validate_json(built[0]).stream_id == "cam-1"
