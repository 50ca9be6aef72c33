"""Logo analyzer: the shared `LogoMatcher` run on every sampled frame."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

from sightline_analysis.analyzers.base import Analyzer, AnalyzerConfig, collect, normalised_box
from sightline_analysis.frames import Frame
from sightline_analysis.logo.matcher import LogoMatcher
from sightline_common.messages import Point, ResultItem

KEY: Final = "logo"


class LogoConfig(AnalyzerConfig):
    """The logo analyzer has no settings of its own; the matcher carries the tuning."""

    type: Literal["logo"] = KEY


class LogoAnalyzer(Analyzer):
    """Reports each brand of the logo library seen in a frame: box, polygon, prominence."""

    key = KEY
    config_model = LogoConfig

    @property
    def matcher(self) -> LogoMatcher:
        """The matcher the context shares (followed logo library)."""
        if self.context.logo_matcher is None:
            raise RuntimeError("the logo analyzer needs a LogoMatcher in its context")
        return self.context.logo_matcher

    def describe(self) -> dict[str, object]:
        """The matcher's tuning shapes the output, so it is part of the fingerprint."""
        return {**super().describe(), "matcher": self.matcher.config.model_dump(mode="json")}

    def analyze(self, stream_id: str, frames: Sequence[Frame]) -> list[list[ResultItem]]:
        """Verified logo sightings per frame."""
        out = collect(frames)
        for slot, frame in zip(out, frames, strict=True):
            for match in self.matcher.match(frame.image):
                box = normalised_box(match.box, frame.width, frame.height)
                slot.append(
                    ResultItem(
                        kind="logo",
                        label=match.brand,
                        confidence=match.confidence,
                        box=box,
                        polygon=[
                            Point(x=float(x) / frame.width, y=float(y) / frame.height)
                            for x, y in match.polygon
                        ],
                        area_share=round(box.w * box.h, 6),
                        attributes={"logo_id": match.logo_id, "inliers": match.inliers},
                    )
                )
        return out
