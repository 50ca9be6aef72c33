"""Building a detector's analyzer set and the followers that keep its live inputs current.

Live analysis builds one set for the detector's lifetime; a reanalysis run builds its own, with
the run's overrides, so a changed threshold yields another configuration hash. Both start from
the deployment's analyzer settings (`SIGHTLINE_ANALYZER_SETTINGS`), so a backfill run, which
completes the live run under its event ids, analyses with the live configuration.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from pydantic import ValidationError

from sightline_analysis.analyzers import AnalyzerContext, AnalyzerRegistry, AnalyzerSet
from sightline_analysis.logo.learned.proposals import ProposalConfig, ProposalMatcher
from sightline_analysis.logo.learned.weights import WeightsStore
from sightline_analysis.logo.library import LogoLibrary
from sightline_analysis.logo.matcher import LogoMatcher, MatcherConfig
from sightline_analysis.replay.run_config import POLICY, RunConfig, RunConfigError
from sightline_analysis.settings import DetectorSettings
from sightline_common.kafka.follower import CompactedTopicFollower
from sightline_common.messages import LogoEntry
from sightline_common.storage import ObjectStore
from sightline_common.topics import Topic

LOGO = "logo"
PIPELINE = "pipeline"
"""The key, in the logo analyzer's settings, of its pipeline's (`PipelineConfig`, e.g.
`{"zoomed": {"enabled": false}}` for a deployment that would rather save the ~10 % of CPU the
zoomed proposals cost); its other keys are the matcher's tuning (`MatcherConfig`)."""


class AnalyzerSettingsError(ValueError):
    """`SIGHTLINE_ANALYZER_SETTINGS` names an unknown analyzer or does not validate."""


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

    `overrides` maps an analyzer key to settings for it, over the deployment's
    (`settings.analyzer_settings`); the logo analyzer's are the matcher's tuning
    (`MatcherConfig`) and, under `pipeline`, its pipeline's (`PipelineConfig`). Invalid settings
    raise pydantic's ValidationError.
    """
    base, run = settings.analyzer_settings, overrides or {}
    overrides = {k: {**base.get(k, {}), **run.get(k, {})} for k in keys if k in base or k in run}
    followers: list[CompactedTopicFollower] = []
    matcher: LogoMatcher | None = None
    tuning, logo_config = logo_settings(overrides.get(LOGO, {}))
    if LOGO in keys:
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
    analyzers = [registry.build(k, context, logo_config if k == LOGO else overrides.get(k))
                 for k in keys]  # fmt: skip
    return AnalyzerRuntime(AnalyzerSet(analyzers), followers)


def logo_settings(config: Mapping[str, Any]) -> tuple[MatcherConfig, dict[str, Any]]:
    """The logo analyzer's settings split in the matcher's tuning and the analyzer's own
    config (its `pipeline`). Raises pydantic's ValidationError for the matcher's."""
    tuning = MatcherConfig.model_validate({k: v for k, v in config.items() if k != PIPELINE})
    return tuning, ({PIPELINE: config[PIPELINE]} if PIPELINE in config else {})


def check_analyzer_settings(keys: Sequence[str], settings: DetectorSettings) -> None:
    """Refuse `settings.analyzer_settings` as a reanalysis run's `config` would be refused: a
    key no analyzer is registered under, or settings its analyzer's config class rejects (for
    `logo`, `MatcherConfig` and, under `pipeline`, `PipelineConfig`); `policy` is per stream,
    not per deployment. Keys of analyzers not
    in `keys` belong to another detector sharing the environment. Raises AnalyzerSettingsError.
    """
    given = settings.analyzer_settings
    variable = "SIGHTLINE_ANALYZER_SETTINGS"
    if POLICY in given:
        raise AnalyzerSettingsError(f"{variable}: a stream's policy is set per stream, not here")
    registry = AnalyzerRegistry.discover()
    try:
        mine = RunConfig.parse(given, keys, registry.keys).analyzers
    except RunConfigError as exc:
        raise AnalyzerSettingsError(f"{variable}: {exc.reason}") from exc
    for key, config in mine.items():
        try:
            if key == LOGO:
                registry.validate(key, logo_settings(config)[1])
            else:
                registry.validate(key, config)
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_context=False)
            raise AnalyzerSettingsError(f"{variable}[{key!r}] invalid: {errors}") from exc


def refuse_invalid_analyzer_settings(keys: Sequence[str], settings: DetectorSettings) -> None:
    """Exit with code 2 and the reason in the log when `check_analyzer_settings` refuses the
    deployment's analyzer settings (every mode calls this once at start)."""
    try:
        check_analyzer_settings(keys, settings)
    except AnalyzerSettingsError as exc:
        structlog.get_logger(__name__).error("service.refused", reason=str(exc))
        raise SystemExit(2) from exc
