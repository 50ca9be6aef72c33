"""What the testkit's plugin tests share: a throwaway pytest session under xdist."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

InnerPytest = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def inner_pytest(tmp_path: Path) -> InnerPytest:
    """Runs pytest with two xdist workers on the test modules written to `tmp_path`, with
    `args` and `env` added; the plugin under test is loaded as in `make test`."""

    def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-p",
                "no:cacheprovider",
                # Plugins the throwaway tests do not use: each costs every worker its import.
                *("-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:typeguard"),
                *("-n", "2", "-q"),
                *args,
                str(tmp_path),
            ],
            cwd=tmp_path,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )

    return run
