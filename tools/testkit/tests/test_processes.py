"""The child-process helper must not mistake another server on its port for its child."""

from __future__ import annotations

import http.server
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sightline_devstack import ports
from sightline_testkit.processes import ChildProcess


class _Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads no request log."""


@pytest.fixture
def stranger() -> Iterator[int]:
    """A server in this test process answering 200 on a port, as another program would."""
    server = http.server.HTTPServer(("127.0.0.1", ports.ephemeral_port()), _Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def _sleeper(tmp_path: Path, script: str) -> ChildProcess:
    return ChildProcess([sys.executable, "-c", script], {}, tmp_path / "child.log", "child")


def test_a_200_from_a_stranger_on_the_port_fails_at_once(tmp_path: Path, stranger: int) -> None:
    child = _sleeper(tmp_path, "import time; time.sleep(30)").start()
    try:
        with pytest.raises(RuntimeError, match="was answered by"):
            child.wait_http_ok(f"http://127.0.0.1:{stranger}/readyz", timeout=10)
    finally:
        child.kill()


def test_a_200_from_the_childs_own_child_counts(tmp_path: Path) -> None:
    port = ports.ephemeral_port()
    # The listener is a grandchild, like a server behind a launcher script.
    script = (
        "import http.server, subprocess, sys\n"
        "subprocess.run([sys.executable, '-m', 'http.server', '--bind', '127.0.0.1', "
        f"'{port}'], check=False)\n"
    )
    child = _sleeper(tmp_path, script).start()
    try:
        child.wait_http_ok(f"http://127.0.0.1:{port}/", timeout=30)
    finally:
        grandchildren = ports.listener_pids(port)
        child.kill()
        for pid in grandchildren:
            os.kill(pid, signal.SIGKILL)
