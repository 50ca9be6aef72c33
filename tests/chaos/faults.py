"""The faults, one small class each: `inject(ctx)` does it, waits until it is over, and returns
what happened as a `FaultRecord` (wall-clock start and end, detail).

A fault never fails the run by raising: an injection that could not be done is recorded with
its error, and the checker fails the run for it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from sightline_common.envelope import wrap
from sightline_common.errors import StorageUnavailableError
from sightline_common.kafka import EventProducer
from sightline_common.messages import SegmentReady
from sightline_common.storage import ObjectStore
from sightline_common.topics import Topic, TopicNames

from .evidence import BadInput, FaultRecord
from .hls_watch import INJECTED_PREFIX, listed_names
from .publisher import Publisher
from .rig import ChaosRig, Say

# Topics whose consumers run a ConsumerLoop, which dead-letters what it cannot process, and
# `reanalysis`, whose consumers (the replay workers) do too when the stack runs one. The others
# are compacted tables every replica follows from the beginning (stream-config, logo-library,
# api-tokens), which log and skip a bad record by design.
DEAD_LETTERED_TOPICS = frozenset({Topic.STREAMS, Topic.SEGMENTS, Topic.DETECTIONS, Topic.EXPOSURE})
REPLAY_SUFFIX = "-replay"
CORRUPT_STREAM = "chaos-corrupt"
SESSION_TIMEOUT_S = 30.0  # the services' consumer session.timeout.ms (sightline_common)
DELIVERY_TIMEOUT_S = 300.0  # the services' producer delivery.timeout.ms (sightline_common)
BROKER_WAIT_S = 900.0
T = TypeVar("T")


def _set_event() -> threading.Event:
    event = threading.Event()
    event.set()
    return event


@dataclass
class Context:
    """What faults act on, and where they note the bad inputs they injected."""

    rig: ChaosRig
    publisher: Publisher
    stream_folder: Path
    producer: EventProducer
    store: ObjectStore
    topics: TopicNames
    say: Say
    bad_inputs: list[BadInput] = field(default_factory=list)
    # Clear while a fault has the broker down: faults that produce bad inputs wait for it (the
    # harness's own producer would give up on them after its delivery timeout).
    broker_up: threading.Event = field(default_factory=_set_event)

    @contextlib.contextmanager
    def broker_away(self) -> Iterator[None]:
        """Marks the broker down for the duration (and up again even if starting it failed)."""
        self.broker_up.clear()
        try:
            yield
        finally:
            self.broker_up.set()

    def produce_when_broker_up(self) -> None:
        """Wait until no fault has the broker down."""
        if not self.broker_up.wait(BROKER_WAIT_S):
            raise TimeoutError(f"the broker was down for more than {BROKER_WAIT_S:.0f}s")


class Fault(ABC):
    """One kind of fault."""

    name: str = ""
    # An outage takes a platform server away for a while; the other faults are over in seconds
    # and may strike during an outage (a service killed while MinIO is down).
    outage: bool = False

    def inject(self, ctx: Context) -> FaultRecord:
        """Do the fault and wait until it is over; errors become the record's `error`."""
        started = time.time()
        try:
            return self._inject(ctx)
        except Exception as exc:  # noqa: BLE001 - the report says what failed; the run goes on
            return FaultRecord(
                self.name, started, time.time(), error=f"{type(exc).__name__}: {exc}"
            )

    @abstractmethod
    def _inject(self, ctx: Context) -> FaultRecord: ...


