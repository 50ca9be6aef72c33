"""`train-proposals`: trains the learned proposal net for the logo library as it stands and
stores it where detectors with `SIGHTLINE_LOGO_PROPOSALS=net` (the default) look for it.

A workload of its own (`detector-logo-trainer`), never on the detection path: training costs
minutes of CPU (services/detector-logo/bench/train_cost.py), so it runs niced
(`SIGHTLINE_REPLAY_NICE`) on one thread. It follows the compacted `logo-library` topic through
the same `LogoLibrary` a detector uses, over a `ProposalMatcher` that keeps the reference
images: the references a detector accepts and the key it looks weights up under are this
trainer's by construction. Once the library has been quiet for `--settle` seconds after a
change it trains, unless a net is stored under the key already (a restart, or a library changed
back, costs nothing). `--once` trains for the current library and exits.

Its object-store login may write `proposals/` in the logos bucket only (the detectors' only
reads). HTTP on `SIGHTLINE_HTTP_PORT` (8023): `/healthz`, `/readyz` (library read),
`/metrics` (`sightline_proposal_trainings_total{outcome}`, the last training's CPU seconds).
"""

from __future__ import annotations

import argparse
import threading
import time

import cv2
import structlog
from fastapi import FastAPI
from prometheus_client import Counter, Gauge

from sightline_analysis.frames import Image
from sightline_analysis.logo.learned.proposals import ProposalConfig, ProposalMatcher
from sightline_analysis.logo.learned.train import TrainingRecipe, TrainingStopped, train
from sightline_analysis.logo.learned.weights import WeightsStore
from sightline_analysis.logo.library import LogoLibrary
from sightline_analysis.priority import lower_priority
from sightline_common.errors import PermanentError, StorageUnavailableError
from sightline_common.kafka.follower import CompactedTopicFollower
from sightline_common.logging import configure_logging
from sightline_common.messages import LogoEntry
from sightline_common.ops import BackgroundServer, ops_router
from sightline_common.shutdown import stop_on_signals
from sightline_common.storage import ObjectStore
from sightline_common.topics import Topic
from sightline_detector_logo.settings import LogoDetectorSettings

log = structlog.get_logger(__name__)

ROUNDS = Counter(
    "sightline_proposal_trainings", "Training rounds of the proposal trainer, by outcome",
    ["outcome"],
)  # fmt: skip
LAST_CPU = Gauge("sightline_proposal_training_cpu_seconds", "CPU seconds of the last training")


class TrainerSettings(LogoDetectorSettings):
    """The `train-proposals` mode: detector-logo's settings (the library it follows, the
    recipe) under its own name (its Kafka follower group) and port."""

    service_name: str = "detector-logo-trainer"
    http_port: int = 8023


class TrainingLibrary(ProposalMatcher):
    """The library exactly as a detector's `ProposalMatcher` holds it (the references it
    accepts, its weights key), keeping each reference's decoded image to train on."""

    def __init__(self, recipe: TrainingRecipe) -> None:
        super().__init__(proposals=ProposalConfig(recipe=recipe))
        self._images: dict[str, tuple[str, Image]] = {}
        self._images_lock = threading.Lock()
        self.version = 0
        self.changed_at = time.monotonic()

    def add(self, logo_id: str, brand: str, image: Image) -> None:
        """As `ProposalMatcher.add`, keeping the image."""
        with self._images_lock:
            super().add(logo_id, brand, image)
            self._images[logo_id] = (brand, image)
            self._changed()

    def remove(self, logo_id: str) -> None:
        """As `ProposalMatcher.remove`."""
        with self._images_lock:
            super().remove(logo_id)
            self._images.pop(logo_id, None)
            self._changed()

    def snapshot(self) -> tuple[str, list[tuple[str, Image]], int]:
        """(weights key, (brand, image) of each reference in logo id order, version), taken
        together."""
        with self._images_lock:
            references = [self._images[k] for k in sorted(self._images)]
            return self.library_key, references, self.version

    def _changed(self) -> None:
        self.version += 1
        self.changed_at = time.monotonic()


