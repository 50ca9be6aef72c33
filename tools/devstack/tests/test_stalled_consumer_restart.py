"""A consumer stalled while its process stays up fails `/healthz` and the supervisor restarts it.

The acceptance of #16 end to end on the real broker: a member that owns nothing while its group
lags and no offset moves (here another member holds the only partition and never commits, as a
member left unassigned after a rebalance looks from inside) fails its liveness within twice its
session timeout, and the `make run` supervisor's liveness probe terminates and restarts it.
"""

from __future__ import annotations

import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from sightline_common.kafka.config import consumer_config
from sightline_devstack.ports import ephemeral_port
from sightline_devstack.supervisor import LivenessProbe, ServiceSpec, Supervisor

SESSION_MS = 6000  # the broker's group.min.session.timeout.ms

# The member under test: a real ConsumerLoop with its /healthz, as every service serves it.
CHILD = """
import http.server, sys, threading
from sightline_common.kafka import ConsumerLoop, EventProducer
from sightline_common.ops import ops_response
bootstrap, topic, group, port, starts = sys.argv[1:]
open(starts, "a").write("x")
loop = ConsumerLoop(
    bootstrap=bootstrap, group_id=group, client_id="stalled", topics={topic: None},
    producer=EventProducer(bootstrap, "stalled"), handler=lambda item: None,
    consumer_overrides={"session.timeout.ms": SESSION_MS},
)
class Ops(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        answer = ops_response(self.path, lambda: loop.ready, loop.alive) or (404, "", b"")
        status, _, body = answer
        self.send_response(status); self.end_headers(); self.wfile.write(body)
    def log_message(self, *args): pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), Ops)
server.allow_reuse_address = True
threading.Thread(target=server.serve_forever, daemon=True).start()
loop.run()
"""


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None  # not listening (yet, or restarting)


def _delete(admin: AdminClient, topic: str) -> None:
    admin.delete_topics([topic])


class Hog:
    """A member that holds the only partition, polls to stay in the group, never commits."""

    def __init__(self, bootstrap: str, group: str, topic: str) -> None:
        config = consumer_config(bootstrap, group, "hog")
        config["session.timeout.ms"] = SESSION_MS
        self._consumer = Consumer(config)
        self._consumer.subscribe([topic])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def start(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not self._consumer.assignment():
            assert time.monotonic() < deadline, "the hog never got the partition"
            self._consumer.poll(0.2)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.is_set():
            self._consumer.poll(0.2)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self._consumer.close()


@pytest.mark.integration
def test_a_stalled_consumer_fails_healthz_in_two_sessions_and_is_restarted(
    platform_env: dict[str, str],
    tmp_path: Path,
    on_teardown: Callable[[Callable[[], None]], None],
) -> None:
    bootstrap = platform_env["SIGHTLINE_KAFKA_BOOTSTRAP"]
    tag = uuid.uuid4().hex[:10]
    topic, group = f"t{tag}.stall", f"t{tag}.stall-group"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result()
    on_teardown(lambda: _delete(admin, topic))
    producer = Producer({"bootstrap.servers": bootstrap})
    for index in range(3):
        producer.produce(topic, key=b"k", value=f"work {index}".encode())
    assert producer.flush(10) == 0
    hog = Hog(bootstrap, group, topic)
    hog.start()
    on_teardown(hog.close)

    port, starts = ephemeral_port(), tmp_path / "starts"
    argv = repr([bootstrap, topic, group, str(port), str(starts)])
    code = CHILD.replace("sys.argv[1:]", argv).replace("SESSION_MS", str(SESSION_MS))
    stalled = ServiceSpec("stalled", [sys.executable, "-c", code], {}, tmp_path / "stalled.log")
    stalled.liveness_url = f"http://127.0.0.1:{port}/healthz"
    messages: list[str] = []
    # The start-up grace covers a slow start on a loaded machine; the stall comes later anyway.
    probe = LivenessProbe(initial_delay_s=10.0, period_s=0.5, failure_threshold=2)
    supervisor = Supervisor([stalled], messages.append, probe)
    supervisor.start_all()
    watcher = threading.Thread(target=supervisor.watch, kwargs={"interval": 0.1})
    watcher.start()
    try:
        deadline = time.monotonic() + 120
        while _status(stalled.liveness_url) != 200:  # up, alive, owning nothing
            assert time.monotonic() < deadline, (messages, stalled.log_path.read_text())
            time.sleep(0.1)
        up_at = time.monotonic()  # the loop turns from here on, unassigned
        while (code_now := _status(stalled.liveness_url)) != 503:
            assert code_now is not None, "restarted before /healthz was seen failing"
            assert time.monotonic() < deadline, "the stalled member still looks alive"
            time.sleep(0.1)
        # Two session timeouts, plus a loop turn and the group sample that decides it.
        assert time.monotonic() - up_at < 2 * SESSION_MS / 1000 + 3
        while len(starts.read_text()) < 2:
            assert time.monotonic() < deadline, messages
            time.sleep(0.1)
    finally:
        supervisor.stop()
        watcher.join(10)
        supervisor.shutdown(grace=10)
    assert any("failed 2 times; terminating it" in m for m in messages), messages
    assert supervisor.restarts()["stalled"] >= 1