class KillService(Fault):
    """SIGKILL a service's process group (as a node losing a pod would); the supervisor
    restarts it with back-off. The fault is the kill itself: it returns once the supervisor has
    started a new process; the run times the way back to ready from its health samples."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.name = f"kill {service}"

    def _inject(self, ctx: Context) -> FaultRecord:
        pid = _wait_for(lambda: ctx.rig.pid(self.service), 120, f"{self.service} to run")
        os.killpg(pid, signal.SIGKILL)
        killed = time.time()
        _wait_for(
            lambda: (ctx.rig.pid(self.service) or pid) != pid, 120, f"{self.service} restarted"
        )
        return FaultRecord(self.name, killed, killed, f"pid {pid}", service=self.service)


class StopServer(Fault):
    """Stop a platform server of the rig for `hold_s`, then start it and wait for health."""

    outage = True

    def __init__(self, server: str, hold_s: float = 30.0) -> None:
        self.server = server
        self.hold_s = hold_s
        self.name = f"stop {server} {hold_s:.0f}s"

    def _inject(self, ctx: Context) -> FaultRecord:
        started = time.time()
        with ctx.broker_away() if self.server == "kafka" else contextlib.nullcontext():
            ctx.rig.stop_server(self.server)
            stopped = time.time()
            time.sleep(max(0.0, self.hold_s - (time.time() - stopped)))
            ctx.rig.start_server(self.server)
        return FaultRecord(self.name, started, time.time(), f"down {time.time() - stopped:.0f}s")


class RestartKafka(Fault):
    """Restart the broker mid-stream (SIGTERM, then start again)."""

    name = "restart kafka"
    outage = True

    def _inject(self, ctx: Context) -> FaultRecord:
        started = time.time()
        with ctx.broker_away():
            ctx.rig.stop_server("kafka")
            ctx.rig.start_server("kafka")
        return FaultRecord(self.name, started, time.time(), "broker stopped and started")


class RestartKafkaThenSessionTimeout(Fault):
    """Restart the broker, and once it is back freeze a consumer service (SIGSTOP) for longer
    than its session timeout: the group evicts the member and must assign it again when it
    wakes (the stall seen once in chaos: evicted after the broker came back, never reassigned).
    The rig's liveness probe is patient enough to let it wake up by itself (see `rig.LIVENESS`)."""

    outage = True

    def __init__(self, service: str, hold_s: float = SESSION_TIMEOUT_S + 6) -> None:
        self.service = service
        self.hold_s = hold_s
        self.name = f"restart kafka, then freeze {service} {hold_s:.0f}s"

    def _inject(self, ctx: Context) -> FaultRecord:
        started = time.time()
        with ctx.broker_away():
            ctx.rig.stop_server("kafka")
            ctx.rig.start_server("kafka")
        pid = _wait_for(lambda: ctx.rig.pid(self.service), 60, f"{self.service} running")
        os.killpg(pid, signal.SIGSTOP)
        try:
            time.sleep(self.hold_s)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGCONT)
        replaced = (ctx.rig.pid(self.service) or pid) != pid
        detail = f"pid {pid} frozen; {'restarted by liveness' if replaced else 'woke up'}"
        return FaultRecord(self.name, started, time.time(), detail, service=self.service)


class PoisonOnDeadLetters(Fault):
    """Unprocessable records on `reanalysis.dlq`, which the materializer consumes (a refused
    run shows as failed): a dead-letter topic's own poison has no dead-letter topic, so it is
    skipped and committed, and materializing goes on (or the checker finds segments missing)."""

    name = "poison on reanalysis.dlq"

    def _inject(self, ctx: Context) -> FaultRecord:
        started = time.time()
        topic = ctx.topics.dlq(ctx.topics.name(Topic.REANALYSIS))
        ctx.produce_when_broker_up()
        for label, marker, value in _malformed(topic):
            ctx.producer.publish_raw(topic, b"chaos-poison", value)
            ctx.bad_inputs.append(BadInput(label, topic, marker, expect_dlq=False))
        ctx.producer.flush()
        return FaultRecord(self.name, started, time.time(), "2 messages")


class OversizedInput(Fault):
    """A record near the broker's size limit that is not JSON, on `segments`: its dead letter
    (the original base64'd, 1.33x) is too large to produce whole, so the original is cut, the
    dead letter lands and every consumer of the topic goes on."""

    name = "oversized malformed message"
    size = 900_000  # under message.max.bytes (1 MB); its base64 is not

    def _inject(self, ctx: Context) -> FaultRecord:
        started = time.time()
        topic = ctx.topics.name(Topic.SEGMENTS)
        marker = f"chaos-oversized-{uuid.uuid4().hex[:8]}".encode()
        ctx.produce_when_broker_up()
        ctx.producer.publish_raw(topic, b"chaos-oversized", marker + os.urandom(self.size))
        ctx.producer.flush()
        ctx.bad_inputs.append(BadInput(f"{self.size} bytes, not JSON", topic, marker))
        return FaultRecord(self.name, started, time.time(), f"{self.size} bytes")


class DisconnectPublisher(Fault):
    """Drop the RTMP publisher abruptly and reconnect it with the same key after `gap_s`."""

    def __init__(self, gap_s: float = 5.0) -> None:
        self.gap_s = gap_s
        self.name = f"disconnect publisher {gap_s:.0f}s"

    def _inject(self, ctx: Context) -> FaultRecord:
        dropped, reconnected = ctx.publisher.disconnect(self.gap_s)
        return FaultRecord(self.name, dropped, reconnected, "SIGKILL ffmpeg, then reconnect")


