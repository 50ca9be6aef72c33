"""What the alerts acceptance tests share: a webhook receiver, the service as a process, and
input published straight to Kafka (no detector needed to drive the evaluator)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import cv2
from pydantic import BaseModel

from sightline_alerts.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, verify
from sightline_analysis.synthetic import make_logo
from sightline_common.envelope import decode, wrap
from sightline_common.kafka import EventProducer
from sightline_common.messages import AlertRule, Detection, SegmentReady
from sightline_common.topics import Topic
from sightline_devstack.ports import ephemeral_port
from sightline_testkit.kafka import read_all
from sightline_testkit.messages import detection as detection_message
from sightline_testkit.plugin import Isolated
from sightline_testkit.processes import ChildProcess

SECRET = "test-webhook-secret"
T = TypeVar("T")


class Receiver:
    """A local HTTP webhook receiver that answers 500 to its first `fail_first` requests (or
    to all with `fail_always`) and keeps every request it got."""

    def __init__(self, fail_first: int = 0, *, fail_always: bool = False) -> None:
        self.fail_first = fail_first
        self.fail_always = fail_always
        self.requests: list[tuple[dict[str, str], bytes, int]] = []
        self._lock = threading.Lock()
        receiver = self

        class _Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    failing = receiver.fail_always or len(receiver.requests) < receiver.fail_first
                    status = 500 if failing else 200
                    receiver.requests.append((dict(self.headers), body, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def accepted(self, secret: bytes = SECRET.encode()) -> list[dict[str, Any]]:
        """Envelopes answered with 200, after checking every request's signature with `secret`
        (the deployment's, which rules published without a key version sign with)."""
        with self._lock:
            requests = list(self.requests)
        out = []
        for headers, body, status in requests:
            assert verify(secret, headers[SIGNATURE_HEADER], body), "bad signature"
            envelope = json.loads(body)
            assert headers[EVENT_ID_HEADER] == envelope["event_id"]
            if status == 200:
                out.append(envelope)
        return out


def start_alerts(isolated: Isolated, **env: str) -> tuple[ChildProcess, str]:
    """The alerts service on a free port, ready (tables read, both groups joined)."""
    port = ephemeral_port()
    settings = {
        "SIGHTLINE_HTTP_PORT": str(port),
        "SIGHTLINE_WEBHOOK_SECRET": SECRET,
        "SIGHTLINE_WEBHOOK_ALLOW_PRIVATE": "true",
        "SIGHTLINE_WEBHOOK_BACKOFF_S": "0.2",
        "SIGHTLINE_WEBHOOK_ATTEMPTS": "5",
        "SIGHTLINE_TICK_S": "0.5",
        **env,
    }
    process = isolated.spawn("sightline_alerts", **settings)
    base = f"http://127.0.0.1:{port}"
    process.wait_http_ok(f"{base}/readyz", timeout=90)
    return process, base


def logo_jpeg() -> bytes:
    """A synthetic ACME logo to upload to the library (a rule's brands must be in it)."""
    ok, data = cv2.imencode(".jpg", make_logo("ACME", seed=1))
    assert ok
    return bytes(data.tobytes())


def start_results_api(isolated: Isolated) -> tuple[str, str]:
    """results-api serving on a free port (webhooks to this host allowed, the deployment's
    webhook secret shared with the alerts service), and a write token for it."""
    port = ephemeral_port()
    process = isolated.spawn(
        "sightline_results_api",
        "serve",
        SIGHTLINE_HTTP_PORT=str(port),
        SIGHTLINE_WEBHOOK_ALLOW_PRIVATE="true",
        SIGHTLINE_WEBHOOK_SECRET=SECRET,  # the deployment's, shared with the alerts service
        SIGHTLINE_RUN_STORAGE_WORKER="false",
    )
    base = f"http://127.0.0.1:{port}"
    process.wait_http_ok(f"{base}/readyz", timeout=90)
    done = isolated.run("sightline_results_api.cli", "token", "create", "--name", "alerts-e2e")
    assert done.returncode == 0, done.stderr
    return base, done.stdout.strip().splitlines()[-1]


class Feed:
    """Publishes rules, detections and segments as the real producers would."""

    def __init__(self, isolated: Isolated) -> None:
        self.isolated = isolated
        self.producer = EventProducer(isolated.bootstrap, "alerts-test")

    def publish(
        self, topic: Topic, payload: BaseModel, key: str, occurred_at: datetime | None = None
    ) -> None:
        envelope = wrap(payload, key=key, producer="alerts-test", occurred_at=occurred_at)
        self.producer.publish(self.isolated.topics.name(topic), envelope)
        self.producer.flush()

    def rule(self, **fields: Any) -> AlertRule:
        base = {"name": "acme on screen", "kind": "appearance", "stream_id": "cam"}
        rule = AlertRule.model_validate({**base, **fields})
        self.publish(Topic.ALERT_RULES, rule, rule.rule_id)
        return rule

    def segments_with_brand(
        self, first: int, last: int, visible: Callable[[float], bool], box: dict[str, float]
    ) -> None:
        """Detections of 2-s segments `first..last` (inclusive) sampled at 2 fps."""
        for seq in range(first, last + 1):
            start = seq * 2.0
            frames = []
            for step in range(4):
                t = start + step * 0.5
                results = []
                if visible(t):
                    results.append({"kind": "logo", "label": "acme", "confidence": 0.9, "box": box})
                frames.append({"media_ts": t, "results": results})
            self.publish(Topic.DETECTIONS, detection(seq, frames), "cam")

    def publish_detection(self, payload: Detection) -> None:
        self.publish(Topic.DETECTIONS, payload, payload.stream_id)

    def segment(self, seq: int, stream_id: str = "cam") -> None:
        payload = SegmentReady.model_validate(
            {
                "stream_id": stream_id,
                "sequence": seq,
                "bucket": "b",
                "object_key": f"{stream_id}/{seq}.ts",
                "playlist_key": f"{stream_id}/index.m3u8",
                "media_start": seq * 2.0,
                "duration": 2.0,
                "wall_clock": datetime.now(UTC).isoformat(),
                "size_bytes": 1,
                "sha256": "0" * 64,
            }
        )
        self.publish(Topic.SEGMENTS, payload, stream_id)


def detection(seq: int, frames: list[dict[str, Any]], stream_id: str = "cam") -> Detection:
    return detection_message(stream_id, seq, frames)


def messages(isolated: Isolated, topic: Topic | str) -> list[Any]:
    """Decoded messages on a topic (a Topic, or an on-broker name such as a .dlq)."""
    name = isolated.topics.name(topic) if isinstance(topic, Topic) else topic
    return [decode(m.value()) for m in read_all(isolated.bootstrap, name) if m.value()]


def eventually(probe: Callable[[], T | None], timeout: float = 90.0, what: str = "") -> T:
    """Poll `probe` until it answers something truthy.

    The default bound only caps a hang: what the tests wait for passes through a service
    process, Kafka and a webhook receiver on a CI machine running four test workers on two
    cores, where 30 s (the old default, as long as a consumer's session timeout) was tight."""
    deadline = time.monotonic() + timeout
    while True:
        answer = probe()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {timeout}s: {what}")
        time.sleep(0.3)


@contextmanager
def receiver(fail_first: int = 0, *, fail_always: bool = False) -> Iterator[Receiver]:
    """A running Receiver, shut down afterwards."""
    with Receiver(fail_first, fail_always=fail_always) as running:
        yield running
