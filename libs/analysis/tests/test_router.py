"""The executor router: policy order, fallback on failure, breaker skips, permanent errors."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from sightline_analysis.analyzers import AnalyzerContext, AnalyzerRegistry, AnalyzerSet
from sightline_analysis.executors import (
    AnalysisCall,
    Executor,
    ExecutorAnswer,
    ExecutorConfig,
    ExecutorFailedError,
    ExecutorRouter,
    build_executor,
)
from sightline_analysis.executors.plugins.local import AnalyzerFailedError
from sightline_analysis.executors.router import ExecutorsExhaustedError, PolicyUnsatisfiableError
from sightline_analysis.frames import Frame
from sightline_common.errors import CorruptMediaError
from sightline_common.messages import ExecutorKind, ResultItem

ANALYZERS = AnalyzerSet([AnalyzerRegistry.discover().build("shots", AnalyzerContext())])
CALL = AnalysisCall("s1", [Frame(np.zeros((36, 64, 3), np.uint8), 0.0)])


class Scripted(Executor):
    """An executor whose answers are scripted: an exception to raise, or a label to return."""

    config_model = ExecutorConfig

    def __init__(self, kind: ExecutorKind, *script: Exception | str) -> None:
        super().__init__(ExecutorConfig(type=kind.value), ANALYZERS)
        self.kind = kind  # type: ignore[misc]
        self.script = list(script)
        self.calls = 0

    def run(self, call: AnalysisCall) -> ExecutorAnswer:
        self.calls += 1
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, Exception):
            raise step
        item = ResultItem(kind="label", label=step, confidence=1.0, area_share=None)
        return ExecutorAnswer([[item] for _ in call.frames], host=f"{self.kind.value}-host")


def router(*executors: Scripted, threshold: int = 3) -> ExecutorRouter:
    return ExecutorRouter("test", {e.kind: e for e in executors}, failure_threshold=threshold)


def test_the_first_executor_of_the_policy_answers() -> None:
    lan, local = Scripted(ExecutorKind.lan, "lan"), Scripted(ExecutorKind.local, "local")
    answer = router(lan, local).run([ExecutorKind.lan, ExecutorKind.local], CALL)
    assert (answer.kind, answer.host, answer.fallback_from) == (ExecutorKind.lan, "lan-host", [])
    assert local.calls == 0


def test_a_failing_executor_falls_back_and_says_so() -> None:
    lan = Scripted(ExecutorKind.lan, ExecutorFailedError("connection refused"))
    local = Scripted(ExecutorKind.local, "local")
    answer = router(lan, local).run([ExecutorKind.lan, ExecutorKind.local], CALL)
    assert answer.kind is ExecutorKind.local
    assert answer.fallback_from == [ExecutorKind.lan]
    assert answer.results[0][0].label == "local"


def test_an_open_breaker_skips_the_executor_without_calling_it() -> None:
    lan = Scripted(ExecutorKind.lan, ExecutorFailedError("down"))
    local = Scripted(ExecutorKind.local, "local")
    r = router(lan, local, threshold=2)
    for _ in range(4):
        answer = r.run([ExecutorKind.lan, ExecutorKind.local], CALL)
        assert answer.fallback_from == [ExecutorKind.lan]
    assert lan.calls == 2


def test_an_unconfigured_executor_counts_as_failed() -> None:
    local = Scripted(ExecutorKind.local, "local")
    answer = router(local).run([ExecutorKind.cloud, ExecutorKind.local], CALL)
    assert answer.fallback_from == [ExecutorKind.cloud]


def test_when_every_executor_fails_the_segment_is_retried_later() -> None:
    lan = Scripted(ExecutorKind.lan, ExecutorFailedError("down"))
    with pytest.raises(ExecutorsExhaustedError, match="lan: down"):
        router(lan).run([ExecutorKind.lan], CALL)


def test_a_policy_that_can_never_succeed_is_a_permanent_error_not_a_retry() -> None:
    lan = build_executor({"type": "lan", "hosts": []}, ANALYZERS)
    routes = ExecutorRouter("test", {ExecutorKind.lan: lan})
    with pytest.raises(PolicyUnsatisfiableError, match="lan: no LAN executor hosts configured"):
        routes.run([ExecutorKind.lan], CALL)
    with pytest.raises(PolicyUnsatisfiableError, match="cloud: not configured"):
        routes.run([ExecutorKind.cloud], CALL)


def test_a_permanent_error_is_not_masked_by_fallback() -> None:
    lan = Scripted(ExecutorKind.lan, CorruptMediaError("bad frames"))
    local = Scripted(ExecutorKind.local, "local")
    with pytest.raises(CorruptMediaError):
        router(lan, local).run([ExecutorKind.lan, ExecutorKind.local], CALL)
    assert local.calls == 0


def test_an_analyzer_crash_in_the_local_executor_is_a_permanent_error() -> None:
    class Broken(AnalyzerSet):
        def analyze(self, stream_id: str, frames: Sequence[Frame]) -> list[list[ResultItem]]:
            raise ZeroDivisionError("division by zero")

    local = build_executor({"type": "local"}, Broken(ANALYZERS.analyzers))
    with pytest.raises(AnalyzerFailedError, match="ZeroDivisionError"):
        router(local).run([ExecutorKind.local], CALL)  # type: ignore[arg-type]
