"""`SIGHTLINE_ANALYZER_SETTINGS`: a deployment's per-analyzer settings (e.g. how often
detector-visual runs people detection) are read from the environment, refused at start-up as a
reanalysis run's overrides would be, and part of the configuration hash detections carry; a
reanalysis run's own overrides go on top."""

from __future__ import annotations

from typing import cast

import pytest

from sightline_analysis.analyzers.cadence import HeldConfig
from sightline_analysis.analyzers.plugins.logo import LogoConfig
from sightline_analysis.runtime import (
    AnalyzerSettingsError,
    build_analyzers,
    check_analyzer_settings,
    refuse_invalid_analyzer_settings,
)
from sightline_analysis.settings import DetectorSettings
from sightline_common.storage import ObjectStore

KEYS = ("people", "colours")
NO_STORE = cast("ObjectStore", None)  # only a logo analyzer reads the store


def settings(monkeypatch: pytest.MonkeyPatch, value: str | None) -> DetectorSettings:
    if value is None:
        monkeypatch.delenv("SIGHTLINE_ANALYZER_SETTINGS", raising=False)
    else:
        monkeypatch.setenv("SIGHTLINE_ANALYZER_SETTINGS", value)
    return DetectorSettings()


def people_every_s(deployed: DetectorSettings, run: dict[str, dict[str, float]] | None) -> float:
    runtime = build_analyzers(KEYS, deployed, NO_STORE, run)
    people = next(a for a in runtime.analyzers.analyzers if a.key == "people")
    assert isinstance(people.config, HeldConfig)
    return people.config.every_s


def test_the_environment_sets_an_analyzer_and_changes_the_config_hash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    default = settings(monkeypatch, None)
    slower = settings(monkeypatch, '{"people": {"every_s": 4}}')
    check_analyzer_settings(KEYS, slower)
    assert (people_every_s(default, None), people_every_s(slower, None)) == (2.0, 4.0)
    hashes = {build_analyzers(KEYS, s, NO_STORE).analyzers.fingerprint() for s in (default, slower)}
    assert len(hashes) == 2


def test_a_run_override_goes_on_top_of_the_deployment_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deployed = settings(monkeypatch, '{"people": {"every_s": 4, "min_score": 0.7}}')
    runtime = build_analyzers(KEYS, deployed, NO_STORE, {"people": {"every_s": 1}})
    people = next(a for a in runtime.analyzers.analyzers if a.key == "people")
    assert people.config.model_dump()["every_s"] == 1
    assert people.config.model_dump()["min_score"] == 0.7


def test_another_detectors_analyzer_is_left_to_it(monkeypatch: pytest.MonkeyPatch) -> None:
    shared = settings(monkeypatch, '{"logo": {"min_inliers": 12}, "people": {"every_s": 3}}')
    check_analyzer_settings(KEYS, shared)  # detector-visual runs no logo analyzer
    assert people_every_s(shared, None) == 3.0


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ('{"peple": {"every_s": 4}}', "unknown analyzers in config: ['peple']"),
        ('{"people": {"every_s": -1}}', "SIGHTLINE_ANALYZER_SETTINGS['people'] invalid"),
        ('{"people": {"evry_s": 4}}', "evry_s"),
        ('{"logo": {"min_inliers": "many"}}', "SIGHTLINE_ANALYZER_SETTINGS['logo'] invalid"),
        ('{"policy": {"sample_fps": 1}}', "policy is set per stream"),
    ],
)
def test_invalid_settings_are_refused_with_what_is_wrong(
    monkeypatch: pytest.MonkeyPatch, value: str, says: str
) -> None:
    invalid = settings(monkeypatch, value)
    with pytest.raises(AnalyzerSettingsError) as refused:
        check_analyzer_settings((*KEYS, "logo"), invalid)
    assert says in str(refused.value)
    with pytest.raises(SystemExit) as exited:
        refuse_invalid_analyzer_settings((*KEYS, "logo"), invalid)
    assert exited.value.code == 2


def test_the_logo_analyzers_pipeline_is_set_under_pipeline_and_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deployed = settings(monkeypatch, '{"logo": {"min_inliers": 9}}')
    run = {"logo": {"pipeline": {"zoomed": {"enabled": False}}, "min_inliers": 11}}
    default, unzoomed = (build_analyzers(("logo",), deployed, NO_STORE, r).analyzers
                         for r in (None, run))  # fmt: skip
    for built, enabled, inliers in ((default, True, 9), (unzoomed, False, 11)):
        logo = built.analyzers[0]
        assert isinstance(logo.config, LogoConfig)
        assert logo.config.pipeline.zoomed.enabled is enabled
        assert logo.describe()["matcher"]["min_inliers"] == inliers  # type: ignore[index]
    assert default.fingerprint() != unzoomed.fingerprint()
    check_analyzer_settings(("logo",), settings(monkeypatch, '{"logo": {"pipeline": {}}}'))
    with pytest.raises(AnalyzerSettingsError, match="zoomed"):
        check_analyzer_settings(
            ("logo",), settings(monkeypatch, '{"logo": {"pipeline": {"zoomed": {"on": 1}}}}')
        )