class CorruptSegment(Fault):
    """Two corrupt segments: a truncated file nginx "wrote" (listed in the stream's playlist)
    for ingest to dead-letter, and a garbage object announced on `segments` for the detectors
    to dead-letter."""

    name = "corrupt segments"

    def __init__(self) -> None:
        self._count = 0

    def _inject(self, ctx: Context) -> FaultRecord:
        started = time.time()
        self._count += 1
        file_name = self._into_hls_folder(ctx)
        event_id = self._announce_garbage(ctx)
        segments = ctx.topics.name(Topic.SEGMENTS)
        ctx.bad_inputs += [
            BadInput(f"truncated HLS file {file_name}", segments, file_name.encode()),
            BadInput(f"garbage object, SegmentReady {event_id[:8]}", segments, event_id.encode()),
        ]
        return FaultRecord(self.name, started, time.time(), file_name)

    def _into_hls_folder(self, ctx: Context, hold_s: float = 4.0) -> str:
        """Put a truncated copy of a real segment into the folder and keep it listed in the
        playlist for a few seconds (nginx rewrites the playlist every fragment)."""
        folder = ctx.stream_folder
        playlist = folder / "index.m3u8"
        real = [n for n in listed_names(playlist.read_text()) if not n.startswith(INJECTED_PREFIX)]
        data = (folder / real[-1]).read_bytes()
        name = f"{INJECTED_PREFIX}corrupt-{self._count}.ts"
        (folder / name).write_bytes(data[: len(data) // 2 + 1])  # ends mid-packet
        deadline = time.time() + hold_s
        while time.time() < deadline:
            text = playlist.read_text()
            if name not in text:
                tmp = folder / f".{name}.m3u8"
                tmp.write_text(text.rstrip("\n") + f"\n#EXTINF:2.000,\n{name}\n")
                tmp.replace(playlist)
            time.sleep(0.1)
        return name

    def _announce_garbage(self, ctx: Context) -> str:
        data = b"\x47\x00garbage" * 500
        key = f"streams/{CORRUPT_STREAM}/{self._count:08d}.ts"
        bucket = ctx.rig.env.segments_bucket
        # A short fault may strike during the MinIO outage: the object goes in once it is back.
        _wait_for(lambda: _put(ctx.store, bucket, key, data), 180, "MinIO to take the object")
        segment = SegmentReady(
            stream_id=CORRUPT_STREAM,
            sequence=self._count,
            bucket=bucket,
            object_key=key,
            playlist_key=f"streams/{CORRUPT_STREAM}/index.m3u8",
            media_start=2.0 * self._count,
            duration=2.0,
            wall_clock=datetime.now(UTC),
            size_bytes=len(data),
            sha256="0" * 64,
        )
        envelope = wrap(segment, key=CORRUPT_STREAM, producer="chaos")
        ctx.produce_when_broker_up()
        ctx.producer.publish(ctx.topics.name(Topic.SEGMENTS), envelope)
        ctx.producer.flush()
        return str(envelope.event_id)


class MalformedMessages(Fault):
    """On every topic: bytes that are not JSON, and an envelope whose payload fits no schema."""

    name = "malformed messages"

    def _inject(self, ctx: Context) -> FaultRecord:
        started = time.time()
        ctx.produce_when_broker_up()
        replaying = any(e.name.endswith(REPLAY_SUFFIX) for e in ctx.rig.entries)
        for topic in Topic:
            name = ctx.topics.name(topic)
            expect = topic in DEAD_LETTERED_TOPICS or (topic is Topic.REANALYSIS and replaying)
            for label, marker, value in _malformed(topic.value):
                ctx.producer.publish_raw(name, b"chaos-malformed", value)
                ctx.bad_inputs.append(BadInput(label, name, marker, expect_dlq=expect))
        ctx.producer.flush()
        return FaultRecord(self.name, started, time.time(), f"{2 * len(Topic)} messages")


def _put(store: ObjectStore, bucket: str, key: str, data: bytes) -> bool:
    """Store the object; False while MinIO is away."""
    try:
        store.put_bytes(bucket, key, data, "video/mp2t")
    except StorageUnavailableError:
        return False
    return True


def _malformed(where: str) -> list[tuple[str, bytes, bytes]]:
    """(label, marker, value): bytes that are not JSON, and an envelope whose payload fits no
    schema, each carrying a fresh marker."""
    marker = f"chaos-malformed-{where}-{uuid.uuid4().hex[:8]}"
    envelope = {
        "event_id": str(uuid.uuid4()),
        "type": "segment.ready",
        "version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "producer": "chaos",
        "key": "chaos-malformed",
        "payload": {"marker": marker},
    }
    return [
        (f"not JSON on {where}", marker.encode(), f"\x00{marker}: not json".encode()),
        (f"bad payload on {where}", marker.encode(), json.dumps(envelope).encode()),
    ]


def _wait_for(probe: Callable[[], T | None], timeout: float, what: str) -> T:
    """Poll `probe()` until it returns something truthy; returns it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.2)
    raise TimeoutError(f"waited {timeout:.0f}s for {what}")
