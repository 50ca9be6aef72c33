"""The `reanalysis` topic's consumer: starts, cancels and resumes runs for one detector.

Jobs wait in one queue and `replay_concurrency` worker threads execute them, a user's
reanalysis before any backfill. A backfill request (a live detector's skipped range) joins the
job of its stream: a range not yet begun is widened by a wider request of its run, otherwise
the range is added, and the job works through its ranges in turn with one analyzer start-up
(a live detector shedding under load asked for a run per 1-2 segments; each paid the start-up
and, queued ahead in the one run slot, delayed a requested reanalysis by a minute). A
reanalysis arriving while every slot executes a backfill makes one backfill give way between
segments: it publishes what is being analysed, checkpoints, and its remaining ranges wait for
the reanalysis. A backfill job that took the ranges it started with ends its turn when another
stream's job waits, so one stream shedding for good does not starve the others. A range is
executed after any job still executing its run (one that gave way or stops): it resumes from
that run's checkpoint, so nothing is analysed twice.

A start request stays uncommitted until its range has completed or was cancelled, so a worker
that dies mid-run gets the request again on restart (or another replica gets it after a
rebalance) and the run resumes from the checkpoint its segment reader committed. The consumer
keeps polling while runs execute, so cancels are seen while a run is busy and the group
membership stays alive however long a run takes.

Offsets are stored (never committed synchronously on the polling thread) and librdkafka
commits them in the background and on revoke. A revoke only tells the runs of the revoked
partitions to stop: it never waits for them inside the rebalance callback, which would hold up
the group (and the polling thread) for as long as a run takes to checkpoint.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import structlog
from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka import Message as KafkaMessage

from sightline_analysis.replay.dead_letters import dead_letter
from sightline_analysis.replay.run import Outcome, ReplayRun, RunSignals, RunWork
from sightline_common.envelope import decode
from sightline_common.errors import PermanentError, TransientError
from sightline_common.kafka import EventProducer
from sightline_common.kafka.config import consumer_config
from sightline_common.messages import ReanalysisAction, ReanalysisPurpose, ReanalysisRequest
from sightline_common.shutdown import stop_on_signals

log = structlog.get_logger(__name__)

RunFactory = Callable[[RunWork, RunSignals], ReplayRun]
_RETRY_S = 5.0


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


class _State(StrEnum):
    waiting = "waiting"
    executing = "executing"
    completed = "completed"


@dataclass
class _Entry:
    """One start request of a job, and the ledger (of this assignment) its offset is in."""

    msg: KafkaMessage
    request: ReanalysisRequest
    ledger: _PartitionLedger
    state: _State = _State.waiting

    @property
    def partition(self) -> int:
        return self.msg.partition() or 0

    def finish(self) -> None:
        """The request is done with: its offset may be committed."""
        self.ledger.pending[self.msg.offset() or 0] = True


@dataclass
class _Job:
    """Requests executed as one run: a reanalysis, or one stream's backfill ranges in turn."""

    entries: list[_Entry]
    signals: RunSignals = field(default_factory=RunSignals.new)
    turn: int = 0  # ranges it may take before another waiting job has its turn
    taken: int = 0

    @property
    def first(self) -> ReanalysisRequest:
        return self.entries[0].request

    @property
    def backfill(self) -> bool:
        return self.first.purpose is ReanalysisPurpose.backfill

    def run_ids(self) -> set[str]:
        """The runs whose ranges this job holds."""
        return {e.request.run_id for e in self.entries}

    def takes(self, request: ReanalysisRequest) -> bool:
        """Whether `request` can be analysed by this job's run: a backfill of the same stream,
        detectors and config (so the same analyzer set)."""
        first = self.first
        return (
            self.backfill
            and request.purpose is ReanalysisPurpose.backfill
            and (request.stream_id, request.detectors, request.config)
            == (first.stream_id, first.detectors, first.config)
        )

    def clashes(self, other: _Job) -> bool:
        """Whether the two must not execute at once (a run's checkpoint is read by one at a
        time; a stream's backfill ranges are taken in stream order)."""
        same_stream = (
            self.backfill and other.backfill and self.first.stream_id == other.first.stream_id
        )
        return same_stream or bool(self.run_ids() & other.run_ids())

    def add(self, entry: _Entry) -> None:
        """Take `entry`: a waiting entry of the same run keeps the later (wider) request, and
        the earlier one is done with; otherwise it is added after the others."""
        for held in self.entries:
            if held.request.run_id == entry.request.run_id and held.state is _State.waiting:
                later, earlier = (
                    (entry, held)
                    if (entry.msg.offset() or 0) >= (held.msg.offset() or 0)
                    else (held, entry)
                )
                earlier.finish()
                held.msg, held.request, held.ledger = later.msg, later.request, later.ledger
                return
        self.entries.append(entry)


