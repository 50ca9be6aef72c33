"""The chaos tests group on one xdist worker; the marker is registered here too, so the tests
also run (with --strict-markers) where pytest-xdist is not installed."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "xdist_group(name): run on the same xdist worker")
