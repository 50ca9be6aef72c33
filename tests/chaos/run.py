"""One chaos run end to end: throwaway stack up, stream pushed, faults on schedule, evidence
read back, verdict and report. Used by `python -m tests.chaos` and the shortened pytest run.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from sightline_analysis.scenario import Scenario
from sightline_analysis.synthetic import make_logo
from sightline_common.envelope import wrap
from sightline_common.kafka import EventProducer
from sightline_common.messages import AnalysisPolicy, Source, StreamConfig
from sightline_common.settings import ServiceSettings
from sightline_common.storage import ObjectStore
from sightline_common.topics import Topic, TopicNames
from sightline_devstack.envfile import PlatformEnv
from sightline_ingest.keys import hash_key, new_key

from .checker import Verdict, check
from .collect import HealthMonitor, ProgressMonitor, read_kafka, read_minio, read_postgres
from .evidence import Evidence, FaultRecord
from .faults import Context
from .hls_watch import HlsWatcher
from .publisher import BRAND, LOGO_SEED, Publisher, make_media
from .report import render
from .rig import ChaosRig, Say
from .schedule import Planned, faults_for, plan

STREAM_ID = "chaos-stream"
SETTLE_S = 3.0  # between the end of one fault and the start of the next
DRAIN_PATIENCE_S = 90.0  # give up draining after this long without progress


@dataclass(frozen=True)
class Options:
    """What to run: how long the stream flows with faults, the seed, which services."""

    duration_s: float
    seed: int
    services: tuple[str, ...]
    kill_rounds: int
    outage_s: float
    out_dir: Path
    sample_fps: float = 1.0  # frames per second the detectors analyse (CPU on a shared box)
    keep: bool = False
    size: tuple[int, int] = (1280, 720)  # of the pushed stream
    fps: int = 30
    materializers: int = 1  # results-api replicas: more than one rebalance on every kill
    long_outage: bool = False  # the broker away for longer than the producers' delivery timeout
    service_env: tuple[tuple[str, str], ...] = ()  # more environment for every service


@dataclass(frozen=True)
class Outcome:
    """The verdict and where its report was written."""

    verdict: Verdict
    report_path: Path
    report: str


def run(options: Options, say: Say) -> Outcome:
    """Do the whole run; the throwaway stack is always stopped (kept on disk with `keep`)."""
    rig = ChaosRig(
        options.services,
        say,
        keep=options.keep,
        materializers=options.materializers,
        service_env=dict(options.service_env),
    )
    say(f"chaos: seed {options.seed}, stream {options.duration_s:.0f}s, state {rig.root}")
    publisher: Publisher | None = None
    try:
        env = rig.start_platform()
        topics = TopicNames(env.topic_prefix)
        producer = EventProducer(env.kafka_bootstrap, "chaos")
        key = _register(env, topics, producer, rig.detectors, options.sample_fps)
        rig.start_services()
        health = HealthMonitor({name: rig.health_url(name) for name in rig.services})
        health.start()
        _, scene = make_media(rig.root / "media", options.size)
        url = f"{env.rtmp_url}/{key}"
        publisher = Publisher(scene, url, rig.log_dir / "publisher.log", options.fps)
        watcher = HlsWatcher(rig.hls_dir / key)
        monitor = ProgressMonitor(env.postgres_dsn, STREAM_ID)
        publisher.start()
        watcher.start()
        monitor.start()
        _wait(lambda: bool(monitor.done(rig.detectors)), 180, "the first analysed segment")
        t0 = time.time()
        say("chaos: stream flowing through the pipeline; faults begin")
        ctx = Context(rig, publisher, rig.hls_dir / key, producer, _store(env), topics, say)
        records = _inject_all(ctx, options, t0, say)
        _sleep_until(t0 + options.duration_s)
        publisher.stop()
        say("chaos: stream ended; waiting for the pipeline to drain")
        _drain(watcher, monitor, rig.detectors)
        health.stop()
        records = [_with_way_back(r, health) for r in records]
        evidence = Evidence(STREAM_ID, rig.detectors, BRAND, watcher.stop(), faults=records)
        monitor.stop()
        evidence.segment_seen_at = monitor.segment_seen_at
        evidence.analysed_seen_at = monitor.analysed_seen_at
        evidence.bad_inputs = ctx.bad_inputs
        read_kafka(env.kafka_bootstrap, topics, evidence)
        read_minio(env, f"streams/{STREAM_ID}/", evidence)
        read_postgres(env.postgres_dsn, evidence)
        verdict = check(evidence)
        if not verdict.passed:
            rig.dump_stacks()  # where a stuck service waits, into its log (copied below)
        header = {
            "seed": options.seed,
            "stream": f"{options.duration_s:.0f} s of {options.size[1]}p{options.fps} with faults",
            "services": ", ".join(options.services),
            "when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(t0)),
        }
        report = render(verdict, header, rig.restarts(), t0)
        path = _write(options, report, evidence, rig)
        return Outcome(verdict, path, report)
    finally:
        if publisher is not None:
            publisher.stop()
        rig.stop()


def _register(
    env: PlatformEnv,
    topics: TopicNames,
    producer: EventProducer,
    detectors: Sequence[str],
    sample_fps: float,
) -> str:
    """The stream (an RTMP source with a fresh key) and the logo to find; returns the key."""
    key = new_key()
    config = StreamConfig(
        stream_id=STREAM_ID,
        name="chaos",
        key_hash=hash_key(key),
        source=Source.model_validate({"kind": "rtmp"}),
        policy=AnalysisPolicy.model_validate(
            {"executors": ["local"], "detectors": detectors, "sample_fps": sample_fps}
        ),
        enabled=True,
    )
    producer.publish(
        topics.name(Topic.STREAM_CONFIG), wrap(config, key=STREAM_ID, producer="chaos")
    )
    producer.flush()
    Scenario(_settings(env)).add_logo("chaos-logo", BRAND, make_logo(BRAND.upper(), LOGO_SEED))
    return key


def _settings(env: PlatformEnv) -> ServiceSettings:
    return ServiceSettings(
        kafka_bootstrap=env.kafka_bootstrap,
        topic_prefix=env.topic_prefix,
        s3_endpoint=env.s3_endpoint,
        s3_access_key=env.s3_access_key,
        s3_secret_key=SecretStr(env.s3_secret_key),
        segments_bucket=env.segments_bucket,
        logos_bucket=env.logos_bucket,
    )


def _store(env: PlatformEnv) -> ObjectStore:
    return ObjectStore.from_settings(_settings(env))


def _inject_all(ctx: Context, options: Options, t0: float, say: Say) -> list[FaultRecord]:
    """Run the seeded plan in two lanes: outages one after another, and the short faults one
    after another, each at its planned moment or when its lane's previous fault is over."""
    faults = faults_for(
        ctx.rig.services, options.kill_rounds, options.outage_s, long_outage=options.long_outage
    )
    schedule = plan(options.seed, options.duration_s, faults)
    say("chaos: plan " + ", ".join(f"{p.at_s:.0f}s {p.fault.name}" for p in schedule))
    records: list[FaultRecord] = []

    def lane(planned: list[Planned]) -> None:
        ready_at = t0
        for item in planned:
            _sleep_until(max(t0 + item.at_s, ready_at))
            say(f"chaos: {time.time() - t0:5.0f}s  {item.fault.name}")
            record = item.fault.inject(ctx)
            if record.error:
                say(f"chaos: {item.fault.name} failed: {record.error}")
            records.append(record)
            ready_at = time.time() + SETTLE_S

    lanes = [
        threading.Thread(target=lane, args=([p for p in schedule if p.fault.outage is kind],))
        for kind in (True, False)
    ]
    for thread in lanes:
        thread.start()
    for thread in lanes:
        thread.join()
    return sorted(records, key=lambda r: r.started)