class _JobWork:
    """A job's ranges as one execution asks for them (`RunWork`)."""

    def __init__(self, coordinator: ReplayCoordinator, job: _Job) -> None:
        self._coordinator = coordinator
        self._job = job

    def next(self) -> ReanalysisRequest | None:
        return self._coordinator._next_range(self._job)

    def completed(self, request: ReanalysisRequest) -> None:
        self._coordinator._range_completed(self._job, request)


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
        self._slots = max(1, concurrency)
        self._lock = threading.Condition()
        self._queue: list[_Job] = []
        self._running: list[_Job] = []
        self._closing = False
        self._cancelled: set[str] = set()
        self._ledgers: dict[int, _PartitionLedger] = {}
        self._committed: dict[int, int] = {}
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._log = log.bind(group=group_id, detector=detector)
        self._workers = [
            threading.Thread(target=self._work, name=f"run-{n}", daemon=True)
            for n in range(self._slots)
        ]
        for worker in self._workers:
            worker.start()

    @property
    def ready(self) -> bool:
        """True once the consumer joined its group."""
        return self._ready.is_set()

    def active_runs(self) -> list[str]:
        """Run ids executing or queued here."""
        with self._lock:
            return sorted(
                e.request.run_id
                for job in self._queue + self._running
                for e in job.entries
                if e.state is not _State.completed
            )

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
                self._shut_down()
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
        entry = _Entry(msg, request, ledger)
        with self._lock:
            if not mine or request.run_id in self._cancelled:
                entry.finish()
                return
            joined = self._join(entry)
            if joined is not None:
                bound.info("replay.backfill_joined", stream_id=request.stream_id,
                           media_to=request.media_to, ranges=len(joined.entries))  # fmt: skip
                return
            if self._known(request.run_id):
                entry.finish()  # a redelivered request of a run executing or queued here
                return
            job = _Job([entry])
            self._queue.append(job)
            self._make_way(job)
            self._lock.notify_all()
        bound.info("replay.run_queued", purpose=request.purpose.value)

    def _join(self, entry: _Entry) -> _Job | None:
        """The job of the stream that took backfill `entry` (None: it needs a job of its own).
        A job still executing takes it unless it was told to halt."""
        for job in self._queue + self._running:
            if job.takes(entry.request) and not job.signals.halted():
                job.add(entry)
                return job
        return None

    def _known(self, run_id: str) -> bool:
        """Whether `run_id` is queued or executing here and not halted."""
        return any(
            e.request.run_id == run_id and e.state is not _State.completed
            for job in self._queue + self._running
            if not job.signals.halted()
            for e in job.entries
        )

    def _make_way(self, job: _Job) -> None:
        """A reanalysis `job` that no free slot will take makes a running backfill give way."""
        if job.backfill or len(self._running) < self._slots:
            return
        if any(j.signals.give_way.is_set() for j in self._running):
            return  # one is giving way already
        backfills = [j for j in self._running if j.backfill and not j.signals.halted()]
        if backfills:
            backfills[0].signals.give_way.set()
            self._log.info("replay.backfill_gives_way", stream_id=backfills[0].first.stream_id,
                           to_run=job.first.run_id)  # fmt: skip

    def _eligible(self) -> list[_Job]:
        """Queued jobs that may start now: reanalyses first, each kind in arrival order."""
        free = [j for j in self._queue if not any(j.clashes(r) for r in self._running)]
        return sorted(free, key=lambda j: j.backfill)  # stable: arrival order within each

    def _work(self) -> None:
        """A worker thread: execute the next eligible job until the coordinator closes."""
        while True:
            with self._lock:
                while not self._closing and not self._eligible():
                    self._lock.wait()
                if self._closing:
                    return
                job = self._eligible()[0]
                self._queue.remove(job)
                self._running.append(job)
                job.turn = sum(1 for e in job.entries if e.state is _State.waiting)
            self._execute(job)

    def _next_range(self, job: _Job) -> ReanalysisRequest | None:
        """The job's next waiting range, unless it must halt or has had its turn while another
        job waits (its remaining ranges are queued again when it ends)."""
        with self._lock:
            if job.signals.halted():
                return None
            if job.taken >= job.turn and self._eligible():
                return None
            for entry in job.entries:
                if entry.state is _State.waiting:
                    entry.state = _State.executing
                    job.taken += 1
                    return entry.request
            return None

    def _range_completed(self, job: _Job, request: ReanalysisRequest) -> None:
        with self._lock:
            for entry in job.entries:
                if entry.request is request and entry.state is _State.executing:
                    entry.state = _State.completed
                    entry.finish()

    def _execute(self, job: _Job) -> None:
        """Run `job` to an end; transient failures retry (resuming from the checkpoint)."""
        bound = self._log.bind(run_id=job.first.run_id, stream_id=job.first.stream_id)
        outcome = Outcome.stopped
        try:
            while not job.signals.halted():
                try:
                    outcome = self._make_run(_JobWork(self, job), job.signals).execute()
                    break
                except TransientError as exc:
                    bound.warning("replay.run_retry", reason=str(exc), after_s=_RETRY_S)
                    self._rewind(job)
                    job.signals.stop.wait(_RETRY_S)
            else:
                outcome = job.signals.outcome()
        except PermanentError as exc:
            bound.error("replay.run_rejected", reason=exc.reason, error_type=type(exc).__name__)
            self._reject(job, exc.reason, type(exc).__name__)
        except Exception as exc:  # noqa: BLE001 - a bug in one run must not stop the others
            bound.exception("replay.run_failed")
            self._reject(job, f"unexpected: {exc!r}", type(exc).__name__)
        finally:
            self._ended(job, outcome)

    def _rewind(self, job: _Job) -> None:
        """The range an execution was analysing is taken again by the next one."""
        with self._lock:
            for entry in job.entries:
                if entry.state is _State.executing:
                    entry.state = _State.waiting
                    job.taken -= 1

    def _reject(self, job: _Job, reason: str, error_type: str) -> None:
        """Dead-letter the request that failed (the one executing, or the first waiting when
        the run failed before taking one); the job's others are queued again."""
        with self._lock:
            failed = next(
                (e for e in job.entries if e.state is _State.executing),
                next((e for e in job.entries if e.state is _State.waiting), None),
            )
            if failed is not None:
                failed.state = _State.completed
        if failed is not None:
            self._dead_letter(failed.msg, reason, error_type)
            failed.finish()

    def _ended(self, job: _Job, outcome: Outcome) -> None:
        """Done with `job` here: its finished and cancelled requests may be committed, the
        rest are queued again, unless this worker stops or their partition went elsewhere
        (then they stay uncommitted and are resumed from their checkpoints)."""
        with self._lock:
            self._running.remove(job)
            leftover: list[_Entry] = []
            for entry in job.entries:
                if entry.state is _State.completed:
                    continue
                if entry.request.run_id in self._cancelled:
                    entry.finish()
                elif not self._closing and self._ledgers.get(entry.partition) is entry.ledger:
                    entry.state = _State.waiting
                    leftover.append(entry)
            if leftover:
                self._requeue(leftover)
            self._lock.notify_all()
        self._log.info("replay.job_ended", run_id=job.first.run_id, stream_id=job.first.stream_id,
                       outcome=outcome.value, ranges=job.taken, requeued=len(leftover))  # fmt: skip

    def _requeue(self, leftover: list[_Entry]) -> None:
        """Queue `leftover` again, behind the jobs waiting (its turn is over), but ahead of
        what joined its stream's job meanwhile."""
        queued = next(
            (j for j in self._queue if j.takes(leftover[0].request) and not j.signals.halted()),
            None,
        )
        if queued is None:
            self._queue.append(_Job(leftover))
            return
        later, queued.entries = queued.entries, list(leftover)
        for entry in later:
            queued.add(entry)

    def _cancel(self, run_id: str) -> None:
        with self._lock:
            self._cancelled.add(run_id)
            for job in self._queue + self._running:
                self._drop(job, lambda e: e.request.run_id == run_id, finish=True)
                if any(
                    e.request.run_id == run_id and e.state is _State.executing for e in job.entries
                ):
                    job.signals.cancel.set()

    def _drop(self, job: _Job, which: Callable[[_Entry], bool], *, finish: bool) -> None:
        """Remove the waiting entries `which` selects from `job` (and a queued job left with
        none from the queue); `finish`: their requests are done with."""
        for entry in [e for e in job.entries if e.state is _State.waiting and which(e)]:
            job.entries.remove(entry)
            if finish:
                entry.finish()
        if not job.entries and job in self._queue:
            self._queue.remove(job)

    def _shut_down(self) -> None:
        """Stop every run, wait until each checkpointed and end the worker threads (shutdown
        only: never from a rebalance callback). Queued requests stay uncommitted."""
        with self._lock:
            self._closing = True
            self._queue.clear()
            for job in self._running:
                job.signals.stop.set()
            self._lock.notify_all()
        for worker in self._workers:
            worker.join()

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
        """Requests of `partitions` are left to their next owner: the queued ones are dropped,
        a run executing one is told to stop (the job's other ranges are queued again)."""
        lost = {tp.partition for tp in partitions}
        with self._lock:
            for job in self._queue + self._running:
                self._drop(job, lambda e: e.partition in lost, finish=False)
                if any(e.partition in lost and e.state is _State.executing for e in job.entries):
                    job.signals.stop.set()
        self._commit()  # stores what finished; librdkafka commits it as part of the revoke
        with self._lock:
            for p in lost:
                self._ledgers.pop(p, None)
                self._committed.pop(p, None)
        self._log.info("replay.revoked", partitions=sorted(lost))
