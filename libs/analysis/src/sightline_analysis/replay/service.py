"""The `replay` mode of a detector: a separate process that executes reanalysis runs.

Replay is kept apart from live analysis so that it cannot slow it: its own process (scaled on
its own), its own consumer groups, a bounded number of runs at once, and a lower CPU priority
(`nice`), so on a shared machine the live detector is served first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from sightline_analysis.policies import followed_policies
from sightline_analysis.priority import lower_priority
from sightline_analysis.replay.coordinator import ReplayCoordinator
from sightline_analysis.replay.run import ReplayContext, ReplayRun, RunSignals, RunWork
from sightline_analysis.runtime import refuse_invalid_analyzer_settings
from sightline_analysis.settings import DetectorSettings
from sightline_common.kafka import EventProducer
from sightline_common.logging import configure_logging
from sightline_common.ops import BackgroundServer, ops_router
from sightline_common.storage import ObjectStore
from sightline_common.topics import Topic

if TYPE_CHECKING:
    from sightline_analysis.service import DetectorSpec


def run_replay(spec: DetectorSpec, settings: DetectorSettings, port: int) -> int:
    """Execute reanalysis runs for this detector until SIGTERM; returns the exit code."""
    log = configure_logging(f"{settings.service_name}-replay", settings.log_level)
    settings.refuse_dev_credentials()
    analyzer_keys = settings.analyzer_keys(spec.analyzers)
    refuse_invalid_analyzer_settings(analyzer_keys, settings)
    lower_priority(settings.replay_nice)
    policies, config_follower = followed_policies(settings)
    producer = EventProducer(settings.kafka_bootstrap, f"{settings.producer_id}-replay")
    context = ReplayContext(
        detector=spec.name,
        version=spec.version,
        analyzer_keys=analyzer_keys,
        group_id=settings.topics.group(spec.group_id),
        settings=settings,
        store=ObjectStore.from_settings(settings),
        policies=policies,
        producer=producer,
    )

    def make_run(work: RunWork, signals: RunSignals) -> ReplayRun:
        return ReplayRun(work, context, signals)

    coordinator = ReplayCoordinator(
        bootstrap=settings.kafka_bootstrap,
        topic=settings.topics.name(Topic.REANALYSIS),
        group_id=settings.topics.group(f"{spec.group_id}-replay"),
        client_id=f"{settings.producer_id}-replay",
        detector=spec.name,
        producer=producer,
        make_run=make_run,
        concurrency=settings.replay_concurrency,
    )

    def ready() -> bool:
        return coordinator.ready and config_follower.caught_up.is_set()

    app = FastAPI(title=f"Sightline detector-{spec.name} replay")
    app.include_router(ops_router(ready))
    server = BackgroundServer(app, settings.http_host, port)
    config_follower.start()
    server.start()
    coordinator.install_signal_handlers()
    log.info("replay.started", detector=spec.name, port=port, nice=settings.replay_nice,
             concurrency=settings.replay_concurrency, workers=settings.replay_workers)  # fmt: skip
    try:
        coordinator.run()
    finally:
        server.stop()
        config_follower.stop()
        producer.close()
    log.info("replay.stopped", detector=spec.name)
    return 0
