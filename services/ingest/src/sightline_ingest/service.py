"""Ingest's moving parts run together: registry feed, HTTP callbacks, pickup, upload, outbox,
source adapters; started in dependency order and stopped in reverse on SIGTERM."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import structlog

from sightline_common.kafka.follower import CompactedTopicFollower
from sightline_common.ops import BackgroundServer
from sightline_common.shutdown import stop_on_signals
from sightline_ingest.supervisor import SourceSupervisor
from sightline_ingest.watch import PlaylistWatcher
from sightline_ingest.workers import RepeatingWorker

log = structlog.get_logger(__name__)


@dataclass
class IngestService:
    """The assembled service; `run` blocks until SIGTERM/SIGINT."""

    feed: CompactedTopicFollower
    server: BackgroundServer
    workers: list[RepeatingWorker]
    supervisor: SourceSupervisor | None
    stopping: threading.Event
    watcher: PlaylistWatcher | None = None

    def run(self, catch_up_timeout: float = 120.0) -> None:
        """Start everything, wait for a stop signal, stop everything."""
        self._install_signal_handlers()
        self.feed.start()
        for worker in self.workers:
            worker.start()
        if self.watcher is not None:
            self.watcher.start()
        self.server.start()
        log.info("ingest.http_started")
        while not self.feed.caught_up.wait(1.0):
            if self.stopping.is_set():
                break
        if self.supervisor is not None and not self.stopping.is_set():
            self._reconcile_sources_until_stopped(self.supervisor)
        self.stopping.wait()
        self._shutdown()

    def _reconcile_sources_until_stopped(self, supervisor: SourceSupervisor) -> None:
        while not self.stopping.is_set():
            supervisor.reconcile()
            self.stopping.wait(1.0)

    def _shutdown(self) -> None:
        log.info("ingest.stopping")
        if self.supervisor is not None:
            self.supervisor.stop()
        self.server.stop()
        for worker in self.workers:
            worker.nudge()  # an idle worker sees `stopping` now, not after its interval
        for worker in self.workers:
            worker.join(timeout=30)
        if self.watcher is not None:
            self.watcher.join(timeout=5)
        self.feed.stop()
        log.info("ingest.stopped")

    def _install_signal_handlers(self) -> None:
        stop_on_signals(self.stopping.set, "ingest.signal")
