"""Live analysis threads per detector process follow the CPUs it may run on (issue #15)."""

from __future__ import annotations

import os

import pytest

from sightline_analysis.settings import DetectorSettings


@pytest.mark.parametrize(("cpus", "threads"), [(1, 1), (2, 1), (3, 1), (8, 4)])
def test_half_the_cpus_by_default_as_both_detectors_share_the_host(
    monkeypatch: pytest.MonkeyPatch, cpus: int, threads: int
) -> None:
    """Two threads per detector on 2 cores made each analysis twice as long without more
    segments analysed; a host with more cores still gets its cores used."""
    monkeypatch.delenv("SIGHTLINE_LIVE_CONCURRENCY", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(cpus)))
    assert DetectorSettings().live_concurrency == threads


def test_the_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    """A replica with its own cores (k8s: its `limits.cpu`) is given them explicitly."""
    monkeypatch.setenv("SIGHTLINE_LIVE_CONCURRENCY", "3")
    assert DetectorSettings().live_concurrency == 3
