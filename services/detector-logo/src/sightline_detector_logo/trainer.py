"""`train-proposals`: trains the learned proposal net for the logo library as it stands and
stores it where detectors with `SIGHTLINE_LOGO_PROPOSALS=net` look for it.

A process of its own, never on the detection path: training costs minutes of CPU (~500 CPU-s
for 6 brands with the default recipe), so it runs niced (`SIGHTLINE_REPLAY_NICE`) on one
thread. It follows the compacted `logo-library` topic; once the library has been quiet for
`--settle` seconds after a change it reads the references from storage, computes the library
key exactly as a detector's matcher does (the brands and decoded pixels of the references the
matcher accepts), and trains only when no net is stored under that key (a restart, or a
library changed back, costs nothing). `--once` trains for the current library and exits.

Its object-store login must be allowed to write `proposals/` in the logos bucket (the
detectors' own login only reads).
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from collections.abc import Sequence

import structlog

from sightline_analysis.logo.learned.proposals import ProposalConfig
from sightline_analysis.logo.learned.sprites import Image
from sightline_analysis.logo.learned.train import TrainingRecipe, train
from sightline_analysis.logo.learned.weights import WeightsStore, library_key, reference_digest
from sightline_analysis.logo.matcher import LogoMatcher
from sightline_analysis.settings import DetectorSettings
from sightline_analysis.wire import UndecodableImageError, decode_reference
from sightline_common.errors import PermanentError, StorageUnavailableError
from sightline_common.kafka.follower import CompactedTopicFollower
from sightline_common.logging import configure_logging
from sightline_common.messages import LogoEntry
from sightline_common.shutdown import stop_on_signals
from sightline_common.storage import ObjectStore
from sightline_common.topics import Topic

log = structlog.get_logger(__name__)


class LibraryEntries:
    """The logo library's current entries (thread-safe), and when they last changed."""

    def __init__(self) -> None:
        self._entries: dict[str, LogoEntry] = {}
        self._lock = threading.Lock()
        self.version = 0
        self.changed_at = time.monotonic()

    def apply(self, key: str, entry: LogoEntry | None) -> None:
        """A record of the compacted topic: add or replace, or remove (tombstone, deleted)."""
        with self._lock:
            if entry is None or entry.deleted:
                self._entries.pop(entry.logo_id if entry else key, None)
            else:
                self._entries[entry.logo_id] = entry
            self.version += 1
            self.changed_at = time.monotonic()

    def snapshot(self) -> list[LogoEntry]:
        """The entries now, in logo id order."""
        with self._lock:
            return [self._entries[k] for k in sorted(self._entries)]


def usable_references(entries: Sequence[LogoEntry], store: ObjectStore) -> list[tuple[str, Image]]:
    """(brand, decoded image) of each entry a detector's matcher would hold: unreadable and
    featureless references are left out there, so they are left out of the key here too.
    StorageUnavailableError propagates (the round is retried)."""
    probe = LogoMatcher()
    references = []
    for entry in entries:
        try:
            image = decode_reference(store.get_bytes(entry.bucket, entry.object_key))
            probe.add(entry.logo_id, entry.brand, image)
        except (PermanentError, UndecodableImageError, ValueError) as exc:
            log.warning("proposals.reference_skipped", logo_id=entry.logo_id, reason=str(exc))
            continue
        references.append((entry.brand, image))
    return references


def train_for(
    references: Sequence[tuple[str, Image]], recipe: TrainingRecipe, weights: WeightsStore
) -> str | None:
    """Train and store the net for `references` unless one is stored already; its key (None
    for an empty library)."""
    if not references:
        return None
    key = library_key(((b, reference_digest(i)) for b, i in references), recipe)
    if weights.has(key):
        log.info("proposals.already_trained", key=key, references=len(references))
        return key
    log.info("proposals.training", key=key, references=len(references), steps=recipe.steps)
    started = time.process_time()
    net = train(references, recipe)
    weights.save(key, net)
    log.info("proposals.trained", key=key, brands=len(net.names),
             cpu_seconds=round(time.process_time() - started, 1))  # fmt: skip
    return key


def run(settings: DetectorSettings, argv: Sequence[str]) -> int:
    """The `train-proposals` mode; returns the exit code."""
    parser = argparse.ArgumentParser(prog="sightline-detector-logo train-proposals")
    parser.add_argument("--once", action="store_true", help="train for the library now, exit")
    parser.add_argument("--settle", type=float, default=10.0,
                        help="seconds the library must stay unchanged before training")  # fmt: skip
    parser.add_argument("--steps", type=int, default=None, help="override the recipe's steps")
    args = parser.parse_args(argv)
    configure_logging(f"{settings.service_name}-trainer", settings.log_level)
    recipe = ProposalConfig().recipe
    if args.steps is not None:
        recipe = recipe.model_copy(update={"steps": args.steps})
    store = ObjectStore.from_settings(settings)
    weights = WeightsStore(store, settings.logos_bucket)
    library = LibraryEntries()
    follower = CompactedTopicFollower(
        settings.kafka_bootstrap, settings.topics.name(Topic.LOGO_LIBRARY), LogoEntry,
        library.apply, f"{settings.producer_id}-trainer",
    )  # fmt: skip
    stopping = threading.Event()
    stop_on_signals(stopping.set, "proposals.stopping")
    os.nice(settings.replay_nice)  # live analysis on the same host keeps priority
    follower.start()
    try:
        return _loop(library, follower, weights, recipe, store, stopping, args.once, args.settle)
    finally:
        follower.stop()


def _loop(  # noqa: PLR0917 - the mode's wiring, passed once
    library: LibraryEntries, follower: CompactedTopicFollower, weights: WeightsStore,
    recipe: TrainingRecipe, store: ObjectStore, stopping: threading.Event, once: bool,
    settle: float,
) -> int:  # fmt: skip
    done = -1
    while not stopping.is_set():
        quiet = time.monotonic() - library.changed_at >= settle
        if follower.caught_up.is_set() and library.version != done and (quiet or once):
            version = library.version
            try:
                train_for(usable_references(library.snapshot(), store), recipe, weights)
            except StorageUnavailableError as exc:
                log.warning("proposals.storage_unavailable", reason=str(exc))
                stopping.wait(5.0)
                continue
            done = version
            if once:
                return 0
        stopping.wait(0.5)
    return 0
