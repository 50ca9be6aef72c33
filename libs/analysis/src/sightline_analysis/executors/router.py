"""Runs a call on the stream's preferred executor, falling back along its policy's chain.

Each executor kind has its own circuit breaker, so a dead LAN pool or a failing cloud API is
skipped at once (recorded as a fallback) instead of costing a timeout on every segment.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import structlog

from sightline_analysis import metrics
from sightline_analysis.analyzers import LateResult
from sightline_analysis.breaker import BreakerState, CircuitBreaker
from sightline_analysis.executors.base import AnalysisCall, Executor, ExecutorFailedError
from sightline_common.errors import PermanentError, TransientError
from sightline_common.messages import ExecutorKind, ResultItem

log = structlog.get_logger(__name__)


class ExecutorsExhaustedError(TransientError):
    """No executor of the policy could analyse the segment now; retry it later."""


class PolicyUnsatisfiableError(PermanentError):
    """No executor of the policy can ever answer as deployed (none configured, or each one
    unusable, e.g. `["lan"]` without LAN hosts): retrying would stall the stream for good."""


@dataclass(frozen=True)
class RoutedAnswer:
    """What the winning executor produced, and who failed before it."""

    results: list[list[ResultItem]]
    kind: ExecutorKind
    host: str | None
    latency_ms: float
    fallback_from: list[ExecutorKind] = field(default_factory=list)
    late: list[LateResult] = field(default_factory=list)
    """Results on the stream's previous call's frames (`Analyzer.late`)."""


class ExecutorRouter:
    """Holds the built executors (by kind) and one breaker per kind."""

    def __init__(
        self,
        detector: str,
        executors: Mapping[ExecutorKind, Executor],
        failure_threshold: int = 3,
        reset_after: float = 15.0,
    ) -> None:
        self._detector = detector
        self._executors = dict(executors)
        self._breakers = {
            kind: CircuitBreaker(failure_threshold, reset_after) for kind in self._executors
        }

    def run(self, chain: Sequence[ExecutorKind], call: AnalysisCall) -> RoutedAnswer:
        """Results from the first executor of `chain` that answers.

        Raises `ExecutorsExhaustedError` when none does; a `PermanentError` from an executor
        (the input is at fault) propagates at once.
        """
        self._check_satisfiable(chain)
        failed: list[ExecutorKind] = []
        reasons: list[str] = []
        for kind in (ExecutorKind(k) for k in chain):  # schema defaults arrive as plain str
            executor = self._executors.get(kind)
            breaker = self._breakers.get(kind)
            if executor is None or breaker is None:
                reasons.append(f"{kind.value}: not configured")
                failed.append(kind)
                continue
            if not breaker.allow():
                metrics.EXECUTOR_CALLS.labels(self._detector, kind.value, "skipped").inc()
                reasons.append(f"{kind.value}: circuit open")
                failed.append(kind)
                continue
            started = time.perf_counter()
            try:
                answer = executor.run(call)
            except ExecutorFailedError as exc:
                self._record(kind, breaker, ok=False)
                log.warning("executor.failed", executor=kind.value, reason=str(exc),
                            stream_id=call.stream_id)  # fmt: skip
                reasons.append(f"{kind.value}: {exc}")
                failed.append(kind)
                continue
            elapsed = time.perf_counter() - started
            self._record(kind, breaker, ok=True)
            metrics.EXECUTOR_SECONDS.labels(self._detector, kind.value).observe(elapsed)
            for earlier in dict.fromkeys(failed):
                metrics.EXECUTOR_FALLBACKS.labels(self._detector, earlier.value, kind.value).inc()
            return RoutedAnswer(
                results=answer.results,
                kind=kind,
                host=answer.host,
                latency_ms=round(elapsed * 1000, 3),
                fallback_from=list(dict.fromkeys(failed)),
                late=answer.late,
            )
        raise ExecutorsExhaustedError("no executor answered: " + "; ".join(reasons))

    def _check_satisfiable(self, chain: Sequence[ExecutorKind]) -> None:
        reasons: list[str] = []
        for kind in (ExecutorKind(k) for k in chain):
            executor = self._executors.get(kind)
            why = "not configured" if executor is None else executor.unusable_because()
            if why is None:
                return
            reasons.append(f"{kind.value}: {why}")
        raise PolicyUnsatisfiableError(
            "the executor policy can never succeed here: " + ("; ".join(reasons) or "empty")
        )

    def close(self) -> None:
        """Close every executor's connections."""
        for executor in self._executors.values():
            executor.close()

    def _record(self, kind: ExecutorKind, breaker: CircuitBreaker, *, ok: bool) -> None:
        if ok:
            breaker.record_success()
        else:
            breaker.record_failure()
        metrics.EXECUTOR_CALLS.labels(self._detector, kind.value, "ok" if ok else "failed").inc()
        is_open = breaker.state is not BreakerState.CLOSED
        metrics.BREAKER_OPEN.labels(self._detector, kind.value).set(1 if is_open else 0)