def _drain(watcher: HlsWatcher, monitor: ProgressMonitor, detectors: tuple[str, ...]) -> None:
    """Wait until as many segments are fully processed as nginx wrote, as long as the pipeline
    makes progress (a busy machine only slows it down); the checker says what is missing."""
    progress, last_change = -1, time.monotonic()
    while time.monotonic() - last_change < DRAIN_PATIENCE_S:
        watcher.scan()
        done = len(monitor.done(detectors))
        if done >= len(watcher.segments):
            time.sleep(5)  # late dead letters and duplicates get a chance to show up
            return
        if done != progress:
            progress, last_change = done, time.monotonic()
        time.sleep(1)


def _with_way_back(record: FaultRecord, health: HealthMonitor) -> FaultRecord:
    if record.service is None:
        return record
    return dataclasses.replace(
        record, service_back_s=health.back_after(record.service, record.started)
    )


def _wait(probe: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:.0f}s for {what}")
        time.sleep(0.5)


def _sleep_until(wall: float) -> None:
    time.sleep(max(0.0, wall - time.time()))


def _write(options: Options, report: str, evidence: Evidence, rig: ChaosRig) -> Path:
    """The report, the evidence (JSON, for a post-mortem) and the services' logs beside it
    (the rig's own folder is removed)."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    folder = options.out_dir / f"{stamp}-seed{options.seed}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "report.md"
    path.write_text(report)
    dump = dataclasses.asdict(evidence)
    dump["dead_letters"] = [
        {**letter, "original": letter["original"].decode(errors="replace")[:300]}
        for letter in dump["dead_letters"]
    ]
    dump["bad_inputs"] = [{**b, "marker": b["marker"].decode()} for b in dump["bad_inputs"]]
    (folder / "evidence.json").write_text(json.dumps(dump, indent=1))
    # The platform's logs too: the broker's group-coordinator lines explain a stalled group.
    for name in [*rig.services, "publisher", "kafka", "postgres", "minio", "nginx"]:
        log = rig.log_dir / f"{name}.log"
        if log.exists():
            shutil.copy(log, folder / log.name)
    return path
