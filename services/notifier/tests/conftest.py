"""Helpers for the notifier's integration tests: a running notifier, tokens, detections."""

from __future__ import annotations

import asyncio
import json
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from sightline_common.api_tokens import hash_token, publish_api_token
from sightline_common.envelope import wrap
from sightline_common.kafka import EventProducer
from sightline_common.messages import Detection
from sightline_common.topics import Topic
from sightline_devstack.ports import ephemeral_port
from sightline_testkit.plugin import Isolated
from sightline_testkit.processes import ChildProcess


@dataclass
class RunningNotifier:
    process: ChildProcess
    port: int

    def url(self, **query: str) -> str:
        suffix = f"?{urlencode(query)}" if query else ""
        return f"ws://127.0.0.1:{self.port}/ws{suffix}"

    def connect(
        self, token: str | None, *, last_event_id: str | None = None, **options: Any
    ) -> connect:
        """A client offering `token` as the dashboard does (the `bearer.<token>` subprotocol)."""
        query = {"last_event_id": last_event_id} if last_event_id else {}
        offered = [Subprotocol("sightline.v1")]
        if token is not None:
            offered.append(Subprotocol(f"bearer.{token}"))
        return connect(self.url(**query), subprotocols=offered, **options)

    def http(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


StartNotifier = Callable[..., RunningNotifier]


@pytest.fixture
def start_notifier(isolated: Isolated) -> StartNotifier:
    def start(**env: str) -> RunningNotifier:
        port = ephemeral_port()
        child = isolated.spawn("sightline_notifier", SIGHTLINE_HTTP_PORT=str(port), **env)
        child.wait_http_ok(f"http://127.0.0.1:{port}/readyz")
        return RunningNotifier(child, port)

    return start


def issue_token(
    isolated: Isolated,
    *,
    revoked: bool = False,
    token: str | None = None,
    expires_at: datetime | None = None,
) -> str:
    """Publish a token to `api-tokens` the way results-api does; returns the token."""
    token = token or uuid.uuid4().hex
    producer = EventProducer(isolated.bootstrap, "test-tokens")
    publish_api_token(
        producer,
        isolated.topics,
        token_id=f"tok-{hash_token(token)[:12]}",
        name="test",
        token_hash=hash_token(token),
        revoked=revoked,
        expires_at=expires_at,
        producer_id="test",
    )
    producer.flush()
    return token


@pytest.fixture
def token(isolated: Isolated) -> str:
    return issue_token(isolated)


def detection(stream_id: str, sequence: int, results: int = 1) -> Detection:
    return Detection.model_validate(
        {
            "stream_id": stream_id,
            "segment": {
                "sequence": sequence,
                "bucket": "b",
                "object_key": f"{stream_id}/{sequence}.ts",
                "media_start": float(sequence * 2),
                "duration": 2.0,
            },
            "run_id": "live",
            "detector": {"name": "logo", "version": "1", "config_hash": "x"},
            "executor": {"kind": "local", "latency_ms": 1.0},
            "frames": [
                {
                    "media_ts": float(sequence * 2),
                    "results": [
                        {"kind": "logo", "label": f"brand-{i}", "confidence": 0.9}
                        for i in range(results)
                    ],
                }
            ],
            "timings": {"total_ms": 1.0},
        }
    )


class DetectionWriter:
    """Produces detections to the test's isolated `detections` topic."""

    def __init__(self, isolated: Isolated) -> None:
        self._producer = EventProducer(isolated.bootstrap, "test-detections")
        self._topic = isolated.topics.name(Topic.DETECTIONS)

    def publish(self, stream_id: str, sequences: range, results: int = 1) -> list[str]:
        ids = []
        for sequence in sequences:
            envelope = wrap(detection(stream_id, sequence, results), key=stream_id, producer="t")
            self._producer.publish(self._topic, envelope)
            ids.append(str(envelope.event_id))
        self._producer.flush()
        return ids


@pytest.fixture
def writer(isolated: Isolated) -> DetectionWriter:
    return DetectionWriter(isolated)


async def next_frame(ws: ClientConnection, timeout: float = 30.0) -> dict[str, Any]:
    return dict(json.loads(await asyncio.wait_for(ws.recv(), timeout)))


async def subscribe(
    ws: ClientConnection, streams: list[str], last_event_id: str | None = None
) -> list[dict[str, Any]]:
    """Subscribe and wait for the acknowledgement; returns it and any frames before it."""
    op: dict[str, Any] = {"op": "subscribe", "streams": streams}
    if last_event_id is not None:
        op["last_event_id"] = last_event_id
    await ws.send(json.dumps(op))
    seen = []
    while True:
        frame = await next_frame(ws)
        seen.append(frame)
        if frame["type"] == "subscribed":
            return seen


async def collect(
    ws: ClientConnection, count: int, kind: str | None = "detection", timeout: float = 60.0
) -> list[dict[str, Any]]:
    """The next `count` frames of type `kind` (other frames are skipped; None: every frame)."""
    out: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while len(out) < count:
            frame = await next_frame(ws, timeout)
            if kind is None or frame["type"] == kind:
                out.append(frame)
    return out


async def read_accounted(
    ws: ClientConnection, total: int, timeout: float = 120.0
) -> tuple[list[str], int]:
    """Read until `total` detections are delivered or counted as dropped: (ids, dropped)."""
    delivered: list[str] = []
    dropped = 0
    async with asyncio.timeout(timeout):
        while len(delivered) + dropped < total:
            frame = await next_frame(ws)
            if frame["type"] == "dropped":
                dropped += frame["count"]
            elif frame["type"] == "detection":
                delivered.append(frame["event_id"])
    return delivered, dropped


def metric_value(notifier: RunningNotifier, name: str) -> float:
    """The notifier's current value of an unlabelled Prometheus counter or gauge."""
    with urllib.request.urlopen(notifier.http("/metrics")) as response:
        for line in response.read().decode().splitlines():
            metric, _, value = line.partition(" ")
            if metric == name:
                return float(value)
    return 0.0


async def wait_for_metric(notifier: RunningNotifier, name: str, timeout: float = 30.0) -> float:
    """Wait until the notifier's metric `name` is above zero; returns its value."""
    async with asyncio.timeout(timeout):
        while (value := await asyncio.to_thread(metric_value, notifier, name)) <= 0:
            await asyncio.sleep(0.2)
    return value


class Kit:
    """The helpers above, for test modules as `kit.<helper>`: a class rather than a namespace, so
    each helper keeps its signature for mypy."""

    next_frame = staticmethod(next_frame)
    subscribe = staticmethod(subscribe)
    collect = staticmethod(collect)
    read_accounted = staticmethod(read_accounted)
    issue_token = staticmethod(issue_token)
    free_port = staticmethod(ephemeral_port)
    metric_value = staticmethod(metric_value)
    wait_for_metric = staticmethod(wait_for_metric)


@pytest.fixture
def kit() -> Kit:
    return Kit()
