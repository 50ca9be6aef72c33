"""Ingest latency: a segment listed in nginx-rtmp's playlist → its SegmentReady on Kafka.

Runs against the local platform (`make up`): a private nginx-rtmp whose callbacks reach a
private ingest process, isolated topics and bucket. For 1, 2, 4 and 8 concurrent 720p30 streams
(pre-encoded once and pushed with `-c copy`, so encoders do not eat the CPU being measured)
it watches every playlist at 20 Hz, notes when each segment is first listed (matched to its
SegmentReady by stream and order), and prints p50/p95 latency and whether ingest kept up:
every listed segment published and p95 below one segment duration (2 s). It also reads the
ingest process's CPU time (its own and its waited-for children's, from /proc) over each level:
CPU ms per segment and core-seconds per stream-second, ingest's share of the live budget.
Measured (nproc 2, load 14-17, 30 s per level; the CPU includes idle polling, so one stream
costs more per segment): an ffprobe run per segment 104 / 94.8 ms per segment at 1 / 4
streams (0.047 core-s per stream-s at 4); in-process PyAV probe 38.7 / 28.3; keyframes-only
stream-info pass 33.3 / 22.7 (0.011 core-s per stream-s at 4).

    .venv/bin/python services/ingest/bench/ingest_latency.py [--seconds 40] [--streams 1,2,4,8]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

from confluent_kafka import Consumer

from sightline_benchkit import BenchResults
from sightline_common.envelope import decode, wrap
from sightline_common.hls import PlaylistError, parse_media_playlist
from sightline_common.kafka import EventProducer
from sightline_common.messages import AnalysisPolicy, SegmentReady, Source, StreamConfig
from sightline_common.storage import ObjectStore
from sightline_common.topics import Topic, TopicNames
from sightline_devstack import ports
from sightline_devstack.platform import down, ensure_up
from sightline_devstack.settings import DevstackSettings
from sightline_ingest.keys import hash_key, new_key
from sightline_ingest.settings import IngestSettings
from sightline_testkit.kafka import create_topics, delete_topics
from sightline_testkit.processes import ChildProcess

SEGMENT_SECONDS = 2.0


def encode_source(folder: Path) -> Path:
    """A 20 s 720p30 clip with a 2 s GOP, encoded once."""
    clip = folder / "source.flv"
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
         "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "20",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
         "-g", "60", "-keyint_min", "60", "-sc_threshold", "0", "-c:a", "aac", str(clip)],
        check=True,
    )  # fmt: skip
    return clip


class Watch:
    """When each stream's n-th segment was listed, and when its SegmentReady (sequence n)
    arrived. One publish per stream, so listing order is sequence order."""

    def __init__(self) -> None:
        self.listed: dict[tuple[str, int], float] = {}
        self.arrived: dict[tuple[str, int], float] = {}
        self.stop = threading.Event()

    def watch_folders(self, folders: dict[str, Path]) -> None:
        seen: dict[str, list[str]] = {stream_id: [] for stream_id in folders}
        while not self.stop.is_set():
            for stream_id, folder in folders.items():
                try:
                    entries = parse_media_playlist((folder / "index.m3u8").read_text())
                except (FileNotFoundError, PlaylistError):
                    continue
                for entry in entries:
                    if entry.name not in seen[stream_id]:
                        self.listed[(stream_id, len(seen[stream_id]))] = time.time()
                        seen[stream_id].append(entry.name)
            self.stop.wait(0.05)

    def consume(self, bootstrap: str, topic: str) -> None:
        consumer = Consumer(
            {"bootstrap.servers": bootstrap, "group.id": f"bench-{uuid.uuid4().hex}",
             "auto.offset.reset": "earliest", "enable.auto.commit": False}
        )  # fmt: skip
        consumer.subscribe([topic])
        try:
            while not self.stop.is_set():
                msg = consumer.poll(0.2)
                if msg is None or msg.error():
                    continue
                payload = decode(msg.value(), SegmentReady).payload
                self.arrived.setdefault((payload.stream_id, payload.sequence), time.time())
        finally:
            consumer.close()


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and of its children it waited for (ffmpeg runs, if any)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return (utime + stime + cutime + cstime) / os.sysconf("SC_CLK_TCK")


def run_level(streams: int, seconds: float, ctx: dict[str, object]) -> dict[str, object]:
    """Push `streams` concurrent streams for `seconds`; returns the figures."""
    bootstrap = str(ctx["bootstrap"])
    names = ctx["topics"]
    assert isinstance(names, TopicNames)
    producer = EventProducer(bootstrap, "bench")
    keys: dict[str, str] = {}
    for n in range(streams):
        key = new_key()
        config = StreamConfig(
            stream_id=f"bench-{uuid.uuid4().hex[:8]}-{n}", name=f"bench {n}",
            key_hash=hash_key(key), source=Source.model_validate({"kind": "rtmp"}),
            policy=AnalysisPolicy.model_validate({"executors": ["local"]}), enabled=True,
        )  # fmt: skip
        producer.publish(
            names.name(Topic.STREAM_CONFIG), wrap(config, key=config.stream_id, producer="bench")
        )
        keys[config.stream_id] = key
    producer.flush()
    time.sleep(2)
    watch = Watch()
    hls = Path(str(ctx["hls_dir"]))
    threads = [
        threading.Thread(target=watch.watch_folders, args=({s: hls / k for s, k in keys.items()},)),
        threading.Thread(target=watch.consume, args=(bootstrap, names.name(Topic.SEGMENTS))),
    ]
    for thread in threads:
        thread.start()
    pid = int(str(ctx["pid"]))
    cpu_before = cpu_seconds(pid)
    pushers = [
        subprocess.Popen(
            [
                "ffmpeg",
                "-hide_banner",
                "-loglevel",
                "error",
                "-nostdin",
                "-re",
                "-stream_loop",
                "-1",
                "-i",
                str(ctx["clip"]),
                "-t",
                str(seconds),
                "-c",
                "copy",
                "-f",
                "flv",
                f"{ctx['rtmp_url']}/{key}",
            ],
        )
        for key in keys.values()
    ]
    for pusher in pushers:
        pusher.wait(seconds + 60)
    time.sleep(8)  # the last segments: closed at hang-up, then uploaded
    cpu = cpu_seconds(pid) - cpu_before
    watch.stop.set()
    for thread in threads:
        thread.join()
    latencies = sorted(
        watch.arrived[seg] - listed for seg, listed in watch.listed.items() if seg in watch.arrived
    )
    missed = len(watch.listed) - len(latencies)
    p50 = statistics.median(latencies) if latencies else float("nan")
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
    return {
        "streams": streams,
        "segments": len(watch.listed),
        "unpublished": missed,
        "p50_s": round(p50, 3),
        "p95_s": round(p95, 3),
        "keeps_up": missed == 0 and p95 < SEGMENT_SECONDS,
        "cpu_ms_per_segment": round(1000 * cpu / max(len(watch.listed), 1), 1),
        "cpu_s_per_stream_s": round(cpu / (streams * seconds), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--streams", default="1,2,4,8")
    args = parser.parse_args()
    platform = ensure_up(say=lambda _: None).as_env()
    folder = Path(tempfile.mkdtemp(prefix="sightline-ingest-bench-"))
    folder.chmod(0o755)
    callback_port = ports.ephemeral_port()
    nginx_settings = DevstackSettings.from_env().private_nginx(folder / "nginx", callback_port)
    nginx = ensure_up(nginx_settings, only=["nginx"], say=lambda _: None, install_packages=False)
    names = TopicNames(prefix=f"bench{uuid.uuid4().hex[:8]}.")
    bootstrap = platform["SIGHTLINE_KAFKA_BOOTSTRAP"]
    created = create_topics(bootstrap, names)
    env = {
        **platform,
        "SIGHTLINE_TOPIC_PREFIX": names.prefix,
        "SIGHTLINE_SEGMENTS_BUCKET": f"{names.prefix.rstrip('.')}-segments",
        "SIGHTLINE_HTTP_PORT": str(callback_port),
        "SIGHTLINE_HLS_DIR": str(nginx.hls_dir),
        "SIGHTLINE_RTMP_URL": nginx.rtmp_url,
        "SIGHTLINE_NGINX_HTTP_URL": nginx.nginx_http_url,
        "SIGHTLINE_INGEST_STATE_DIR": str(folder / "ingest"),
        "SIGHTLINE_LOG_LEVEL": "WARNING",
    }
    ingest = ChildProcess.python_module("sightline_ingest", [], env, folder / "ingest.log").start()
    try:
        ingest.wait_http_ok(f"http://127.0.0.1:{callback_port}/readyz", timeout=120)
        ctx: dict[str, object] = {
            "bootstrap": bootstrap, "topics": names, "hls_dir": nginx.hls_dir,
            "rtmp_url": nginx.rtmp_url, "clip": encode_source(folder), "pid": ingest.pid,
        }  # fmt: skip
        print(
            f"ingest latency (listed -> SegmentReady), nproc={os.cpu_count()}, "
            f"{args.seconds:g}s per level, 720p30 2s segments"
        )
        kept_up = 0
        levels = [run_level(int(n), args.seconds, ctx) for n in args.streams.split(",")]
        for figures in levels:
            print(figures, flush=True)
            if figures["keeps_up"]:
                kept_up = max(kept_up, int(str(figures["streams"])))
        print(
            f"ingest kept up with {kept_up} concurrent 720p30 stream(s) on {os.cpu_count()} cores"
        )
        record(levels, kept_up, args.seconds)
    finally:
        ingest.stop()
        down(nginx_settings, only=["nginx"], say=lambda _: None)
        delete_topics(bootstrap, created)
        remove_bucket(env)
        shutil.rmtree(folder, ignore_errors=True)


def record(levels: list[dict[str, object]], kept_up: int, seconds: float) -> None:
    """Write the results file: latency against concurrent streams, and the streams kept up."""
    results = BenchResults(
        "ingest_latency",
        "Ingest: segment listed -> SegmentReady on Kafka",
        source=__file__,
        params={"seconds_per_level": seconds, "segment_s": SEGMENT_SECONDS},
    )
    streams = [float(str(level["streams"])) for level in levels]
    curves = {q: [float(str(level[f"{q}_s"])) for level in levels] for q in ("p50", "p95")}
    results.add_series(
        "latency",
        streams,
        curves,
        x_label="concurrent 720p30 streams",
        y_label="seconds",
        label="Ingest latency: listed -> SegmentReady",
        target=SEGMENT_SECONDS,
    )
    for level in levels:
        results.figure(
            f"ingest.p95_s.{level['streams']}",
            float(str(level["p95_s"])),
            "s",
            label=f"p95 at {level['streams']} stream(s)",
            notes=f"{level['segments']} segments, {level['unpublished']} unpublished",
        )
    busiest = levels[-1]
    results.figure(
        "ingest.cpu_ms_per_segment",
        float(str(busiest["cpu_ms_per_segment"])),
        "ms",
        label=f"ingest CPU per 2 s 720p segment at {busiest['streams']} stream(s)",
        notes="process + waited-for children, /proc stat, whole level incl. idle polling",
    )
    results.figure(
        "ingest.cpu_s_per_stream_s",
        float(str(busiest["cpu_s_per_stream_s"])),
        "core-s/stream-s",
        label=f"ingest CPU per stream-second at {busiest['streams']} stream(s)",
    )
    results.figure(
        "ingest.streams_kept_up",
        kept_up,
        "streams",
        label="streams ingest keeps up with (all published, p95 < 2 s)",
    )
    results.write()


def remove_bucket(env: dict[str, str]) -> None:
    """Delete the bench's bucket and everything ingest stored in it."""
    settings = IngestSettings.model_validate(
        {k.removeprefix("SIGHTLINE_").lower(): v for k, v in env.items()}
    )
    client = ObjectStore.from_settings(settings).client
    bucket = settings.segments_bucket
    if client.bucket_exists(bucket):
        for obj in client.list_objects(bucket, recursive=True):
            if obj.object_name is not None:
                client.remove_object(bucket, obj.object_name)
        client.remove_bucket(bucket)


if __name__ == "__main__":
    main()
