"""The HEALTHCHECK every service image runs (deploy/docker/healthcheck.py) reports a live
/healthz as healthy and anything else as unhealthy, on the port from SIGHTLINE_HTTP_PORT."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from sightline_devstack.ports import ephemeral_port

from .manifests import REPO

SCRIPT = REPO / "deploy" / "docker" / "healthcheck.py"


class Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def server() -> Iterator[http.server.HTTPServer]:
    httpd = http.server.HTTPServer(("127.0.0.1", 0), Health)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def probe(port: int) -> int:
    env = {**os.environ, "SIGHTLINE_HTTP_PORT": str(port)}
    result = subprocess.run([sys.executable, str(SCRIPT)], env=env, check=False, timeout=30)
    return result.returncode


def test_healthy_service_passes(server: http.server.HTTPServer) -> None:
    Health.status = 200
    assert probe(server.server_address[1]) == 0


def test_failing_service_fails(server: http.server.HTTPServer) -> None:
    Health.status = 503
    try:
        assert probe(server.server_address[1]) == 1
    finally:
        Health.status = 200


def test_nothing_listening_fails() -> None:
    port = ephemeral_port()
    assert probe(port) == 1
