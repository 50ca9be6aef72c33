"""Services forked by the fork server behave, to a test, as `python -m` children would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sightline_testkit.forked import ForkServer, ForkServerError
from sightline_testkit.processes import ChildProcess

_PROBE = """
import json, os, sys, time
if sys.argv[1] == "report":
    print(json.dumps({"argv": sys.argv[1:], "name": __name__, "cwd": os.getcwd(),
                      "env": dict(os.environ)}))
    print("to stderr", file=sys.stderr)
    sys.exit(3)
if sys.argv[1] == "sleep":
    time.sleep(60)
if sys.argv[1] == "busy":
    started = time.process_time()
    while time.process_time() - started < 0.3:
        pass
if sys.argv[1] == "fail":
    raise LookupError("the probe failed")
"""


@pytest.fixture(scope="module")
def server() -> Iterator[ForkServer]:
    """A private fork server (not the session's), shared by the module's tests."""
    started = ForkServer()
    yield started
    started.close()


@pytest.fixture
def probe_env(tmp_path: Path) -> dict[str, str]:
    """An environment whose PYTHONPATH holds the probe module, `fork_probe`."""
    (tmp_path / "fork_probe.py").write_text(_PROBE)
    return {"PYTHONPATH": str(tmp_path), "PROBE_SETTING": "given"}


def test_a_forked_module_runs_as_python_m_with_exactly_its_environment(
    server: ForkServer, probe_env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "probe.log"
    child = server.spawn("fork_probe", ["report", "x"], probe_env, log)
    assert child.wait(60) == 3
    out, err = log.read_text().splitlines()
    seen = json.loads(out)
    assert seen["argv"] == ["report", "x"]
    assert seen["name"] == "__main__"
    assert seen["env"] == probe_env  # nothing of the server's own environment (HOME, PATH)
    assert err == "to stderr"


def test_a_signal_and_a_timeout_read_as_popen_reports_them(
    server: ForkServer, probe_env: dict[str, str], tmp_path: Path
) -> None:
    child = server.spawn("fork_probe", ["sleep"], probe_env, tmp_path / "sleep.log")
    assert (tmp_path / "sleep.log").exists()  # at once, as Popen's log file would
    with pytest.raises(subprocess.TimeoutExpired):
        child.wait(0.2)
    assert child.poll() is None
    child.send_signal(signal.SIGTERM)
    assert child.wait(60) == -signal.SIGTERM
    child.kill()  # ended: no signal goes to a pid that may be another process's by now


def test_an_exception_exits_1_with_its_traceback_in_the_log(
    server: ForkServer, probe_env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "fail.log"
    assert server.spawn("fork_probe", ["fail"], probe_env, log).wait(60) == 1
    assert "LookupError: the probe failed" in log.read_text()


def test_each_childs_cpu_is_reported_when_it_ends(
    server: ForkServer, probe_env: dict[str, str], tmp_path: Path
) -> None:
    before = server.reported_cpu()
    assert server.spawn("fork_probe", ["busy"], probe_env, tmp_path / "busy.log").wait(60) == 0
    assert server.reported_cpu() - before >= 0.3


def test_a_child_process_can_be_forked_and_stopped(
    probe_env: dict[str, str], tmp_path: Path
) -> None:
    child = ChildProcess.forked_module("fork_probe", ["sleep"], probe_env, tmp_path / "c.log")
    child.start()
    assert child.returncode() is None
    assert child.stop(timeout=30) == -signal.SIGTERM


def test_children_started_from_several_threads_at_once_each_get_their_own_request(
    server: ForkServer, probe_env: dict[str, str], tmp_path: Path
) -> None:
    # Large environments make each request many socket writes, which could interleave.
    def run(n: int) -> tuple[int, dict[str, str]]:
        env = {**probe_env, "PROBE_N": str(n), "PROBE_BULK": "x" * 200_000}
        log = tmp_path / f"many-{n}.log"
        code = server.spawn("fork_probe", ["report", str(n)], env, log).wait(120)
        return code, json.loads(log.read_text().splitlines()[0])["env"]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(run, range(8)))
    assert [code for code, _ in results] == [3] * 8
    assert [env["PROBE_N"] for _, env in results] == [str(n) for n in range(8)]


def test_waiting_on_a_child_of_a_server_that_went_away_fails_clearly(
    probe_env: dict[str, str], tmp_path: Path
) -> None:
    gone = ForkServer()
    child = gone.spawn("fork_probe", ["sleep"], probe_env, tmp_path / "orphan.log")
    gone.close()
    try:
        with pytest.raises(ForkServerError, match="gone"):
            child.wait(30)  # not a TimeoutExpired: waiting longer would not help
    finally:
        os.kill(child.pid, signal.SIGKILL)
