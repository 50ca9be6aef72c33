"""The `make run` supervisor restarts a crashed service with back-off and stops everything."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from sightline_devstack.ports import ephemeral_port
from sightline_devstack.supervisor import LivenessProbe, ServiceSpec, Supervisor


def spec(tmp_path: Path, name: str, code: str) -> ServiceSpec:
    return ServiceSpec(name, [sys.executable, "-c", code], {}, tmp_path / f"{name}.log")


def test_a_crashed_service_is_restarted_with_growing_back_off(tmp_path: Path) -> None:
    starts = tmp_path / "starts"
    crasher = spec(
        tmp_path, "crasher", f"open({str(starts)!r}, 'a').write('x'); raise SystemExit(3)"
    )
    messages: list[str] = []
    supervisor = Supervisor([crasher], messages.append)
    supervisor.start_all()
    watcher = threading.Thread(target=supervisor.watch, kwargs={"interval": 0.05})
    watcher.start()
    deadline = time.monotonic() + 20
    while len(starts.read_text() if starts.exists() else "") < 3:
        assert time.monotonic() < deadline, messages
        time.sleep(0.05)
    supervisor.stop()
    watcher.join(10)
    supervisor.shutdown(grace=5)
    exits = [m for m in messages if "exited with 3" in m]
    assert "restarting in 1s" in exits[0]
    assert "restarting in 2s" in exits[1]
    assert supervisor.restarts()["crasher"] >= 2


def test_shutdown_terminates_running_services(tmp_path: Path) -> None:
    marker, ready = tmp_path / "terminated", tmp_path / "ready"
    code = (
        "import signal, sys, time\n"
        f"signal.signal(signal.SIGTERM, lambda *a: (open({str(marker)!r}, 'w').close(), "
        "sys.exit(0)))\n"
        f"open({str(ready)!r}, 'w').close()\n"
        "time.sleep(60)\n"
    )
    supervisor = Supervisor([spec(tmp_path, "sleeper", code)], lambda _m: None)
    supervisor.start_all()
    # Until its handler is in place (a fixed 1-s pause could end before a loaded machine had
    # started the interpreter, and SIGTERM would then kill it without the marker).
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert time.monotonic() < deadline, "the service never started"
        time.sleep(0.05)
    started = time.monotonic()
    supervisor.shutdown(grace=10)
    assert marker.exists()  # it got SIGTERM and shut down gracefully
    assert time.monotonic() - started < 10


def test_a_service_failing_its_liveness_probe_is_terminated_and_restarted(tmp_path: Path) -> None:
    """A stalled consumer's process stays up; its /healthz (503) is what gets it restarted."""
    starts = tmp_path / "starts"
    port = ephemeral_port()
    code = (
        "import http.server\n"
        f"open({str(starts)!r}, 'a').write('x')\n"
        "class H(http.server.BaseHTTPRequestHandler):\n"
        "    def do_GET(self):\n"
        "        self.send_response(503); self.end_headers()\n"
        f"http.server.HTTPServer(('127.0.0.1', {port}), H).serve_forever()\n"
    )
    stalled = spec(tmp_path, "stalled", code)
    stalled.liveness_url = f"http://127.0.0.1:{port}/healthz"
    messages: list[str] = []
    probe_fast = LivenessProbe(initial_delay_s=0.5, period_s=0.2, failure_threshold=3)
    supervisor = Supervisor([stalled], messages.append, probe_fast)
    supervisor.start_all()
    watcher = threading.Thread(target=supervisor.watch, kwargs={"interval": 0.05})
    watcher.start()
    try:
        deadline = time.monotonic() + 30
        while len(starts.read_text() if starts.exists() else "") < 2:
            assert time.monotonic() < deadline, messages
            time.sleep(0.05)
    finally:
        supervisor.stop()
        watcher.join(10)
        supervisor.shutdown(grace=5)
    assert any("failed 3 times; terminating it" in m for m in messages), messages
    assert supervisor.restarts()["stalled"] >= 1
