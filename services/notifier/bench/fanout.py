"""Benchmark: WebSocket delivery latency with many connected clients.

Starts a notifier process on its own topics against the running local platform, connects
`--clients` WebSocket clients all subscribed to one stream, produces `--events` detections at
`--rate` per second and measures, for every (event, client) pair, the time from just before the
event is handed to the Kafka producer to its arrival at the client. Prints p50/p95/p99/max, the
delivered share, `nproc` and the load average (the clients run on the same cores as the notifier
and the broker, so figures are per machine).

The clients run in a process of their own and are lean on purpose: websockets' sans-I/O protocol
over plain sockets, one selector, each frame timestamped when its bytes arrive and decoded only
after the run. A full asyncio client per connection costs more CPU per frame than the notifier
spends writing it, and with 1,000 of them on the same two cores the bench measured its own
clients' queue rather than the notifier.

Run: `.venv/bin/python services/notifier/bench/fanout.py [--clients 1000 --events 200 --rate 10]`
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

from sightline_benchkit import BenchResults
from sightline_common.api_tokens import hash_token, publish_api_token
from sightline_common.envelope import wrap
from sightline_common.kafka import EventProducer
from sightline_common.messages import Detection
from sightline_common.topics import Topic, TopicNames
from sightline_devstack.platform import ensure_up
from sightline_devstack.ports import ephemeral_port
from sightline_testkit.kafka import create_topics, delete_topics

STREAM = "bench-cam"
DRAIN_SECONDS = 60.0
P95_TARGET_MS = 100.0  # issue #23: detection produced -> received, 1,000 clients


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--rate", type=float, default=10.0, help="events per second")
    args = parser.parse_args()
    _raise_fd_limit(args.clients * 2 + 256)

    env = ensure_up(say=lambda *_a, **_k: None).as_env()
    bootstrap = env["SIGHTLINE_KAFKA_BOOTSTRAP"]
    topics = TopicNames(prefix=f"bench{uuid.uuid4().hex[:8]}.")
    created = create_topics(bootstrap, topics)
    port = ephemeral_port()
    log_dir = Path(tempfile.mkdtemp(prefix="notifier-bench-"))
    producer = EventProducer(bootstrap, "notifier-bench")
    token = _issue_token(producer, topics)
    child_env = {
        **os.environ,
        **env,
        "SIGHTLINE_TOPIC_PREFIX": topics.prefix,
        "SIGHTLINE_HTTP_PORT": str(port),
    }
    with (log_dir / "notifier.log").open("wb") as log:
        notifier = subprocess.Popen(
            [sys.executable, "-m", "sightline_notifier"], env=child_env, stdout=log, stderr=log
        )
    try:
        _wait_ready(port, notifier)
        outcome = _run(args, port, token, producer, topics)
        notifier_cpu = _cpu_seconds(notifier.pid)
    finally:
        notifier.terminate()
        notifier.wait(30)
        delete_topics(bootstrap, created)
    results = _report(args, outcome)
    print(
        f"cpu seconds: notifier={notifier_cpu:.1f} clients={outcome.cpu_seconds:.1f} "
        f"(load average at the end {_load()})"
    )
    results.figure("cpu.notifier_s", notifier_cpu, "CPU-s", label="notifier CPU for the run")
    results.figure(
        "cpu.clients_s", outcome.cpu_seconds, "CPU-s", label="bench clients CPU (same machine)"
    )
    results.write()


@dataclass
class Outcome:
    """What the clients' process measured."""

    latencies: list[float] = field(default_factory=list)
    dropped: int = 0
    cpu_seconds: float = 0.0
    load_during: str = ""


def _run(
    args: argparse.Namespace, port: int, token: str, producer: EventProducer, topics: TopicNames
) -> Outcome:
    parent, child = multiprocessing.get_context("spawn").Pipe()
    clients = multiprocessing.get_context("spawn").Process(
        target=_clients_process, args=(child, port, token, args.clients, args.events)
    )
    clients.start()
    if parent.recv() != "ready":
        raise RuntimeError("the bench clients did not connect")
    topic = topics.name(Topic.DETECTIONS)
    started = time.monotonic()
    for sequence in range(args.events):
        envelope = wrap(_detection(sequence), key=STREAM, producer="bench")
        producer.publish(topic, envelope)
        producer.flush()
        time.sleep(max(0.0, started + (sequence + 1) / args.rate - time.monotonic()))
    load_during = _load()
    outcome: Outcome = parent.recv()
    outcome.load_during = load_during
    clients.join(30)
    return outcome


def _clients_process(pipe: Connection, port: int, token: str, count: int, events: int) -> None:
    """Connect `count` clients, tell the parent, read until each has `events` detections."""
    _raise_fd_limit(count * 2 + 256)
    clients = [_Client.connect(port, token) for _ in range(count)]
    pipe.send("ready")
    selector = selectors.DefaultSelector()
    for client in clients:
        client.sock.setblocking(False)
        selector.register(client.sock, selectors.EVENT_READ, client)
    waiting = len(clients)
    deadline = time.monotonic() + events * 2 + DRAIN_SECONDS
    while waiting and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=1.0):
            client = key.data
            done_before = client.done(events)
            client.read()
            if client.done(events) and not done_before:
                waiting -= 1
    outcome = Outcome()
    for client in clients:
        client.sock.close()
        for arrived, payload in client.received:
            frame = json.loads(payload)
            if frame["type"] == "dropped":
                outcome.dropped += frame["count"]
            elif frame["type"] == "detection":
                sent = datetime.fromisoformat(frame["occurred_at"]).timestamp()
                outcome.latencies.append(arrived - sent)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    outcome.cpu_seconds = usage.ru_utime + usage.ru_stime
    pipe.send(outcome)


