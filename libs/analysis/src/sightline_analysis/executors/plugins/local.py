"""Local executor: the analyzers run in this process."""

from __future__ import annotations

from typing import Literal

from sightline_analysis.executors.base import AnalysisCall, Executor, ExecutorAnswer, ExecutorConfig
from sightline_common.errors import PermanentError
from sightline_common.messages import ExecutorKind


class AnalyzerFailedError(PermanentError):
    """An analyzer raised on this segment's frames: the segment is dead-lettered."""


class LocalConfig(ExecutorConfig):
    """Nothing to configure: the analyzers are already built."""

    type: Literal["local"] = "local"


class LocalExecutor(Executor):
    """Calls the detector's analyzers directly."""

    kind = ExecutorKind.local
    config_model = LocalConfig

    def run(self, call: AnalysisCall) -> ExecutorAnswer:
        """Results from the in-process analyzers; an analyzer's crash is permanent."""
        try:
            results = self.analyzers.analyze(call.stream_id, call.frames)
            return ExecutorAnswer(results, late=self.analyzers.late(call.stream_id))
        except Exception as exc:
            raise AnalyzerFailedError(f"analyzer failed: {type(exc).__name__}: {exc}") from exc
