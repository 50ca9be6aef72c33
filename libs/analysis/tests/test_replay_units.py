"""The pure parts of reanalysis: run overrides, range bounds, the request ledger."""

from __future__ import annotations

import pytest

from sightline_analysis.replay.coordinator import _PartitionLedger
from sightline_analysis.replay.run_config import RunConfig, RunConfigError
from sightline_analysis.replay.segment_range import RangeSpec
from sightline_analysis.runtime import build_analyzers
from sightline_analysis.settings import DetectorSettings
from sightline_common.messages import AnalysisPolicy, ExecutorKind

KNOWN = ("logo", "faces", "shots", "colours")


def test_overrides_are_split_per_detector_and_policy_merged() -> None:
    config = RunConfig.parse(
        {"logo": {"min_inliers": 8}, "faces": {"min_size": 30}, "policy": {"sample_fps": 4}},
        mine=("logo",),
        known=KNOWN,
    )
    assert config.analyzers == {"logo": {"min_inliers": 8}}  # faces is the visual detector's
    policy = config.apply(AnalysisPolicy(executors=[ExecutorKind.local], sample_fps=2))
    assert policy.sample_fps == 4
    assert policy.executors == [ExecutorKind.local]


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        ({"lgoo": {}}, "unknown analyzers"),
        ({"logo": 3}, "must be an object"),
        ({"policy": {"detectors": ["visual"]}}, "name detectors in the request"),
    ],
)
def test_bad_overrides_are_refused_with_a_reason(config: dict[str, object], reason: str) -> None:
    with pytest.raises(RunConfigError, match=reason):
        RunConfig.parse(config, mine=("logo",), known=KNOWN)


def test_an_invalid_policy_override_is_refused() -> None:
    config = RunConfig.parse({"policy": {"sample_fps": -1}}, mine=(), known=KNOWN)
    with pytest.raises(RunConfigError, match=r"config\.policy invalid"):
        config.apply(AnalysisPolicy())


def test_a_changed_threshold_changes_the_configuration_hash(tmp_path: object) -> None:
    settings = DetectorSettings(kafka_bootstrap="127.0.0.1:1")
    store = object()
    base = build_analyzers(("logo",), settings, store, {})  # type: ignore[arg-type]
    same = build_analyzers(("logo",), settings, store, {"logo": {}})  # type: ignore[arg-type]
    changed = build_analyzers(("logo",), settings, store, {"logo": {"min_confidence": 0.25}})  # type: ignore[arg-type]
    assert base.analyzers.fingerprint() == same.analyzers.fingerprint()
    assert base.analyzers.fingerprint() != changed.analyzers.fingerprint()


def test_a_range_holds_what_starts_inside_it() -> None:
    bounded = RangeSpec("s", 10.0, 20.0)
    assert [bounded.contains(t) for t in (8.0, 10.0, 19.9, 20.0)] == [False, True, True, False]
    assert [bounded.past(t) for t in (19.9, 20.0)] == [False, True]
    open_ended = RangeSpec("s", 0.0, None)
    assert open_ended.contains(1e9)
    assert not open_ended.past(1e9)


def test_the_ledger_commits_up_to_the_first_unfinished_request() -> None:
    ledger = _PartitionLedger()
    assert ledger.commit_offset() is None
    ledger.pending.update({4: True, 5: False, 6: True})
    assert ledger.commit_offset() == 5  # run at 5 still going: 5 is redelivered after a crash
    ledger.pending[5] = True
    assert ledger.commit_offset() == 7