def train_for(
    key: str,
    references: list[tuple[str, Image]],
    recipe: TrainingRecipe,
    weights: WeightsStore,
    stopping: threading.Event | None = None,
) -> bool:
    """Train and store the net for `references` under `key` unless one is stored already (or
    the library is empty); whether it trained. TrainingStopped when `stopping` is set."""
    if not references:
        return False
    if weights.has(key):
        log.info("proposals.already_trained", key=key, references=len(references))
        ROUNDS.labels("already_trained").inc()
        return False
    log.info("proposals.training", key=key, references=len(references), steps=recipe.steps)
    started = time.process_time()
    net = train(references, recipe, stopping.is_set if stopping else lambda: False)
    weights.save(key, net)
    cpu = time.process_time() - started
    LAST_CPU.set(cpu)
    ROUNDS.labels("trained").inc()
    log.info("proposals.trained", key=key, brands=len(net.names), cpu_seconds=round(cpu, 1))
    return True


def run(settings: TrainerSettings, argv: list[str]) -> int:
    """The `train-proposals` mode; returns the exit code."""
    parser = argparse.ArgumentParser(prog="sightline-detector-logo train-proposals")
    parser.add_argument("--once", action="store_true", help="train for the library now, exit")
    parser.add_argument("--settle", type=float, default=10.0,
                        help="seconds the library must stay unchanged before training")  # fmt: skip
    args = parser.parse_args(argv)
    configure_logging(settings.service_name, settings.log_level)
    lower_priority(settings.replay_nice)  # live analysis on the same host keeps priority
    cv2.setNumThreads(1)  # synthesis on one thread, as TensorFlow (train.py)
    recipe = settings.logo_proposal_recipe
    store = ObjectStore.from_settings(settings)
    weights = WeightsStore(store, settings.logos_bucket)
    library = TrainingLibrary(recipe)
    follower = CompactedTopicFollower(
        settings.kafka_bootstrap, settings.topics.name(Topic.LOGO_LIBRARY), LogoEntry,
        LogoLibrary(library, store).apply, settings.producer_id,
    )  # fmt: skip
    stopping = threading.Event()
    stop_on_signals(stopping.set, "proposals.stopping")
    app = FastAPI(title="Sightline detector-logo proposal trainer")
    app.include_router(ops_router(follower.caught_up.is_set))
    server = BackgroundServer(app, settings.http_host, settings.http_port)
    follower.start()
    server.start()
    log.info("proposals.started", port=settings.http_port, nice=settings.replay_nice,
             steps=recipe.steps)  # fmt: skip
    try:
        return _loop(library, follower, weights, stopping, args.once, args.settle)
    finally:
        server.stop()
        follower.stop()


def _loop(  # noqa: PLR0917 - the mode's wiring, passed once
    library: TrainingLibrary, follower: CompactedTopicFollower, weights: WeightsStore,
    stopping: threading.Event, once: bool, settle: float,
) -> int:  # fmt: skip
    done = -1
    while not stopping.is_set():
        quiet = time.monotonic() - library.changed_at >= settle
        if follower.caught_up.is_set() and library.version != done and (quiet or once):
            key, references, version = library.snapshot()
            try:
                train_for(key, references, library.proposals.recipe, weights, stopping)
            except TrainingStopped:
                log.info("proposals.training_stopped", key=key)
                return 0
            except StorageUnavailableError as exc:
                log.warning("proposals.storage_unavailable", key=key, reason=str(exc))
                stopping.wait(5.0)
                continue
            except PermanentError as exc:  # e.g. a login that may not write proposals/
                log.exception("proposals.store_refused", key=key, reason=str(exc))
                ROUNDS.labels("refused").inc()
            done = version
            if once:
                return 0
        stopping.wait(0.5)
    return 0
