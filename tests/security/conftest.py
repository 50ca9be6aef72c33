"""Fixtures for the cross-service security checks: a real results-api process and its tokens.

Every check here talks to services as separate processes over their real ports, started with
the test's `isolated` environment (own topics, buckets and database schema).
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from sightline_devstack.ports import ephemeral_port
from sightline_testkit.plugin import Isolated
from sightline_testkit.processes import ChildProcess


@dataclass
class ResultsApi:
    """A running results-api process, an operator CLI on its database, and a live token."""

    isolated: Isolated
    process: ChildProcess
    base_url: str
    token: str

    def client(self, token: str | None = None) -> httpx.Client:
        """An HTTP client on the API, authenticated with `token` (default: the live one)."""
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30)

    def cli(self, *args: str) -> str:
        """Run the operator CLI (as operators do) and return what it printed on stdout."""
        return run_cli(self.isolated, *args)


def run_cli(isolated: Isolated, *args: str) -> str:
    """`sightline ...` as operators run it; fails on a non-zero exit, returns its stdout."""
    done = isolated.run("sightline_results_api.cli", *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def start_results_api(isolated: Isolated, mode: str = "api", **env: str) -> ResultsApi:
    """Start results-api in `mode` on a free port, wait for /readyz, and issue a token."""
    port = ephemeral_port()
    process = isolated.spawn("sightline_results_api", mode, SIGHTLINE_HTTP_PORT=str(port), **env)
    base_url = f"http://127.0.0.1:{port}"
    process.wait_http_ok(f"{base_url}/readyz", timeout=90)
    token = run_cli(isolated, "token", "create", "--name", "security").strip().splitlines()[-1]
    return ResultsApi(isolated, process, base_url, token)


@pytest.fixture
def results_api(isolated: Isolated) -> ResultsApi:
    """results-api (API only) as a process on the test's isolated platform slice."""
    return start_results_api(isolated)
