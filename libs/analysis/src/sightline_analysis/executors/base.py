"""The one interface every execution strategy implements (same plugin pattern as analyzers)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from sightline_analysis.analyzers import AnalyzerSet, LateResult
from sightline_analysis.frames import Frame
from sightline_common.messages import ExecutorKind, ResultItem


class ExecutorFailedError(Exception):
    """This executor could not produce results now (unreachable, timed out, refused): the
    router falls back to the next executor in the stream's policy."""


class ExecutorConfig(BaseModel):
    """Base of every executor's settings; `type` is the plugin key."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    type: str


@dataclass(frozen=True)
class AnalysisCall:
    """One segment's sampled frames to analyse for one stream."""

    stream_id: str
    frames: Sequence[Frame]


@dataclass(frozen=True)
class ExecutorAnswer:
    """Per-frame results, those added to the stream's previous call's frames
    (`Analyzer.late`), and the host that computed them (None when in process)."""

    results: list[list[ResultItem]]
    host: str | None = None
    late: list[LateResult] = field(default_factory=list)


class Executor(ABC):
    """Runs a detector's `AnalyzerSet` somewhere and returns one result list per frame.

    Raises `ExecutorFailedError` when the strategy cannot answer (the router falls back); a
    `PermanentError` when the input itself is at fault (the segment is dead-lettered).
    """

    kind: ClassVar[ExecutorKind]
    config_model: ClassVar[type[ExecutorConfig]]

    def __init__(self, config: ExecutorConfig, analyzers: AnalyzerSet) -> None:
        self.config = config
        self.analyzers = analyzers

    @abstractmethod
    def run(self, call: AnalysisCall) -> ExecutorAnswer:
        """Analyse `call.frames`; exactly one result list per frame, in order."""

    def unusable_because(self) -> str | None:
        """Why this executor can never answer as configured (e.g. no LAN hosts), or None.

        Not a passing outage: a policy made only of unusable executors can never succeed.
        """
        return None

    def close(self) -> None:  # noqa: B027 - only remote executors hold connections
        """Release connections."""


def check_shape(results: Sequence[object], frames: Sequence[Frame], who: str) -> None:
    """A remote answer must have one result list per frame sent."""
    if len(results) != len(frames):
        raise ExecutorFailedError(f"{who} answered {len(results)} results for {len(frames)} frames")