@dataclass
class _Client:
    """One WebSocket client: a socket and websockets' sans-I/O protocol, nothing else."""

    sock: socket.socket
    protocol: ClientProtocol
    received: list[tuple[float, bytes]] = field(default_factory=list)
    detections: int = 0

    @classmethod
    def connect(cls, port: int, token: str) -> _Client:
        protocol = ClientProtocol(
            parse_uri(f"ws://127.0.0.1:{port}/ws"),
            subprotocols=[Subprotocol("sightline.v1"), Subprotocol(f"bearer.{token}")],
        )
        protocol.send_request(protocol.connect())
        client = cls(socket.create_connection(("127.0.0.1", port)), protocol)
        client.flush()
        while protocol.state is State.CONNECTING:
            client.feed(client.sock.recv(65536), time.time())
        if protocol.state is not State.OPEN:
            raise RuntimeError(f"handshake refused: {protocol.handshake_exc}")
        protocol.send_text(json.dumps({"op": "subscribe", "streams": [STREAM]}).encode())
        client.flush()
        while not any(b'"subscribed"' in payload for _, payload in client.received):
            client.feed(client.sock.recv(65536), time.time())
        client.received.clear()
        return client

    def read(self) -> None:
        """Take what the socket has; a frame's time is when its last bytes arrived."""
        try:
            data = self.sock.recv(1 << 20)
        except BlockingIOError:
            return
        self.feed(data, time.time())
        self.flush()  # pongs

    def feed(self, data: bytes, arrived: float) -> None:
        self.protocol.receive_data(data)
        for event in self.protocol.events_received():
            if isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                self.received.append((arrived, bytes(event.data)))
                self.detections += b'"detection"' in event.data[:40]

    def flush(self) -> None:
        outgoing = b"".join(self.protocol.data_to_send())
        if outgoing:
            blocking = self.sock.getblocking()
            self.sock.setblocking(True)
            self.sock.sendall(outgoing)
            self.sock.setblocking(blocking)

    def done(self, events: int) -> bool:
        return self.detections >= events


def _report(args: argparse.Namespace, outcome: Outcome) -> BenchResults:
    expected = args.events * args.clients
    ms = sorted(latency * 1000 for latency in outcome.latencies)
    results = BenchResults(
        "ws_fanout",
        "WebSocket fan-out (notifier)",
        source=__file__,
        params={"clients": args.clients, "events": args.events, "rate_per_s": args.rate},
    )
    results.figure(
        "delivered.share", len(ms) / max(expected, 1), label="delivered share", target=1.0
    )
    cut = statistics.quantiles(ms, n=100) if len(ms) > 1 else ms * 99
    print(
        f"nproc={os.cpu_count()} clients={args.clients} events={args.events} rate={args.rate}/s "
        f"load average during the run {outcome.load_during}"
    )
    print(
        f"delivered {len(ms)}/{expected} ({100 * len(ms) / max(expected, 1):.1f}%), "
        f"dropped {outcome.dropped}"
    )
    if ms:
        print(
            f"produce->client latency ms: p50={cut[49]:.1f} p95={cut[94]:.1f} "
            f"p99={cut[98]:.1f} max={ms[-1]:.1f}"
        )
        where = f"{args.clients} clients, produce -> client"
        for name, value in (("p50", cut[49]), ("p99", cut[98])):
            results.figure(f"latency.{name}_ms", value, "ms", label=f"{where}: {name}")
        results.figure(
            "latency.p95_ms",
            cut[94],
            "ms",
            label=f"{where}: p95",
            target=P95_TARGET_MS,
            comparison="<=",
            notes=f"load average during the run {outcome.load_during}",
        )
    return results


def _detection(sequence: int) -> Detection:
    return Detection.model_validate(
        {
            "stream_id": STREAM,
            "segment": {
                "sequence": sequence,
                "bucket": "bench",
                "object_key": f"{STREAM}/{sequence}.ts",
                "media_start": sequence * 2.0,
                "duration": 2.0,
            },
            "run_id": "live",
            "detector": {"name": "logo", "version": "bench", "config_hash": "bench"},
            "executor": {"kind": "local", "latency_ms": 1.0},
            "frames": [
                {
                    "media_ts": sequence * 2.0,
                    "results": [{"kind": "logo", "label": "brand", "confidence": 0.9}],
                }
            ],
            "timings": {"total_ms": 1.0},
        }
    )


def _issue_token(producer: EventProducer, topics: TopicNames) -> str:
    token = uuid.uuid4().hex
    publish_api_token(
        producer,
        topics,
        token_id=f"bench-{uuid.uuid4().hex[:8]}",
        name="bench",
        token_hash=hash_token(token),
        producer_id="bench",
    )
    producer.flush()
    return token


def _wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"notifier exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise TimeoutError("notifier not ready")


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _raise_fd_limit(wanted: int) -> None:
    """Both this process and the notifier (which inherits it) hold one socket per client."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


if __name__ == "__main__":
    main()
