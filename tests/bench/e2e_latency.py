"""End-to-end latency: a segment listed by nginx-rtmp → its detection on a WebSocket.

Runs the real pipeline on a private slice of the local platform (see `_pipeline.py`): ffmpeg
pushes a synthetic 720p30 clip with a drifting logo over RTMP (encoded once, pushed with
`-c copy` so the encoder does not eat the CPU being measured), nginx-rtmp cuts 2 s HLS segments,
ingest stores them and publishes SegmentReady, detector-logo analyses them, notifier pushes the
detections to a WebSocket client here. For 1 stream and for N concurrent streams ("at
capacity": by default the detector-logo capacity the analysis bench measured, at least 2) it
reports p50/p95 of (detection on the WebSocket) - (segment first listed in the playlist, polled
at 20 Hz), the same from the segment file's completion (its mtime, carried in SegmentReady),
where the time goes per stage, and the CPU each service used.

    .venv/bin/python tests/bench/e2e_latency.py [--seconds 75] [--streams 1,auto] [--detectors N]
        [--visual N]

Cores are reported per service process, over the push only and over the seconds in which
segments waited for a detector (a detector well under a core beside a queue is idle for a
reason other than CPU), with the mean number of segments waiting and CPU per stream-second.

`make bench` takes the push time from BENCH_E2E_SECONDS (longer runs: BENCH_E2E_SECONDS=300).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from _pipeline import Pipeline, Stream
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from sightline_analysis.synthetic import Placement, background, composite, make_logo, write_flv
from sightline_benchkit import BenchResults, load, results_dir, wait_for_count, wait_with_progress
from sightline_common.hls import PlaylistError, parse_media_playlist

SEGMENT_S = 2.0
FPS = 30
CLIP_S = 10
DRAIN_S = 90.0
STAGES = ("ingest", "queue", "fetch", "decode", "analyze", "engine other", "deliver")


@dataclass
class Timeline:
    """What was seen when, per (stream id, segment sequence)."""

    detectors: tuple[str, ...] = ("logo",)
    listed: dict[tuple[str, int], float] = field(default_factory=dict)
    ready: dict[tuple[str, int], dict[str, float]] = field(default_factory=dict)
    # A segment is detected once every detector's Detection arrived: the last one's figures,
    # with the logo detector's result count.
    detected: dict[tuple[str, int], dict[str, float]] = field(default_factory=dict)
    partial: dict[tuple[str, int], dict[str, dict[str, float]]] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)
    subscribed: threading.Event = field(default_factory=threading.Event)

    def watch_playlists(self, streams: list[Stream]) -> None:
        """Note when each segment is first listed; one publish per stream, so the n-th listed
        segment is sequence n."""
        seen: dict[str, set[str]] = {s.stream_id: set() for s in streams}
        while not self.stop.is_set():
            for stream in streams:
                try:
                    text = (stream.hls_folder / "index.m3u8").read_text()
                    entries = parse_media_playlist(text)
                except (FileNotFoundError, PlaylistError):
                    continue
                for entry in entries:
                    if entry.name not in seen[stream.stream_id]:
                        key = (stream.stream_id, len(seen[stream.stream_id]))
                        self.listed[key] = time.time()
                        seen[stream.stream_id].add(entry.name)
            self.stop.wait(0.05)

    async def listen(self, url: str, protocols: list[Subprotocol]) -> None:
        """Subscribe to every stream and timestamp each segment.ready and detection frame."""
        async with connect(url, subprotocols=protocols, max_queue=None) as ws:
            await ws.send(json.dumps({"op": "subscribe", "streams": ["*"]}))
            while not self.stop.is_set():
                try:
                    raw = await asyncio.wait_for(ws.recv(), 0.5)
                except TimeoutError:
                    continue
                self._frame(json.loads(raw), time.time())

    def _frame(self, frame: dict[str, Any], arrived: float) -> None:
        kind, payload = frame.get("type"), frame.get("payload", {})
        if kind == "subscribed":
            self.subscribed.set()
        elif kind == "segment.ready":
            self.ready[(payload["stream_id"], payload["sequence"])] = {
                "arrived": arrived,
                "occurred": _ts(frame["occurred_at"]),
                "file_complete": _ts(payload["wall_clock"]),
            }
        elif kind == "detection" and payload.get("run_id") == "live":
            timings = payload.get("timings", {})
            key = (payload["stream_id"], payload["segment"]["sequence"])
            got = self.partial.setdefault(key, {})
            got.setdefault(
                payload["detector"]["name"],
                {
                    "arrived": arrived,
                    "occurred": _ts(frame["occurred_at"]),
                    "results": float(sum(len(f["results"]) for f in payload["frames"])),
                    **{
                        k: timings.get(k, 0.0) / 1000
                        for k in ("fetch_ms", "decode_ms", "analyze_ms", "total_ms")
                    },
                },
            )
            if key not in self.detected and set(self.detectors) <= set(got):
                last = max(got.values(), key=lambda d: d["arrived"])
                self.detected[key] = {**last, "results": got["logo"]["results"]}


def _ts(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


@dataclass
class CpuSampler:
    """Each service process's CPU seconds and the machine's busy seconds, once a second, so
    cores used can be told apart for moments when segments waited for a detector and for
    moments when none did (a whole-run average hides a detector idle beside a queue)."""

    pipeline: Pipeline
    samples: list[tuple[float, dict[str, float], float]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        """Sample until `stop` is set."""
        while not self.stop.is_set():
            self.samples.append((time.time(), self.pipeline.cpu_seconds(), busy_seconds()))
            self.stop.wait(1.0)

    def cores(
        self, start: float, end: float, keep: Callable[[float, float], bool] | None = None
    ) -> dict[str, float]:
        """Cores each process used (CPU-s per wall second) over the sample intervals inside
        [start, end] for which `keep(t0, t1)` holds (all when None), and the whole machine's
        busy cores as "machine busy"."""
        used: dict[str, float] = {}
        wall = 0.0
        for (t0, cpu0, busy0), (t1, cpu1, busy1) in itertools.pairwise(self.samples):
            if t0 < start or t1 > end or (keep is not None and not keep(t0, t1)):
                continue
            wall += t1 - t0
            for name, seconds in cpu1.items():
                used[name] = used.get(name, 0.0) + seconds - cpu0.get(name, seconds)
            used["machine busy"] = used.get("machine busy", 0.0) + busy1 - busy0
        return {name: seconds / wall for name, seconds in used.items()} if wall else {}


@dataclass(frozen=True)
class Level:
    """The figures of one load level."""

    streams: int
    segments: int
    delivered: int
    latencies: list[float]
    from_file: list[float]
    stages: dict[str, float]
    growth_s: float
    cpu: dict[str, float]
    cpu_queued: dict[str, float]
    queued_mean: float
    queued_share: float
    owned: dict[str, float]
    with_logo: float

    @property
    def kept_up(self) -> bool:
        """Everything delivered and no backlog building up over the run."""
        return self.delivered == self.segments and self.growth_s < 1.0


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile; NaN when empty."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else math.nan


def make_clip(folder: Path) -> Path:
    """A 10 s 720p30 clip (2 s GOPs) with the ACME logo drifting over textured footage."""
    logo, base = make_logo("ACME", 1), background(7)
    frames = (
        composite(base, logo, Placement((330 + 50 * t, 220 + 25 * t), 260, angle=5.0))[0]
        for t in (i / FPS for i in range(CLIP_S * FPS))
    )
    return write_flv(frames, folder / "clip.flv", fps=FPS, gop_seconds=SEGMENT_S)


def push(clip: Path, url: str, seconds: float) -> subprocess.Popen[bytes]:
    """Publish `clip` in a loop, in real time, for `seconds` (as OBS would, without encoding)."""
    return subprocess.Popen(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-stream_loop", "-1",
         "-i", str(clip), "-t", str(seconds), "-c", "copy", "-f", "flv", url],
    )  # fmt: skip


def run_level(pipeline: Pipeline, clip: Path, count: int, seconds: float) -> Level:
    """Push `count` concurrent streams for `seconds`, drain, and measure."""
    streams = [pipeline.add_stream(f"e2e bench {count}x #{n}") for n in range(count)]
    time.sleep(3)  # ingest and the detectors follow stream-config
    timeline = Timeline(tuple(pipeline.detector_names))
    watcher = threading.Thread(target=timeline.watch_playlists, args=(streams,), daemon=True)
    listener = threading.Thread(
        target=lambda: asyncio.run(timeline.listen(pipeline.ws_url, pipeline.ws_protocols)),
        daemon=True,
    )
    listener.start()
    if not timeline.subscribed.wait(30):
        raise TimeoutError("the notifier did not acknowledge the subscription")
    watcher.start()
    sampler = CpuSampler(pipeline)
    sampling = threading.Thread(target=sampler.run, daemon=True)
    sampling.start()
    started = time.time()
    pushers = [push(clip, stream.publish_url, seconds) for stream in streams]
    wait_with_progress(seconds, f"{count} stream(s) live")
    for pusher in pushers:
        pusher.wait(60)
    time.sleep(5)  # the last segment: closed at hang-up, then listed
    # CPU while streaming: the drain below waits (up to DRAIN_S) for segments shed under
    # overload that never come live, so counting it would dilute the cores used.
    streamed = time.time()
    owned: dict[str, float] = {}
    for name in pipeline.detector_names:
        ids = [stream.stream_id for stream in streams]
        owned.update(pipeline.streams_per_process(f"detector-{name}", ids))

    def delivered() -> tuple[int, int]:
        return len(set(timeline.listed) & set(timeline.detected)), len(timeline.listed)

    wait_for_count(delivered, DRAIN_S, "segments delivered")
    sampler.stop.set()
    sampling.join()
    timeline.stop.set()
    watcher.join()
    listener.join(5)
    return measure(timeline, count, sampler, (started, streamed), owned)


def busy_seconds() -> float:
    """CPU seconds the whole machine has been busy since boot (all cores, from /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def waiting(timeline: Timeline, at: float) -> int:
    """Segments published by ingest and not yet taken by a detector at time `at` (a segment
    shed, so never detected live, counts until its stream's next detection was taken)."""
    taken = {key: det["occurred"] - det["total_ms"] for key, det in timeline.detected.items()}
    queued = 0
    for (stream_id, sequence), ready in timeline.ready.items():
        if ready["occurred"] > at:
            continue
        start = taken.get((stream_id, sequence))
        if start is None:
            later = [t for (s, q), t in taken.items() if s == stream_id and q > sequence]
            start = min(later, default=math.inf)
        queued += start > at
    return queued


def measure(
    timeline: Timeline,
    count: int,
    sampler: CpuSampler,
    window: tuple[float, float],
    owned: dict[str, float],
) -> Level:
    """Latencies and mean stage times of every listed segment that reached the WebSocket, and
    the cores each process used while streaming, overall and while segments waited."""
    start, end = window
    queue = [waiting(timeline, t) for t, _, _ in sampler.samples if start <= t <= end]
    cpu = sampler.cores(start, end)
    busy = cpu.pop("machine busy", 0.0)
    # The machine is shared: what the pipeline did not use went to other work (and the pushers).
    cpu["everything else on the machine"] = max(0.0, busy - sum(cpu.values()))
    cpu_queued = sampler.cores(start, end, lambda t0, t1: waiting(timeline, (t0 + t1) / 2) > 0)
    done = sorted(k for k in timeline.listed if k in timeline.detected)
    latencies = [timeline.detected[k]["arrived"] - timeline.listed[k] for k in done]
    from_file = [
        timeline.detected[k]["arrived"] - timeline.ready[k]["file_complete"]
        for k in done
        if k in timeline.ready
    ]
    stages: dict[str, list[float]] = {stage: [] for stage in STAGES}
    for key in (k for k in done if k in timeline.ready):
        det, ready, listed = timeline.detected[key], timeline.ready[key], timeline.listed[key]
        engine = det["fetch_ms"] + det["decode_ms"] + det["analyze_ms"]
        parts = {
            "ingest": ready["occurred"] - listed,
            "queue": det["occurred"] - det["total_ms"] - ready["occurred"],
            "fetch": det["fetch_ms"],
            "decode": det["decode_ms"],
            "analyze": det["analyze_ms"],
            "engine other": max(det["total_ms"] - engine, 0.0),
            "deliver": det["arrived"] - det["occurred"],
        }
        for stage, value in parts.items():
            stages[stage].append(value)
    by_time = [
        latencies[i] for i in sorted(range(len(done)), key=lambda i: timeline.listed[done[i]])
    ]
    third = max(1, len(by_time) // 3)
    growth = (
        statistics.median(by_time[-third:]) - statistics.median(by_time[:third])
        if by_time
        else math.nan
    )
    with_logo = sum(timeline.detected[k]["results"] > 0 for k in done) / max(1, len(done))
    return Level(
        streams=count,
        segments=len(timeline.listed),
        delivered=len(done),
        latencies=latencies,
        from_file=from_file,
        stages={k: statistics.mean(v) if v else 0.0 for k, v in stages.items()},
        growth_s=growth,
        cpu=cpu,
        cpu_queued=cpu_queued,
        queued_mean=statistics.mean(queue) if queue else math.nan,
        queued_share=sum(q > 0 for q in queue) / len(queue) if queue else math.nan,
        owned=owned,
        with_logo=with_logo,
    )


def capacity_streams() -> int:
    """detector-logo's capacity from the analysis bench's results (this run), at least 2."""
    path = results_dir() / "analysis.json"
    if path.exists():
        for figure in load(path).figures:
            if figure.name == "capacity.logo.streams" and figure.value == figure.value:
                return max(2, math.floor(figure.value))
    return 2


def record(levels: list[Level], args: argparse.Namespace) -> BenchResults:
    """The results file: latency per level, stage breakdown, CPU by service."""
    results = BenchResults(
        "e2e_latency",
        "End-to-end: segment listed -> detection on a WebSocket",
        source=__file__,
        params={
            "seconds_per_level": args.seconds,
            "detectors": args.detectors,
            "visual_detectors": args.visual,
            "live_concurrency": os.environ.get("SIGHTLINE_LIVE_CONCURRENCY", "2 (default)"),
            "segment_s": SEGMENT_S,
            "video": "1280x720@30, 2 s GOP, logo in every frame",
        },
    )
    explain = ("stages", "cpu_by_service")
    for level in levels:
        # The issue asks for "one stream" and "at capacity": those levels go by these names.
        last = level is levels[-1] and level.streams > 1
        name = "one" if level.streams == 1 else "capacity" if last else str(level.streams)
        note = (
            f"{level.streams} stream(s): {level.delivered}/{level.segments} segments "
            f"delivered, backlog growth {level.growth_s:+.2f} s, "
            f"{'kept up' if level.kept_up else 'did NOT keep up'}"
        )
        target = 1.0 if name == "one" else None
        results.figure(
            f"e2e.p50_s.{name}",
            pct(level.latencies, 0.5),
            "s",
            label=f"p50 at {level.streams} stream(s)",
            notes=note,
        )
        results.figure(
            f"e2e.p95_s.{name}",
            pct(level.latencies, 0.95),
            "s",
            label=f"p95 at {level.streams} stream(s)",
            target=target,
            comparison="<=",
            notes=note,
            explained_by=explain,
        )
        results.figure(
            f"e2e.delivered_share.{name}",
            level.delivered / max(1, level.segments),
            label=f"segments delivered at {level.streams} stream(s)",
            target=1.0,
        )
        results.figure(
            f"e2e.backlog_growth_s.{name}",
            level.growth_s,
            "s",
            label=f"latency growth over the run at {level.streams} stream(s)",
            target=1.0,
            comparison="<=",
            explained_by=explain,
        )
        results.figure(
            f"e2e.queued_mean.{name}",
            level.queued_mean,
            "segments",
            label=f"segments waiting for a detector (mean) at {level.streams} stream(s)",
            notes=f"some waiting {level.queued_share:.0%} of the time",
            explained_by=("cpu_while_queued",),
        )
        results.figure(
            f"e2e.segments_with_logo.{name}",
            level.with_logo,
            label=f"share of detections with the logo at {level.streams} stream(s)",
        )
    x = [float(level.streams) for level in levels]
    results.add_series(
        "latency",
        x,
        {
            "p50 (listed)": [pct(lv.latencies, 0.5) for lv in levels],
            "p95 (listed)": [pct(lv.latencies, 0.95) for lv in levels],
            "p95 (file complete)": [pct(lv.from_file, 0.95) for lv in levels],
        },
        x_label="concurrent 720p30 streams",
        y_label="seconds",
        target=1.0,
        label="End-to-end latency: segment -> detection on a WebSocket",
    )
    results.breakdown(
        "stages",
        {f"{lv.streams} stream(s)": lv.stages for lv in levels},
        "seconds (mean)",
        label="Where a segment's time goes, listed -> WebSocket (mean per segment)",
        notes="ingest: listed -> SegmentReady published; queue: Kafka + waiting for a detector; "
        "fetch/decode/analyze/engine other: the detector's own timings (analyze is the logo "
        "matcher: see the analysis bench's profile); deliver: Detection published -> WebSocket "
        "frame received (Kafka + notifier).",
    )
    results.breakdown(
        "cpu_by_service",
        {f"{lv.streams} stream(s)": lv.cpu for lv in levels},
        "cores busy (CPU-s per wall second)",
        label="CPU used by each service process while streaming",
    )
    results.breakdown(
        "streams_owned",
        {f"{lv.streams} stream(s)": lv.owned for lv in levels},
        "streams",
        label="Streams each detector process owned (its partitions in the consumer group)",
        notes="Segments are keyed by stream: a process analyses the streams its partitions "
        "hold (at the end of the push; CRC32 of the stream id modulo the partitions).",
    )
    results.breakdown(
        "cpu_per_stream_second",
        {
            f"{lv.streams} stream(s)": {k: v / lv.streams for k, v in lv.cpu.items()}
            for lv in levels
        },
        "CPU-s per stream-second",
        label="CPU each service process used per second of one stream while streaming",
        notes="Cores used while streaming divided by the streams pushed; 'everything else on "
        "the machine' includes other work on the shared machine and the ffmpeg pushers.",
    )
    results.breakdown(
        "cpu_while_queued",
        {f"{lv.streams} stream(s)": lv.cpu_queued for lv in levels},
        "cores busy (CPU-s per wall second)",
        label="CPU used by each process while segments waited for a detector",
        notes="Seconds (sampled each second) in which a segment published by ingest was not "
        "yet taken by a detector; 'machine busy' includes everything on the shared machine. A "
        "detector process well under a core here is idle beside a queue.",
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--seconds",
        type=float,
        default=float(os.environ.get("BENCH_E2E_SECONDS", "75")),
        help="push time per level (env BENCH_E2E_SECONDS; default 75)",
    )
    parser.add_argument("--streams", default="1,auto", help="levels; auto = measured capacity")
    parser.add_argument(
        "--detectors",
        type=int,
        default=os.cpu_count() or 1,
        help="detector-logo processes (one consumer group)",
    )
    parser.add_argument(
        "--visual",
        type=int,
        default=0,
        help="detector-visual processes too (streams then analysed by both detectors)",
    )
    args = parser.parse_args()
    counts = [capacity_streams() if s == "auto" else int(s) for s in args.streams.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_clip(Path(tmp))
        log_dir = results_dir().parent / "logs" / "e2e_latency"
        with Pipeline(args.detectors, log_dir, visual=args.visual) as pipeline:
            pipeline.add_logo("acme", make_logo("ACME", 1))
            pipeline.start_workers()
            print(
                f"e2e latency, nproc={os.cpu_count()}, load {os.getloadavg()[0]:.1f}, "
                f"{args.detectors} detector-logo and {args.visual} detector-visual process(es), "
                f"{args.seconds:g} s per level, levels {counts}",
                flush=True,
            )
            levels = []
            for count in counts:
                level = run_level(pipeline, clip, count, args.seconds)
                levels.append(level)
                print(
                    f"  {count} stream(s): p50 {pct(level.latencies, 0.5):.2f} s, "
                    f"p95 {pct(level.latencies, 0.95):.2f} s (from file complete p95 "
                    f"{pct(level.from_file, 0.95):.2f} s), {level.delivered}/{level.segments} "
                    f"delivered, growth {level.growth_s:+.2f} s, "
                    f"{'kept up' if level.kept_up else 'did NOT keep up'}, "
                    f"load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
                print(
                    "    stages (mean s): "
                    + ", ".join(f"{k} {v:.3f}" for k, v in level.stages.items()),
                    flush=True,
                )
                print(
                    "    cores busy: " + ", ".join(f"{k} {v:.2f}" for k, v in level.cpu.items()),
                    flush=True,
                )
                print(
                    "    streams owned (by the group's partitions): "
                    + ", ".join(f"{k} {v:g}" for k, v in level.owned.items()),
                    flush=True,
                )
                print(
                    f"    segments waiting for a detector: mean {level.queued_mean:.2f}, "
                    f"some waiting {level.queued_share:.0%} of the time; cores then: "
                    + ", ".join(f"{k} {v:.2f}" for k, v in level.cpu_queued.items()),
                    flush=True,
                )
    record(levels, args).write()


if __name__ == "__main__":
    main()
