"""Finds analyzer plugins by key and builds the set a detector runs."""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
from collections.abc import Iterable, Mapping, Sequence
from types import ModuleType
from typing import Any

from sightline_analysis.analyzers import plugins
from sightline_analysis.analyzers.base import Analyzer, AnalyzerConfig, AnalyzerContext, LateResult
from sightline_analysis.frames import Frame
from sightline_common.messages import ResultItem

WARM_UP_STREAM = "warm-up"
"""The stream id of `AnalyzerSet.warm_up`'s frames, forgotten before any segment is analysed."""


class UnknownAnalyzerError(KeyError):
    """No plugin is registered under the requested key."""


class AnalyzerRegistry:
    """Analyzer classes by key, discovered from a plugin package's modules."""

    def __init__(self, classes: Iterable[type[Analyzer]]) -> None:
        self._classes: dict[str, type[Analyzer]] = {}
        for cls in classes:
            if cls.key in self._classes:
                raise ValueError(f"two analyzers registered under {cls.key!r}")
            self._classes[cls.key] = cls

    @classmethod
    def discover(cls, package: ModuleType = plugins) -> AnalyzerRegistry:
        """Every concrete `Analyzer` defined in a module of `package`."""
        found: list[type[Analyzer]] = []
        for info in pkgutil.iter_modules(package.__path__, prefix=f"{package.__name__}."):
            module = importlib.import_module(info.name)
            for value in vars(module).values():
                if (
                    isinstance(value, type)
                    and issubclass(value, Analyzer)
                    and value.__module__ == module.__name__
                    and "key" in vars(value)
                ):
                    found.append(value)
        return cls(found)

    @property
    def keys(self) -> list[str]:
        """The registered keys, sorted."""
        return sorted(self._classes)

    def build(
        self, key: str, context: AnalyzerContext, config: Mapping[str, Any] | None = None
    ) -> Analyzer:
        """An analyzer of `key` with `config` validated by its plugin's config class."""
        cls = self._class(key)
        return cls(self.validate(key, config), context)

    def validate(self, key: str, config: Mapping[str, Any] | None) -> AnalyzerConfig:
        """`config` validated by `key`'s plugin config class (pydantic's ValidationError)."""
        return self._class(key).config_model.model_validate({**(config or {}), "type": key})

    def _class(self, key: str) -> type[Analyzer]:
        try:
            return self._classes[key]
        except KeyError as exc:
            raise UnknownAnalyzerError(f"no analyzer {key!r}; known: {self.keys}") from exc


class AnalyzerSet:
    """The analyzers one detector runs over each segment, their results merged per frame."""

    def __init__(self, analyzers: Sequence[Analyzer]) -> None:
        if not analyzers:
            raise ValueError("a detector needs at least one analyzer")
        self.analyzers = list(analyzers)

    @property
    def keys(self) -> list[str]:
        """The analyzers' keys, in run order."""
        return [a.key for a in self.analyzers]

    def analyze(self, stream_id: str, frames: Sequence[Frame]) -> list[list[ResultItem]]:
        """Every analyzer's results for each frame, concatenated in run order."""
        merged: list[list[ResultItem]] = [[] for _ in frames]
        for analyzer in self.analyzers:
            for slot, results in zip(merged, analyzer.analyze(stream_id, frames), strict=True):
                slot.extend(results)
        return merged

    def late(self, stream_id: str) -> list[LateResult]:
        """Every analyzer's `late` results of its last `analyze` of `stream_id`, in run
        order."""
        return [late for analyzer in self.analyzers for late in analyzer.late(stream_id)]

    def forget(self, stream_id: str) -> None:
        """Drop every analyzer's state for `stream_id`."""
        for analyzer in self.analyzers:
            analyzer.forget(stream_id)

    def warm_up(self, frames: Sequence[Frame]) -> None:
        """Analyse `frames` once under a stream id no segment carries, keep nothing of it.

        A model's first inference costs about twice a steady one (graphs built, buffers
        allocated): in the e2e bench the first segment after a detector started took 1.20 s
        (logo) and 1.35 s (visual) of analysis against ~0.65 s in steady state, so every live
        stream's first segments after a (re)start came late. A detector pays that here, before
        it takes its first segment.
        """
        self.analyze(WARM_UP_STREAM, frames)
        self.forget(WARM_UP_STREAM)

    def fingerprint(self) -> str:
        """A stable hash over the member analyzers' fingerprints."""
        joined = ",".join(a.fingerprint() for a in self.analyzers)
        return hashlib.sha256(joined.encode()).hexdigest()[:16]
