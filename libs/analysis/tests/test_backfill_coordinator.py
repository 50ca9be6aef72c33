"""The replay coordinator with growing backfill requests: a queued run is widened, a running one
is followed by one run that resumes it, and every request is committed once its run ended."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sightline_analysis.replay.coordinator import ReplayCoordinator
from sightline_analysis.replay.run import Outcome, RunSignals
from sightline_common.envelope import encode, wrap
from sightline_common.messages import ReanalysisAction, ReanalysisPurpose, ReanalysisRequest

RUN = "backfill-logo-cam-1-0"


class Record:
    """The parts of a consumed Kafka record the coordinator reads."""

    def __init__(self, offset: int, media_to: float) -> None:
        request = ReanalysisRequest.model_validate(
            {
                "run_id": RUN,
                "action": ReanalysisAction.start,
                "purpose": ReanalysisPurpose.backfill,
                "stream_id": "cam-1",
                "media_to": media_to,
                "detectors": ["logo"],
            }
        )
        self._offset = offset
        self._value = encode(wrap(request, key=RUN, producer="detector-logo/test"))

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return self._offset

    def value(self) -> bytes:
        return self._value

    def topic(self) -> str:
        return "reanalysis"


class HeldRun:
    """A run that records its range's end; the first one executes until released."""

    executed: list[float | None]
    release: threading.Event

    def __init__(self, request: ReanalysisRequest, _signals: RunSignals) -> None:
        self.request = request

    def execute(self) -> Outcome:
        HeldRun.executed.append(self.request.media_to)
        if len(HeldRun.executed) == 1:
            HeldRun.release.wait(10)
        return Outcome.completed


def until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


def test_a_growing_backfill_widens_the_queued_run_and_resumes_after_the_running_one() -> None:
    HeldRun.executed, HeldRun.release = [], threading.Event()
    coordinator = ReplayCoordinator(
        bootstrap="127.0.0.1:9",  # never contacted: records are handed over directly
        topic="reanalysis",
        group_id="g",
        client_id="test",
        detector="logo",
        producer=None,  # type: ignore[arg-type]  # nothing is dead-lettered here
        make_run=HeldRun,
        concurrency=1,
    )
    try:
        coordinator._take(Record(0, 3.0))  # type: ignore[arg-type]
        until(lambda: HeldRun.executed == [3.0], "the first run executes")
        coordinator._take(Record(1, 5.0))  # type: ignore[arg-type]  # running: a follow-up
        coordinator._take(Record(2, 7.0))  # type: ignore[arg-type]  # widens the follow-up
        ledger = coordinator._ledgers[0]
        assert ledger.commit_offset() == 0  # the first run is not done: redelivered on a crash
        HeldRun.release.set()
        until(lambda: ledger.commit_offset() == 3, "every request done with")
        assert HeldRun.executed == [3.0, 7.0]  # the follow-up ran once, with the widest range
    finally:
        HeldRun.release.set()
        coordinator._pool.shutdown(wait=True)
        coordinator._consumer.close()
