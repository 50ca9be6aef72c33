"""Wiring shared by both detector services: the detector mode and the `executor` mode.

Everything is built here, in the entry point, from one settings object: storage, the analyzer
set (with the logo library follower when it has a logo analyzer), the stream-config follower,
the executors and their router, the engine, and the consumer loop with its HTTP side.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NoReturn

import structlog
import uvicorn
from fastapi import FastAPI

from sightline_analysis.backfill import BackfillRequests
from sightline_analysis.engine import AnalysisEngine, DetectorIdentity
from sightline_analysis.executor_server import executor_app
from sightline_analysis.executors import ExecutorRouter, build_executor
from sightline_analysis.frames import Frame
from sightline_analysis.handler import SegmentHandler
from sightline_analysis.newest import NewestSegments
from sightline_analysis.policies import followed_policies
from sightline_analysis.priority import lower_priority
from sightline_analysis.replay.service import run_replay
from sightline_analysis.runtime import (
    AnalyzerRuntime,
    build_analyzers,
    refuse_invalid_analyzer_settings,
)
from sightline_analysis.settings import DetectorSettings
from sightline_analysis.shedding import LiveShedder
from sightline_analysis.synthetic import background
from sightline_common.kafka import ConsumerLoop, EventProducer
from sightline_common.kafka.follower import CompactedTopicFollower
from sightline_common.logging import configure_logging
from sightline_common.messages import ExecutorKind, SegmentReady
from sightline_common.ops import BackgroundServer, ops_router
from sightline_common.storage import ObjectStore
from sightline_common.topics import Topic


@dataclass(frozen=True)
class DetectorSpec:
    """What makes a detector: its name (as in policies), version, analyzers and group."""

    name: str
    version: str
    analyzers: tuple[str, ...]
    group_id: str


def run_detector(spec: DetectorSpec, settings: DetectorSettings) -> int:
    """Consume `segments`, publish `detections` until SIGTERM; returns the exit code."""
    lower_priority(settings.live_nice)
    log = configure_logging(settings.service_name, settings.log_level)
    settings.refuse_dev_credentials()
    keys = settings.analyzer_keys(spec.analyzers)
    refuse_invalid_analyzer_settings(keys, settings)
    store = ObjectStore.from_settings(settings)
    runtime = build_analyzers(keys, settings, store)
    policies, config_follower = followed_policies(settings)
    executors = {
        ExecutorKind(cfg["type"]): build_executor(cfg, runtime.analyzers)
        for cfg in settings.executor_configs()
    }
    router = ExecutorRouter(
        spec.name, executors, settings.breaker_failures, settings.breaker_reset_seconds
    )
    identity = DetectorIdentity(spec.name, spec.version, runtime.analyzers.fingerprint())
    engine = AnalysisEngine(identity, router, store, settings.keyframe_interval)
    producer = EventProducer(settings.kafka_bootstrap, settings.producer_id)
    shedder = LiveShedder(settings.max_live_lag_s, settings.backfill_max_segments)
    backfill = BackfillRequests(
        detector=spec.name,
        publish=producer.publish,
        topic=settings.topics.name(Topic.REANALYSIS),
        producer_id=settings.producer_id,
    )
    segments_topic = settings.topics.name(Topic.SEGMENTS)
    newest = (
        NewestSegments(settings.kafka_bootstrap, segments_topic, settings.producer_id)
        if settings.max_live_lag_s > 0
        else None
    )
    handler = SegmentHandler(
        engine=engine,
        analyzers=runtime.analyzers,
        policies=policies,
        publish=producer.publish,
        detections_topic=settings.topics.name(Topic.DETECTIONS),
        producer_id=settings.producer_id,
        shedder=shedder,
        backfill=backfill,
        newest=newest,
    )
    loop = ConsumerLoop(
        bootstrap=settings.kafka_bootstrap,
        group_id=settings.topics.group(spec.group_id),
        client_id=settings.producer_id,
        topics={segments_topic: SegmentReady},
        producer=producer,
        handler=handler,
        batch_size=1,  # a segment takes seconds: never hold many past max.poll.interval.ms
        concurrency=settings.live_concurrency,
        inline=handler.handled_at_once,
        on_revoke=handler.revoked,
    )

    def ready() -> bool:
        return loop.ready and runtime.caught_up() and config_follower.caught_up.is_set()

    app = FastAPI(title=f"Sightline detector-{spec.name}")
    app.include_router(ops_router(ready, loop.alive))
    server = BackgroundServer(app, settings.http_host, settings.http_port)
    runtime.start()
    config_follower.start()
    if newest is not None:
        newest.start()
    server.start()
    loop.install_signal_handlers()
    _prepare(runtime, config_follower, loop, settings, log)
    log.info("detector.started", detector=spec.name, config_hash=identity.config_hash,
             analyzers=runtime.analyzers.keys, port=settings.http_port,
             max_live_lag_s=settings.max_live_lag_s,
             nice=settings.live_nice)  # fmt: skip
    try:
        loop.run()
    finally:
        server.stop()
        config_follower.stop()
        if newest is not None:
            newest.stop()
        runtime.stop()
        router.close()
    log.info("detector.stopped", detector=spec.name)
    return 0


def _prepare(
    runtime: AnalyzerRuntime,
    config_follower: CompactedTopicFollower,
    loop: ConsumerLoop,
    settings: DetectorSettings,
    log: structlog.stdlib.BoundLogger,
) -> None:
    """Wait for the logo library and stream policies, then warm the analyzers up.

    Analyse nothing before the tables are loaded: a detection made without them would be stored
    under the segment's final event id, blind for good. Not ready meanwhile; a warning every
    `follow_timeout` seconds; SIGTERM still stops at once.
    """
    waited_since = time.monotonic()
    while not (runtime.caught_up() and config_follower.caught_up.is_set()):
        if loop.stop_requested:
            return
        if time.monotonic() - waited_since > settings.follow_timeout:
            log.warning("detector.tables_not_caught_up", waited=settings.follow_timeout)
            waited_since = time.monotonic()
        time.sleep(0.05)
    runtime.analyzers.warm_up(_warm_up_frames())


def _warm_up_frames() -> list[Frame]:
    """Two sampled frames of textured 720p footage half a second apart, as a live segment
    sampled at 2 fps gives them (`AnalyzerSet.warm_up`)."""
    image = background(0)
    return [Frame(image, 0.0), Frame(image.copy(), 0.5)]


EXECUTOR_SHUTDOWN_SECONDS = 5


def run_executor(spec: DetectorSpec, settings: DetectorSettings, port: int) -> int:
    """Serve the detector's analyzers over HTTP for LAN clients until SIGTERM."""
    log = configure_logging(f"{settings.service_name}-executor", settings.log_level)
    settings.refuse_dev_credentials()
    limits = settings.executor_limits()
    if not limits.secret:
        log.error("executor.refused", reason="SIGHTLINE_LAN_SECRET is not set")
        return 2
    keys = settings.analyzer_keys(spec.analyzers)
    refuse_invalid_analyzer_settings(keys, settings)
    runtime = build_analyzers(keys, settings, ObjectStore.from_settings(settings))
    app = executor_app(runtime.analyzers, runtime.caught_up, limits, f"{settings.http_host}:{port}")
    runtime.start()
    log.info("executor.started", detector=spec.name, analyzers=runtime.analyzers.keys, port=port,
             tls=bool(settings.executor_tls_cert))  # fmt: skip
    try:
        uvicorn.run(
            app,
            host=settings.http_host,
            port=port,
            log_config=None,
            access_log=False,
            ssl_certfile=settings.executor_tls_cert or None,
            ssl_keyfile=settings.executor_tls_key or None,
            # Detectors keep their connections open between segments: do not wait on them.
            timeout_graceful_shutdown=EXECUTOR_SHUTDOWN_SECONDS,
        )
    finally:
        runtime.stop()
    return 0


