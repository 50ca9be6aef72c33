"""Longest tests first: each run's test durations are kept in the cache and order the next run.

With two xdist workers and a handful of multi-minute integration tests, the order tests are
handed out in decides how long `make test` takes: a long test started last keeps one worker
busy while the other idles. Scheduling the longest first (as measured by the previous run on
this machine) packs them; tests never seen before go first among the integration tests, since
those are the long ones. The book lives outside the clone so a fresh clone reuses it; a missing
or unreadable book only means the default order.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import pytest

from sightline_devstack.settings import DevstackSettings

BOOK_NAME = "test-durations.json"
# What an integration test not in the book is assumed to take: longer than most, so it is
# handed out early rather than discovered at the end.
UNKNOWN_INTEGRATION_S = 20.0


def book_path() -> Path:
    """Where the durations are kept: the machine's Sightline cache."""
    return DevstackSettings.from_env().cache_dir / BOOK_NAME


def load(path: Path) -> dict[str, float]:
    """The recorded seconds per test id; empty when there is no usable book."""
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(raw, dict):
        return {}
    return {str(k): float(v) for k, v in raw.items() if isinstance(v, int | float)}


def save(path: Path, durations: dict[str, float]) -> None:
    """Write the book atomically: two runs finishing together leave one of them, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps(durations, indent=0, sort_keys=True))
    partial.replace(path)


def longest_first(items: Sequence[pytest.Item], book: dict[str, float]) -> list[pytest.Item]:
    """The items ordered by expected duration, longest first; ties keep collection order."""

    def expected(item: pytest.Item) -> float:
        if item.nodeid in book:
            return book[item.nodeid]
        return UNKNOWN_INTEGRATION_S if item.get_closest_marker("integration") else 0.0

    return sorted(items, key=lambda item: -expected(item))


class DurationRecorder:
    """Sums setup, call and teardown time per test and merges them into the book at the end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seconds: defaultdict[str, float] = defaultdict(float)

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[report.nodeid] += report.duration

    @pytest.hookimpl
    def pytest_sessionfinish(self) -> None:
        if self.seconds:
            measured = {nodeid: round(s, 2) for nodeid, s in self.seconds.items()}
            save(self.path, {**load(self.path), **measured})
