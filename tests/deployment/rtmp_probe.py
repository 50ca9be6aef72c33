"""Runs inside a private network namespace (`unshare -n`, started by test_nginx_rtmp_runtime):
the nginx-rtmp image's configuration on the real ports 1935/8080 beside a stand-in for ingest's
callbacks on 127.0.0.1:8010, then two ffmpeg publishers. Prints what happened as JSON.

Usage: python rtmp_probe.py <nginx.conf> <hls dir>
"""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

CALLS: list[dict[str, str]] = []


class Callbacks(http.server.BaseHTTPRequestHandler):
    """ingest's /rtmp/on_publish(_done): only the stream key `good` may publish."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        form = {k: v[0] for k, v in urllib.parse.parse_qs(body).items()}
        CALLS.append({"path": self.path, "name": form.get("name", "")})
        allowed = self.path.endswith("on_publish_done") or form.get("name") == "good"
        self.send_response(200 if allowed else 403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


def publish(key: str, seconds: int) -> int:
    """ffmpeg pushing a test pattern as OBS would; returns its exit code."""
    return subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi",
         "-i", "testsrc=size=320x240:rate=15", "-t", str(seconds), "-c:v", "libx264",
         "-preset", "ultrafast", "-g", "15", "-f", "flv", f"rtmp://127.0.0.1:1935/live/{key}"],
        capture_output=True, check=False, timeout=60,
    ).returncode  # fmt: skip


def wait_http(url: str, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            time.sleep(0.1)
    return False


def main() -> int:
    config, hls = Path(sys.argv[1]), Path(sys.argv[2])
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    callbacks = http.server.HTTPServer(("127.0.0.1", 8010), Callbacks)
    threading.Thread(target=callbacks.serve_forever, daemon=True).start()
    nginx = subprocess.Popen(["nginx", "-c", str(config)], stderr=subprocess.PIPE, text=True)
    try:
        healthy = wait_http("http://127.0.0.1:8080/healthz")
        good = publish("good", 5)
        bad = publish("bad", 2)
        time.sleep(0.5)
    finally:
        nginx.terminate()
        nginx.wait(10)
        callbacks.shutdown()
    segments = (
        sorted(p.name for p in (hls / "good").glob("*.ts")) if (hls / "good").exists() else []
    )
    print(json.dumps({
        "healthy": healthy, "good_exit": good, "bad_exit": bad, "calls": CALLS,
        "playlist": (hls / "good" / "index.m3u8").exists(), "segments": segments,
        "bad_dir": (hls / "bad").exists(),
    }))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
