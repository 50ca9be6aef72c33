"""Building a detector's analyzer set and the followers that keep its live inputs current.

Live analysis builds one set for the detector's lifetime; a reanalysis run builds its own, with
the run's overrides, so a changed threshold yields another configuration hash.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sightline_analysis.analyzers import AnalyzerContext, AnalyzerRegistry, AnalyzerSet
from sightline_analysis.logo.learned.proposals import ProposalConfig, ProposalMatcher
from sightline_analysis.logo.learned.weights import WeightsStore
from sightline_analysis.logo.library import LogoLibrary
from sightline_analysis.logo.matcher import LogoMatcher, MatcherConfig
from sightline_analysis.settings import DetectorSettings
from sightline_common.kafka.follower import CompactedTopicFollower
from sightline_common.messages import LogoEntry
from sightline_common.storage import ObjectStore
from sightline_common.topics import Topic

LOGO = "logo"


@dataclass
class AnalyzerRuntime:
    """A built analyzer set and the followers that keep its live inputs current."""

    analyzers: AnalyzerSet
    followers: list[CompactedTopicFollower]

    def start(self) -> None:
        """Start following."""
        for follower in self.followers:
            follower.start()

    def stop(self) -> None:
        """Stop following."""
        for follower in self.followers:
            follower.stop()

    def caught_up(self) -> bool:
        """Whether every followed table has been read to where it stood at start."""
        return all(f.caught_up.is_set() for f in self.followers)


def build_analyzers(
    keys: Sequence[str],
    settings: DetectorSettings,
    store: ObjectStore,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> AnalyzerRuntime:
    """The analyzers named by `keys`; a logo analyzer gets a matcher fed by the logo library.

    `overrides` maps an analyzer key to settings for it; the logo analyzer's are the
    matcher's tuning (`MatcherConfig`). Invalid settings raise pydantic's ValidationError.
    """
    overrides = overrides or {}
    followers: list[CompactedTopicFollower] = []
    matcher: LogoMatcher | None = None
    if LOGO in keys:
        tuning = MatcherConfig.model_validate(overrides.get(LOGO, {}))
        matcher = (
            ProposalMatcher(
                tuning,
                ProposalConfig(recipe=settings.logo_proposal_recipe),
                WeightsStore(store, settings.logos_bucket),
            )
            if settings.logo_proposals == "net"
            else LogoMatcher(tuning)
        )
        library = LogoLibrary(matcher, store)
        followers.append(
            CompactedTopicFollower(
                settings.kafka_bootstrap,
                settings.topics.name(Topic.LOGO_LIBRARY),
                LogoEntry,
                library.apply,
                settings.producer_id,
            )
        )
    registry = AnalyzerRegistry.discover()
    context = AnalyzerContext(logo_matcher=matcher)
    analyzers = [registry.build(k, context, None if k == LOGO else overrides.get(k)) for k in keys]
    return AnalyzerRuntime(AnalyzerSet(analyzers), followers)
