"""The dashboard's nginx (frontend/nginx.conf, as the image installs it) never writes a URL's
query string to its access log (a signed playback URL's `sig` is a credential for minutes), and
refuses API tokens in URLs (`?access_token=`, `?token=`) without proxying them, so no log of it
holds them. A real nginx serves the file with its upstreams pointed at a local stand-in for
results-api."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from sightline_devstack.ports import ephemeral_port

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
NGINX = Path("/usr/sbin/nginx")


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: only nginx's own log is under test."""


@pytest.fixture
def upstream() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.mark.skipif(not NGINX.exists(), reason="nginx is not installed")
def test_no_query_string_reaches_the_dashboard_access_log(tmp_path: Path, upstream: int) -> None:
    port = ephemeral_port()
    site = (REPO / "frontend" / "nginx.conf").read_text()
    for old, new in {
        "server results-api:8000;": f"server 127.0.0.1:{upstream};",
        "server notifier:8001;": f"server 127.0.0.1:{ephemeral_port()};",
        "listen 8080;": f"listen 127.0.0.1:{port};",
        "root /usr/share/nginx/html;": f"root {tmp_path};",
        "/var/log/nginx/access.log": str(tmp_path / "access.log"),
    }.items():
        assert old in site, old
        site = site.replace(old, new)
    (tmp_path / "default.conf").write_text(site)
    temp = "".join(f"{kind}_temp_path {tmp_path}/{kind};\n" for kind in ("client_body", "proxy"))
    (tmp_path / "nginx.conf").write_text(
        f"daemon off;\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        "events {}\n"
        f"http {{\n{temp}access_log {tmp_path}/http-access.log;\n"
        f"include {tmp_path}/default.conf;\n}}\n"
    )
    nginx = subprocess.Popen(
        [str(NGINX), "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    secrets = ["sl_api-token-in-query", "signature-in-query", "sl_ws-token-in-query"]
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=10) as client:
            for _ in range(100):
                try:
                    client.get("/healthz")
                    break
                except httpx.TransportError:
                    assert nginx.poll() is None, nginx.stderr.read() if nginx.stderr else ""
                    threading.Event().wait(0.1)
            # Tokens in a URL are refused by nginx itself, never proxied: an upstream error
            # (the notifier is absent here) would write the request line to the error log.
            in_query = client.get("/api/streams", params={"access_token": secrets[0]})
            assert in_query.status_code == 401
            assert client.get("/ws", params={"token": secrets[2]}).status_code == 403
            assert client.get("/api/streams").text == "ok"  # the rest is proxied
            signed = "/api/hls/streams/s1/playlist.m3u8"
            assert client.get(signed, params={"exp": "1", "sig": secrets[1]}).status_code == 200
    finally:
        nginx.terminate()
        nginx.wait(10)
    logs = {p.name: p.read_text() for p in tmp_path.glob("*.log")}
    assert signed in logs["access.log"]  # the path is logged, on the dashboard's own log line
    assert [f"{name}: {s}" for name, text in logs.items() for s in secrets if s in text] == []