def exit_without_teardown(code: int) -> NoReturn:
    """End the process once a mode has stopped cleanly, skipping the interpreter's teardown.

    Every mode has committed its offsets, flushed its producers and stopped its threads when it
    returns. What a normal exit would still do is tear down TensorFlow and the other native
    modules (~1.2 CPU-s for a detector with MTCNN or the proposal net loaded): at the live
    detector's lowered priority on a busy node that took over 15 s, past a supervisor's or
    Kubernetes' grace period, so a cleanly stopped detector was SIGKILLed and reported as a crash.
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code)


def main(
    spec: DetectorSpec, settings: DetectorSettings, argv: Sequence[str] | None = None
) -> NoReturn:
    """`python -m <detector>` runs the live detector; `... executor --port N` the LAN executor
    mode; `... replay --port N` the reanalysis worker. Never returns: see
    `exit_without_teardown`."""
    parser = argparse.ArgumentParser(prog=f"sightline-detector-{spec.name}")
    modes = parser.add_subparsers(dest="mode")
    executor = modes.add_parser("executor", help="serve the analyzers over HTTP (LAN executor)")
    executor.add_argument("--port", type=int, default=settings.http_port + 1)
    replay = modes.add_parser("replay", help="execute reanalysis runs (separate from live)")
    replay.add_argument("--port", type=int, default=settings.http_port + 2)
    args = parser.parse_args(argv)
    if args.mode == "executor":
        exit_without_teardown(run_executor(spec, settings, args.port))
    if args.mode == "replay":
        exit_without_teardown(run_replay(spec, settings, args.port))
    exit_without_teardown(run_detector(spec, settings))
