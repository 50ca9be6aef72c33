"""Benchmark: WebSocket delivery latency with many connected clients.

Starts a notifier process on its own topics against the running local platform, connects
`--clients` WebSocket clients all subscribed to one stream, produces `--events` detections at
`--rate` per second and measures, for every (event, client) pair, the time from just before the
event is handed to the Kafka producer to its arrival at the client. Prints p50/p95/p99/max, the
delivered share and `nproc` (the clients run in this process, on the same cores as the notifier
and the broker, so figures are per machine).

Run: `.venv/bin/python services/notifier/bench/fanout.py [--clients 1000 --events 200 --rate 10]`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime
from pathlib import Path

from websockets.asyncio.client import ClientConnection, connect

from sightline_benchkit import BenchResults
from sightline_common.api_tokens import hash_token, publish_api_token
from sightline_common.envelope import wrap
from sightline_common.kafka import EventProducer
from sightline_common.messages import Detection
from sightline_common.topics import Topic, TopicNames
from sightline_devstack.platform import ensure_up
from sightline_testkit.kafka import create_topics, delete_topics

STREAM = "bench-cam"


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
    port = _free_port()
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
        latencies, expected = asyncio.run(_run(args, port, token, producer, topics))
        notifier_cpu = _cpu_seconds(notifier.pid)
    finally:
        notifier.terminate()
        notifier.wait(30)
        delete_topics(bootstrap, created)
    results = _report(args, latencies, expected)
    own = resource.getrusage(resource.RUSAGE_SELF)
    print(
        f"cpu seconds: notifier={notifier_cpu:.1f} "
        f"bench clients+producer={own.ru_utime + own.ru_stime:.1f}"
    )
    results.figure("cpu.notifier_s", notifier_cpu, "CPU-s", label="notifier CPU for the run")
    results.figure(
        "cpu.clients_s",
        own.ru_utime + own.ru_stime,
        "CPU-s",
        label="bench clients + producer CPU (same machine)",
    )
    results.write()


async def _run(
    args: argparse.Namespace, port: int, token: str, producer: EventProducer, topics: TopicNames
) -> tuple[list[float], int]:
    url = f"ws://127.0.0.1:{port}/ws?token={token}"
    clients: list[ClientConnection] = []
    for start in range(0, args.clients, 100):
        batch = range(start, min(start + 100, args.clients))
        clients += await asyncio.gather(*(connect(url, max_queue=None) for _ in batch))
    await asyncio.gather(*(_subscribe(ws) for ws in clients))
    latencies: list[float] = []
    readers = [asyncio.create_task(_read(ws, args.events, latencies)) for ws in clients]
    topic = topics.name(Topic.DETECTIONS)
    loop = asyncio.get_running_loop()
    for sequence in range(args.events):
        envelope = wrap(_detection(sequence), key=STREAM, producer="bench")
        producer.publish(topic, envelope)
        await loop.run_in_executor(None, producer.flush)
        await asyncio.sleep(1 / args.rate)
    await asyncio.wait(readers, timeout=60)
    for ws in clients:
        await ws.close()
    return latencies, args.events * args.clients


async def _subscribe(ws: ClientConnection) -> None:
    await ws.send(json.dumps({"op": "subscribe", "streams": [STREAM]}))
    while json.loads(await ws.recv())["type"] != "subscribed":
        continue


async def _read(ws: ClientConnection, events: int, latencies: list[float]) -> None:
    seen = 0
    while seen < events:
        frame = json.loads(await ws.recv())
        if frame["type"] != "detection":
            continue
        sent = datetime.fromisoformat(frame["occurred_at"]).timestamp()
        latencies.append(time.time() - sent)
        seen += 1


def _report(args: argparse.Namespace, latencies: list[float], expected: int) -> BenchResults:
    ms = sorted(latency * 1000 for latency in latencies)
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
    print(f"nproc={os.cpu_count()} clients={args.clients} events={args.events} rate={args.rate}/s")
    print(f"delivered {len(ms)}/{expected} ({100 * len(ms) / max(expected, 1):.1f}%)")
    if ms:
        print(
            f"produce->client latency ms: p50={cut[49]:.1f} p95={cut[94]:.1f} "
            f"p99={cut[98]:.1f} max={ms[-1]:.1f}"
        )
        where = f"{args.clients} clients, produce -> client"
        for name, value in (("p50", cut[49]), ("p95", cut[94]), ("p99", cut[98])):
            results.figure(f"latency.{name}_ms", value, "ms", label=f"{where}: {name}")
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


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _raise_fd_limit(wanted: int) -> None:
    """Both this process and the notifier (which inherits it) hold one socket per client."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


if __name__ == "__main__":
    main()
