"""The contract every analyzer plugin fulfils (Frigate's DetectionApi pattern).

A plugin is one module under `analyzers/plugins/` holding a config class (a pydantic model
whose `type` is `Literal[KEY]`) and an `Analyzer` subclass with that `key`; the registry finds
it by key, so adding an analyzer touches nothing else.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, ConfigDict

from sightline_analysis.frames import Frame
from sightline_common.messages import Box, ResultItem

if TYPE_CHECKING:
    from sightline_analysis.logo.matcher import LogoMatcher


class AnalyzerConfig(BaseModel):
    """Base of every analyzer's settings; `type` is the plugin key (the discriminator)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    type: str


@dataclass(frozen=True)
class AnalyzerContext:
    """Shared resources an analyzer may need that are not configuration (live state)."""

    logo_matcher: LogoMatcher | None = None


@dataclass(frozen=True)
class LateResult:
    """A result on a frame of the stream's previous `analyze` call, answered already: `ago`
    frames before the first frame of the call that found it (1: the previous call's last)."""

    ago: int
    item: ResultItem


class Analyzer(ABC):
    """Turns a segment's sampled frames into per-frame results.

    `analyze` returns one list of `ResultItem` per input frame, in order. Analyzers that need
    state across segments keep it per stream id and drop it in `forget` (called when a
    partition is revoked: the state is then rebuilt safely by whichever member gets it).
    """

    key: ClassVar[str]
    version: ClassVar[str] = "1"
    config_model: ClassVar[type[AnalyzerConfig]]

    def __init__(self, config: AnalyzerConfig, context: AnalyzerContext) -> None:
        self.config = config
        self.context = context

    @abstractmethod
    def analyze(self, stream_id: str, frames: Sequence[Frame]) -> list[list[ResultItem]]:
        """Per-frame results for `frames` of `stream_id`."""

    def late(self, stream_id: str) -> list[LateResult]:
        """The results the stream's last `analyze` found on frames of the call before it (a
        logo that entered there and was only verified now, followed back): the caller adds
        them to what it reported for those frames. None by default."""
        return []

    def forget(self, stream_id: str) -> None:  # noqa: B027 - stateless analyzers keep nothing
        """Drop any state kept for `stream_id`."""

    def describe(self) -> dict[str, object]:
        """Everything that shapes this analyzer's output, for the fingerprint."""
        return self.config.model_dump(mode="json")

    def fingerprint(self) -> str:
        """A stable hash of key, version and configuration (part of detection event ids)."""
        body = json.dumps(
            {"key": self.key, "version": self.version, "config": self.describe()}, sort_keys=True
        )
        return hashlib.sha256(body.encode()).hexdigest()[:16]


def normalised_box(box: tuple[float, float, float, float], width: int, height: int) -> Box:
    """A pixel (x, y, w, h) box clipped to the frame and expressed as 0..1 fractions of it."""
    x, y, w, h = box
    left = min(max(x, 0.0), float(width))
    top = min(max(y, 0.0), float(height))
    right = min(max(x + w, 0.0), float(width))
    bottom = min(max(y + h, 0.0), float(height))
    return Box(x=left / width, y=top / height, w=(right - left) / width, h=(bottom - top) / height)


def collect(frames: Sequence[Frame]) -> list[list[ResultItem]]:
    """An empty result list per frame, to fill in."""
    return [[] for _ in frames]
