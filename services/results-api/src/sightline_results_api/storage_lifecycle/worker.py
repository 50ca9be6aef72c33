"""The storage worker: one thread beside the API that runs pending deletion jobs (at start, when
the API accepts one, and every few seconds), and every sweep interval the retention sweeper
then the full-store eviction.

Several results-api replicas may run it: a Postgres advisory lock, held on a connection of its
own for one pass, lets one replica work at a time. The lock's key is the deployment's schema, so
deployments (or tests) in other schemas of the same database never wait for each other. A
replica killed mid-pass loses its connection and with it the lock, and the next pass (here or
elsewhere) resumes the jobs from their saved step.
"""

from __future__ import annotations

import hashlib
import threading
import time

import structlog
from sqlalchemy import Engine, text

from sightline_common.storage import ObjectStore
from sightline_results_api.events import StatePublisher
from sightline_results_api.settings import ResultsApiSettings
from sightline_results_api.storage_lifecycle.erase import Eraser
from sightline_results_api.storage_lifecycle.eviction import Evictor
from sightline_results_api.storage_lifecycle.jobs import PENDING
from sightline_results_api.storage_lifecycle.runner import DeletionRunner
from sightline_results_api.storage_lifecycle.segments import SegmentRemover
from sightline_results_api.storage_lifecycle.sweeper import RetentionSweeper
from sightline_results_api.storage_lifecycle.usage import StorageMeter

log = structlog.get_logger(__name__)

# How often pending jobs are looked for when nothing wakes the worker (jobs accepted by another
# replica, or one that failed and waits for a retry).
JOB_POLL_S = 5.0


class StorageWorker:
    """Runs deletion jobs and retention sweeps in a background thread until stopped."""

    def __init__(
        self,
        engine: Engine,
        runner: DeletionRunner,
        sweeper: RetentionSweeper,
        evictor: Evictor,
        sweep_interval_s: float,
        *,
        lock_key: int,
    ) -> None:
        self._engine = engine
        self._lock_key = lock_key
        self._runner = runner
        self._sweeper = sweeper
        self._evictor = evictor
        self._sweep_interval_s = sweep_interval_s
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="storage-worker", daemon=True)
        self._next_sweep = 0.0

    def start(self) -> None:
        """Start the thread; pending jobs left by a previous process are resumed first."""
        self._thread.start()

    def wake(self) -> None:
        """Look for pending jobs now (the API accepted one)."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current batch (a job is resumed by the next process)."""
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.run_once()
            except Exception:  # the worker must outlive an outage; the next pass retries
                log.exception("storage.pass_failed")
            self._wake.wait(min(JOB_POLL_S, self._sweep_interval_s))
            self._wake.clear()

    def run_once(self) -> bool:
        """One pass under the lock: pending jobs, then a sweep when one is due.

        Returns False when another process holds the lock.
        """
        with self._engine.connect() as lock:
            held = lock.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self._lock_key}
            ).scalar()
            lock.commit()
            if not held:
                return False
            try:
                self._run_jobs()
                if time.monotonic() >= self._next_sweep and not self._stopping.is_set():
                    self._next_sweep = time.monotonic() + self._sweep_interval_s
                    self._sweeper.sweep()
                    self._evictor.evict()
                    self._evictor.meter.streams()  # /metrics' bytes per stream, kept fresh
            finally:
                lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._lock_key})
                lock.commit()
        return True

    def _run_jobs(self) -> None:
        with self._engine.connect() as conn:
            pending = conn.execute(
                text("SELECT id FROM deletion_jobs WHERE status = :s ORDER BY created_at"),
                {"s": PENDING},
            ).scalars()
            job_ids = list(pending)
        for job_id in job_ids:
            if self._stopping.is_set():
                return
            try:
                self._runner.run(job_id)
            except Exception as exc:  # noqa: BLE001 - recorded on the job, retried next pass
                log.warning("deletion.failed", job_id=job_id, reason=str(exc))
                self._runner.record_failure(job_id, str(exc))


def build_storage_worker(
    settings: ResultsApiSettings,
    engine: Engine,
    publisher: StatePublisher,
    store: ObjectStore,
    meter: StorageMeter,
) -> StorageWorker | None:
    """The worker for these settings (not started), or None when it is turned off."""
    if not settings.run_storage_worker:
        return None
    eraser = Eraser(engine, store, settings.segments_bucket, settings.storage_batch_size)
    sweeper = RetentionSweeper(eraser, settings.video_retention_s, settings.results_retention_s)
    evictor = Evictor(
        SegmentRemover(eraser),
        meter,
        evict_fraction=settings.storage_evict_fraction,
        warn_fraction=settings.storage_warn_fraction,
        min_retention_s=settings.video_min_retention_s,
    )
    return StorageWorker(
        engine,
        DeletionRunner(eraser, publisher),
        sweeper,
        evictor,
        settings.sweep_interval_s,
        lock_key=storage_lock_key(settings.database_schema),
    )


def storage_lock_key(schema: str) -> int:
    """The advisory lock key of the storage worker of the deployment in `schema` ('' = public):
    shared by that deployment's replicas, distinct from other schemas' in the same database."""
    digest = hashlib.sha256(f"sightline-storage:{schema or 'public'}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
