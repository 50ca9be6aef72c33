"""The `reanalysis` topic's consumer: starts, cancels and resumes runs for one detector.

A backfill request (a live detector's skipped range, re-requested wider at every skip under the
same run id) widens the queued job of its run, or, while that run executes, queues a follow-up
that resumes from the run's checkpoint once it ended: nothing is analysed twice.

A start request stays uncommitted until its run has completed or was cancelled, so a worker
that dies mid-run gets the request again on restart (or another replica gets it after a
rebalance) and the run resumes from the checkpoint its segment reader committed. Runs execute
on a bounded pool (`replay_concurrency`); the consumer keeps polling meanwhile, so cancels are
seen while a run is busy and the group membership stays alive however long a run takes.

Offsets are stored (never committed synchronously on the polling thread) and librdkafka
commits them in the background and on revoke. A revoke only tells the runs of the revoked
partitions to stop: it never waits for them inside the rebalance callback, which would hold up
the group (and the polling thread) for as long as a run takes to checkpoint.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import structlog
from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka import Message as KafkaMessage

from sightline_analysis.replay.dead_letters import dead_letter
from sightline_analysis.replay.run import Outcome, ReplayRun, RunSignals
from sightline_common.envelope import decode
from sightline_common.errors import PermanentError, TransientError
from sightline_common.kafka import EventProducer
from sightline_common.kafka.config import consumer_config
from sightline_common.messages import ReanalysisAction, ReanalysisPurpose, ReanalysisRequest
from sightline_common.shutdown import stop_on_signals

log = structlog.get_logger(__name__)

RunFactory = Callable[[ReanalysisRequest, RunSignals], ReplayRun]
_RETRY_S = 5.0


@dataclass
class _Job:
    """A start request being worked on here."""

    msg: KafkaMessage
    request: ReanalysisRequest
    signals: RunSignals = field(default_factory=RunSignals.new)
    future: Future[None] | None = None
    started: bool = False  # set (under the coordinator's lock) when it begins executing


@dataclass
class _PartitionLedger:
    """Offsets read from one partition and which of them are finished with."""

    pending: dict[int, bool] = field(default_factory=dict)  # offset -> done

    def commit_offset(self) -> int | None:
        """The offset to commit: the first unfinished one (or past the last read)."""
        if not self.pending:
            return None
        for offset in sorted(self.pending):
            if not self.pending[offset]:
                return offset
        return max(self.pending) + 1


class ReplayCoordinator:
    """One member of `<detector group>-replay`: consumes requests, executes runs."""

    def __init__(
        self,
        *,
        bootstrap: str,
        topic: str,
        group_id: str,
        client_id: str,
        detector: str,
        producer: EventProducer,
        make_run: RunFactory,
        concurrency: int,
    ) -> None:
        config = consumer_config(bootstrap, group_id, client_id)
        config.update({"enable.auto.commit": True, "auto.commit.interval.ms": 1000})
        self._consumer = Consumer(config)
        self._topic = topic
        self._group = group_id
        self._client_id = client_id
        self._detector = detector
        self._producer = producer
        self._make_run = make_run
        self._pool = ThreadPoolExecutor(max(1, concurrency), thread_name_prefix="run")
        self._lock = threading.Lock()
        self._jobs: dict[str, _Job] = {}
        self._cancelled: set[str] = set()
        self._ledgers: dict[int, _PartitionLedger] = {}
        self._committed: dict[int, int] = {}
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._log = log.bind(group=group_id, detector=detector)

    @property
    def ready(self) -> bool:
        """True once the consumer joined its group."""
        return self._ready.is_set()

    def active_runs(self) -> list[str]:
        """Run ids executing or queued here."""
        with self._lock:
            return sorted(self._jobs)

    def stop(self) -> None:
        """Leave after the runs in progress checkpointed (they resume elsewhere or later)."""
        self._stopping.set()

    def install_signal_handlers(self) -> None:
        """SIGTERM / SIGINT stop the coordinator gracefully."""
        stop_on_signals(self.stop, "replay.signal")

    def run(self) -> None:
        """Poll until stopped; then stop every run, commit what finished and leave."""
        self._consumer.subscribe(
            [self._topic], on_assign=self._assigned, on_revoke=self._revoked, on_lost=self._revoked
        )
        try:
            while not self._stopping.is_set():
                msg = self._consumer.poll(0.5)
                if msg is not None and msg.error() is None:
                    self._take(msg)
                elif msg is not None:
                    self._log.warning("replay.consumer_error", reason=str(msg.error()))
                self._commit()
        finally:
            try:
                self._halt(list(self._ledgers))
                self._pool.shutdown(wait=True)
                self._commit()
            finally:
                self._consumer.close()  # commits what was stored, leaves the group
                self._log.info("replay.coordinator_stopped")

    def _take(self, msg: KafkaMessage) -> None:
        partition, offset = msg.partition() or 0, msg.offset() or 0
        ledger = self._ledgers.setdefault(partition, _PartitionLedger())
        ledger.pending[offset] = False
        try:
            request: ReanalysisRequest = decode(msg.value() or b"", ReanalysisRequest).payload
        except PermanentError as exc:
            self._dead_letter(msg, exc.reason, type(exc).__name__)
            ledger.pending[offset] = True
            return
        bound = self._log.bind(run_id=request.run_id, offset=offset)
        if request.action == ReanalysisAction.cancel:
            self._cancel(request.run_id)
            bound.info("replay.cancel_received")
            ledger.pending[offset] = True
            return
        mine = not request.detectors or self._detector in request.detectors
        with self._lock:
            earlier = self._jobs.get(request.run_id)
        # A run still stopping after its partition was revoked is no duplicate: the request
        # came back (assigned here again) and must run once the stopping one checkpointed.
        stopping = earlier is not None and earlier.signals.stop.is_set()
        cancelled = request.run_id in self._cancelled
        # A wider backfill of a run known here: widen its queued job, or follow the running one.
        backfill = request.purpose is ReanalysisPurpose.backfill
        if mine and backfill and not cancelled and earlier is not None:
            if self._widen_queued(earlier, msg, request):
                bound.info("replay.backfill_widened", media_to=request.media_to)
                return
        elif not mine or (earlier is not None and not stopping) or cancelled:
            ledger.pending[offset] = True
            return
        job = _Job(msg, request)
        with self._lock:
            self._jobs[request.run_id] = job
        after = earlier.future if earlier is not None else None
        job.future = self._pool.submit(self._execute_after, after, job)
        bound.info("replay.run_queued", after_stopping_run=stopping)

    def _widen_queued(self, job: _Job, msg: KafkaMessage, request: ReanalysisRequest) -> bool:
        """Give a job not yet executing the wider `request` (its earlier message is done with);
        False when it already executes."""
        with self._lock:
            if job.started or job.signals.halted():
                return False
            earlier, job.msg, job.request = job.msg, msg, request
            ledger = self._ledgers.get(earlier.partition() or 0)
            if ledger is not None:
                ledger.pending[earlier.offset() or 0] = True
            return True

    def _execute_after(self, earlier: Future[None] | None, job: _Job) -> None:
        if earlier is not None:
            wait([earlier])  # its outcome is handled by its own job
        self._execute(job)

    def _execute(self, job: _Job) -> None:
        """Run `job` to an end; transient failures retry (resuming from the checkpoint)."""
        with self._lock:
            job.started = True  # from here on its request is the one executed
        bound = self._log.bind(run_id=job.request.run_id)
        outcome = Outcome.stopped
        try:
            while not job.signals.halted():
                try:
                    outcome = self._make_run(job.request, job.signals).execute()
                    break
                except TransientError as exc:
                    bound.warning("replay.run_retry", reason=str(exc), after_s=_RETRY_S)
                    job.signals.stop.wait(_RETRY_S)
            else:
                outcome = Outcome.cancelled if job.signals.cancel.is_set() else Outcome.stopped
        except PermanentError as exc:
            bound.error("replay.run_rejected", reason=exc.reason, error_type=type(exc).__name__)
            self._dead_letter(job.msg, exc.reason, type(exc).__name__)
            outcome = Outcome.completed
        except Exception as exc:  # noqa: BLE001 - a bug in one run must not stop the others
            bound.exception("replay.run_failed")
            self._dead_letter(job.msg, f"unexpected: {exc!r}", type(exc).__name__)
            outcome = Outcome.completed
        finally:
            self._finished(job, outcome)

    def _finished(self, job: _Job, outcome: Outcome) -> None:
        with self._lock:
            if self._jobs.get(job.request.run_id) is job:
                del self._jobs[job.request.run_id]
            if outcome is Outcome.stopped:
                return  # not finished: the request stays uncommitted and is resumed
            ledger = self._ledgers.get(job.msg.partition() or 0)
            if ledger is not None:
                ledger.pending[job.msg.offset() or 0] = True

    def _cancel(self, run_id: str) -> None:
        with self._lock:
            self._cancelled.add(run_id)
            job = self._jobs.get(run_id)
        if job is not None:
            job.signals.cancel.set()

    def _signal_stop(self, partitions: list[int]) -> list[_Job]:
        """Tell the runs of `partitions` to stop (they checkpoint and end on their own)."""
        with self._lock:
            jobs = [j for j in self._jobs.values() if (j.msg.partition() or 0) in partitions]
        for job in jobs:
            job.signals.stop.set()
        return jobs

    def _halt(self, partitions: list[int]) -> None:
        """Stop the runs of `partitions` and wait until each checkpointed (shutdown only:
        never from a rebalance callback)."""
        jobs = self._signal_stop(partitions)
        for job in jobs:
            if job.future is not None and not job.future.cancel():
                job.future.result()
            if job.future is not None and job.future.cancelled():
                self._finished(job, Outcome.stopped)

    def _commit(self) -> None:
        with self._lock:
            wanted = {
                p: o
                for p, ledger in self._ledgers.items()
                if (o := ledger.commit_offset()) is not None and self._committed.get(p) != o
            }
        if not wanted:
            return
        try:
            self._consumer.store_offsets(
                offsets=[TopicPartition(self._topic, p, o) for p, o in wanted.items()]
            )
        except KafkaException as exc:
            # A partition revoked or lost meanwhile: its next owner starts from the last
            # stored offset and skips what finished (runs are idempotent by run id).
            self._log.warning("replay.store_failed", reason=str(exc))
            return
        self._committed.update(wanted)

    def _dead_letter(self, msg: KafkaMessage, reason: str, error_type: str) -> None:
        dead_letter(
            self._producer,
            msg,
            group=self._group,
            reason=reason,
            error_type=error_type,
            client_id=self._client_id,
            log=self._log,
        )

    def _assigned(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._ready.set()
        self._log.info("replay.assigned", partitions=[tp.partition for tp in partitions])

    def _revoked(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        lost = [tp.partition for tp in partitions]
        self._signal_stop(lost)
        self._commit()  # stores what finished; librdkafka commits it as part of the revoke
        with self._lock:
            for p in lost:
                self._ledgers.pop(p, None)
                self._committed.pop(p, None)
        self._log.info("replay.revoked", partitions=lost)
