"""The replay coordinator's scheduling: a stream's backfill ranges are taken as one job (one
analyzer start-up), a growing range is widened or resumed, a waiting reanalysis goes first and
makes a running backfill give way, streams take turns, and every request is committed once its
range ended."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from sightline_analysis.replay.coordinator import ReplayCoordinator
from sightline_analysis.replay.run import Outcome, RunSignals, RunWork
from sightline_common.envelope import encode, wrap
from sightline_common.messages import ReanalysisAction, ReanalysisPurpose, ReanalysisRequest

BACKFILL, REANALYSIS = ReanalysisPurpose.backfill, ReanalysisPurpose.reanalysis


class Record:
    """The parts of a consumed Kafka record the coordinator reads."""

    def __init__(
        self,
        offset: int,
        run_id: str,
        media_to: float,
        *,
        stream_id: str = "cam-1",
        purpose: ReanalysisPurpose = BACKFILL,
        action: ReanalysisAction = ReanalysisAction.start,
    ) -> None:
        request = ReanalysisRequest.model_validate(
            {
                "run_id": run_id,
                "action": action,
                "purpose": purpose,
                "stream_id": stream_id,
                "media_to": media_to,
                "detectors": ["logo"],
            }
        )
        self._offset = offset
        self._value = encode(wrap(request, key=run_id, producer="detector-logo/test"))

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return self._offset

    def value(self) -> bytes:
        return self._value

    def topic(self) -> str:
        return "reanalysis"


@dataclass
class Executions:
    """What the fake runs did: per execution (one analyzer start-up), the ranges it analysed,
    as (run id, media_to); a run in `held` waits inside its range until released (or halted,
    when it ends without completing the range, as a real run checkpoints and stops)."""

    ranges: list[list[tuple[str, float | None]]]
    held: dict[str, threading.Event]
    lock: threading.Lock

    def factory(self) -> Callable[[RunWork, RunSignals], FakeRun]:
        def make(work: RunWork, signals: RunSignals) -> FakeRun:
            return FakeRun(self, work, signals)

        return make

    def started(self, run_id: str) -> bool:
        with self.lock:
            return any(run == run_id for execution in self.ranges for run, _ in execution)


class FakeRun:
    """A run that records which ranges it was handed, in one execution."""

    def __init__(self, log: Executions, work: RunWork, signals: RunSignals) -> None:
        self._log, self._work, self._signals = log, work, signals

    def execute(self) -> Outcome:
        with self._log.lock:
            self._log.ranges.append([])
            mine = self._log.ranges[-1]
        while (request := self._work.next()) is not None:
            with self._log.lock:
                mine.append((request.run_id, request.media_to))
            gate = self._log.held.get(request.run_id)
            while gate is not None and not gate.wait(0.01):
                if self._signals.halted():
                    return self._signals.outcome()
            self._work.completed(request)
        return self._signals.outcome()


def until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


@pytest.fixture
def runs() -> Executions:
    return Executions([], {}, threading.Lock())


@pytest.fixture
def coordinator(runs: Executions) -> Iterator[ReplayCoordinator]:
    made = ReplayCoordinator(
        bootstrap="127.0.0.1:9",  # never contacted: records are handed over directly
        topic="reanalysis",
        group_id="g",
        client_id="test",
        detector="logo",
        producer=None,  # type: ignore[arg-type]  # nothing is dead-lettered here
        make_run=runs.factory(),  # type: ignore[arg-type]  # a fake run
        concurrency=1,
    )
    try:
        yield made
    finally:
        for gate in runs.held.values():
            gate.set()
        made._shut_down()
        made._consumer.close()


def take(coordinator: ReplayCoordinator, *records: Record) -> None:
    for record in records:
        coordinator._take(record)  # type: ignore[arg-type]


def all_done(coordinator: ReplayCoordinator, offsets: int) -> Callable[[], bool]:
    return lambda: coordinator._ledgers[0].commit_offset() == offsets


def test_a_growing_backfill_is_widened_and_resumed_in_the_same_execution(
    runs: Executions, coordinator: ReplayCoordinator
) -> None:
    runs.held["backfill-a-0"] = threading.Event()
    take(coordinator, Record(0, "backfill-a-0", 3.0))
    until(lambda: runs.started("backfill-a-0"), "the first range executes")
    take(coordinator, Record(1, "backfill-a-0", 5.0))  # executing: the range is added again
    take(coordinator, Record(2, "backfill-a-0", 7.0))  # widens the added one
    assert coordinator._ledgers[0].commit_offset() == 0  # not done: redelivered on a crash
    runs.held.pop("backfill-a-0").set()
    until(all_done(coordinator, 3), "every request done with")
    assert runs.ranges == [[("backfill-a-0", 3.0), ("backfill-a-0", 7.0)]]


def test_backfill_ranges_of_one_stream_queued_meanwhile_are_taken_by_one_execution(
    runs: Executions, coordinator: ReplayCoordinator
) -> None:
    runs.held["backfill-b-0"] = threading.Event()
    take(coordinator, Record(0, "backfill-b-0", 1.0, stream_id="cam-2"))
    until(lambda: runs.started("backfill-b-0"), "another stream's backfill executes")
    take(
        coordinator,
        Record(1, "backfill-a-0", 3.0),
        Record(2, "backfill-a-4", 7.0),
        Record(3, "backfill-a-8", 11.0),
    )
    runs.held.pop("backfill-b-0").set()
    until(all_done(coordinator, 4), "every request done with")
    assert runs.ranges == [
        [("backfill-b-0", 1.0)],
        [("backfill-a-0", 3.0), ("backfill-a-4", 7.0), ("backfill-a-8", 11.0)],
    ]


def test_a_reanalysis_goes_first_and_a_running_backfill_gives_way_to_it(
    runs: Executions, coordinator: ReplayCoordinator
) -> None:
    runs.held["backfill-a-0"] = threading.Event()  # never released: it must give way
    take(coordinator, Record(0, "backfill-a-0", 3.0), Record(1, "backfill-a-4", 7.0))
    until(lambda: runs.started("backfill-a-0"), "the backfill executes")
    take(coordinator, Record(2, "backfill-b-0", 1.0, stream_id="cam-2"))
    take(coordinator, Record(3, "user-run", 60.0, purpose=REANALYSIS))
    until(lambda: runs.started("user-run"), "the reanalysis executes")
    runs.held.pop("backfill-a-0").set()
    until(all_done(coordinator, 4), "every request done with")
    # The backfill resumes its range (from its checkpoint) with the rest of its stream's,
    # after the stream that waited.
    assert runs.ranges == [
        [("backfill-a-0", 3.0)],
        [("user-run", 60.0)],
        [("backfill-b-0", 1.0)],
        [("backfill-a-0", 3.0), ("backfill-a-4", 7.0)],
    ]


def test_a_stream_that_keeps_shedding_ends_its_turn_when_another_stream_waits(
    runs: Executions, coordinator: ReplayCoordinator
) -> None:
    runs.held["backfill-a-0"] = threading.Event()
    take(coordinator, Record(0, "backfill-a-0", 3.0))
    until(lambda: runs.started("backfill-a-0"), "stream a's backfill executes")
    take(coordinator, Record(1, "backfill-a-4", 7.0))  # joins the executing job
    take(coordinator, Record(2, "backfill-b-0", 1.0, stream_id="cam-2"))
    runs.held.pop("backfill-a-0").set()
    until(all_done(coordinator, 3), "every request done with")
    assert runs.ranges == [
        [("backfill-a-0", 3.0)],
        [("backfill-b-0", 1.0)],
        [("backfill-a-4", 7.0)],
    ]


def test_a_cancelled_queued_range_is_not_executed_and_is_committed(
    runs: Executions, coordinator: ReplayCoordinator
) -> None:
    runs.held["backfill-b-0"] = threading.Event()
    take(coordinator, Record(0, "backfill-b-0", 1.0, stream_id="cam-2"))
    until(lambda: runs.started("backfill-b-0"), "another stream's backfill executes")
    take(coordinator, Record(1, "backfill-a-0", 3.0), Record(2, "backfill-a-4", 7.0))
    take(coordinator, Record(3, "backfill-a-0", 0.0, action=ReanalysisAction.cancel))
    runs.held.pop("backfill-b-0").set()
    until(all_done(coordinator, 4), "every request done with")
    assert runs.ranges == [[("backfill-b-0", 1.0)], [("backfill-a-4", 7.0)]]
