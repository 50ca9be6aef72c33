"""A reanalysis run's overrides, checked before any work starts.

`config` in a request holds `policy` (fields of the stream's AnalysisPolicy, e.g. a denser
`sample_fps` or other executors) and, per analyzer key, settings for that analyzer (for `logo`:
the matcher's tuning, e.g. `min_inliers`). One request serves every detector it names, so keys
of analyzers this detector does not run are left to the others.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from sightline_common.errors import PermanentError
from sightline_common.messages import AnalysisPolicy

POLICY = "policy"


class RunConfigError(PermanentError):
    """The run's overrides name an unknown analyzer or do not validate."""


@dataclass(frozen=True)
class RunConfig:
    """The validated overrides of one run as one detector applies them."""

    policy: Mapping[str, Any]
    analyzers: Mapping[str, Mapping[str, Any]]

    @classmethod
    def parse(
        cls, config: Mapping[str, Any], mine: Collection[str], known: Collection[str]
    ) -> RunConfig:
        """Overrides for the analyzers in `mine`; a key in neither `known` nor `policy` fails."""
        unknown = sorted(set(config) - set(known) - {POLICY})
        if unknown:
            raise RunConfigError(f"unknown analyzers in config: {unknown}; known: {sorted(known)}")
        for key, value in config.items():
            if not isinstance(value, Mapping):
                raise RunConfigError(f"config[{key!r}] must be an object")
        policy = dict(config.get(POLICY, {}))
        if "detectors" in policy:
            raise RunConfigError("config.policy.detectors: name detectors in the request instead")
        return cls(policy, {k: dict(v) for k, v in config.items() if k in mine})

    def apply(self, policy: AnalysisPolicy) -> AnalysisPolicy:
        """The stream's policy with this run's overrides."""
        try:
            return AnalysisPolicy.model_validate(
                {**policy.model_dump(mode="json", warnings=False), **self.policy}
            )
        except ValidationError as exc:
            raise RunConfigError(f"config.policy invalid: {exc.errors(include_url=False)}") from exc
