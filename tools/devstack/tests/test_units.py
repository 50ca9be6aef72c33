"""Behaviour of the pieces that need no server: settings, rendering, env file, pids, lock."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

import pytest

from sightline_common.storage_access import bucket_names
from sightline_devstack import ports, procs
from sightline_devstack.envfile import read_env_file
from sightline_devstack.locking import exclusive
from sightline_devstack.nginx_conf import TEMPLATE_RELPATH, NginxParams, render_nginx_conf
from sightline_devstack.platform import platform_env
from sightline_devstack.servers.minio import users_stamp
from sightline_devstack.settings import DevstackSettings, find_repo_root

REPO = find_repo_root()
TEMPLATE = REPO / TEMPLATE_RELPATH
FAKE_MODULE = Path("/nonexistent/ngx_rtmp_module.so")


def test_env_overrides_every_port_and_folder(tmp_path: Path) -> None:
    settings = DevstackSettings.from_env(
        {
            "SIGHTLINE_STATE_DIR": str(tmp_path / "st"),
            "SIGHTLINE_CACHE_DIR": str(tmp_path / "cache"),
            "SIGHTLINE_KAFKA_PORT": "19092",
            "SIGHTLINE_POSTGRES_PORT": "15432",
            "SIGHTLINE_RTMP_PORT": "11935",
            "SIGHTLINE_RTMP_CALLBACK_URL": "",
            "SIGHTLINE_RTMP_PUBLISH_ALLOW": "127.0.0.1, 10.0.0.0/8",
        }
    )
    assert settings.state_dir == tmp_path / "st"
    assert settings.cache_dir == tmp_path / "cache"
    assert (settings.kafka_port, settings.postgres_port, settings.rtmp_port) == (
        19092,
        15432,
        11935,
    )
    assert settings.rtmp_callback_url is None
    assert settings.rtmp_publish_allow == ("127.0.0.1", "10.0.0.0/8")


def test_defaults_follow_the_design_ports() -> None:
    s = DevstackSettings.from_env({})
    assert (s.kafka_port, s.postgres_port, s.minio_port, s.minio_console_port) == (
        9092,
        5432,
        9000,
        9001,
    )
    assert (s.rtmp_port, s.nginx_http_port) == (1935, 8080)
    assert s.state_dir == REPO / ".state"
    assert s.rtmp_callback_url == "http://127.0.0.1:8010/rtmp"


def test_nginx_template_renders_callbacks_and_access_rules(tmp_path: Path) -> None:
    params = NginxParams(
        prefix=tmp_path,
        hls_dir=tmp_path / "hls",
        rtmp_port=2935,
        http_port=9080,
        callback_url="http://127.0.0.1:8010/rtmp/",
        publish_allow=("127.0.0.1", "192.168.1.0/24"),
        rtmp_module=FAKE_MODULE,
    )
    conf = render_nginx_conf(params, TEMPLATE)
    assert "listen 127.0.0.1:2935;" in conf
    assert "listen 127.0.0.1:9080;" in conf
    assert "on_publish http://127.0.0.1:8010/rtmp/on_publish;" in conf
    assert "on_publish_done http://127.0.0.1:8010/rtmp/on_publish_done;" in conf
    assert "allow publish 192.168.1.0/24;" in conf
    assert "deny publish all;" in conf
    assert "deny play all;" in conf
    assert f"hls_path {tmp_path / 'hls'};" in conf
    assert "hls_nested on;" in conf
    assert f"load_module {FAKE_MODULE};" in conf
    assert "${" not in conf


def test_nginx_template_without_callback_has_no_publish_hook(tmp_path: Path) -> None:
    params = NginxParams(prefix=tmp_path, hls_dir=tmp_path / "hls", rtmp_module=FAKE_MODULE)
    conf = render_nginx_conf(params, TEMPLATE)
    assert "on_publish" not in conf


def test_platform_env_file_round_trips(tmp_path: Path) -> None:
    settings = DevstackSettings.from_env({"SIGHTLINE_STATE_DIR": str(tmp_path)})
    env = platform_env(settings, {"postgres": {"sql": 5433}})
    env.write(tmp_path / "platform.env")
    back = read_env_file(tmp_path / "platform.env")
    assert back == env.as_env()
    assert back["SIGHTLINE_DATABASE_URL"] == (
        "postgresql+psycopg://sightline:sightline@127.0.0.1:5433/sightline"
    )
    assert back["SIGHTLINE_TOPIC_PREFIX"] == ""
    # And a shell agrees with our parser.
    shell = subprocess.run(
        ["bash", "-c", f"set -a; . {tmp_path / 'platform.env'}; env"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"SIGHTLINE_HLS_DIR={tmp_path / 'hls'}" in shell.splitlines()


def test_a_recycled_pid_is_not_ours(tmp_path: Path) -> None:
    pid, ticks = procs.spawn(["sleep", "30"], tmp_path / "sleep.log")
    try:
        assert procs.is_alive(pid, ticks)
        assert not procs.is_alive(pid, ticks + 1)  # same pid, other start time: a stranger
    finally:
        rec = procs.PidRecord(pid, ticks, ["sleep"], str(tmp_path / "sleep.log"))
        procs.stop(rec, signal.SIGTERM, 5)
    assert not procs.is_alive(pid)


def test_stop_takes_down_the_whole_process_group_and_its_port(tmp_path: Path) -> None:
    port = ports.ephemeral_port()
    # A leader that ignores SIGTERM and a forked child holding a listening socket, like an
    # nginx master whose worker outlives it.
    script = (
        "import os, signal, socket, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "if os.fork() == 0:\n"
        f"    s = socket.socket(); s.bind(('127.0.0.1', {port})); s.listen()\n"
        "    time.sleep(60)\n"
        "time.sleep(60)\n"
    )
    pid, ticks = procs.spawn([sys.executable, "-c", script], tmp_path / "g.log")
    deadline = time.monotonic() + 10
    while not ports.listener_pids(port) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ports.listener_pids(port)
    rec = procs.PidRecord(pid, ticks, ["python"], str(tmp_path / "g.log"), {"p": port})
    polite = procs.stop(rec, signal.SIGTERM, 1)
    assert not polite  # it had to be killed
    assert not procs.is_alive(pid)
    assert ports.wait_until_free([port], 5) == []


def test_group_cpu_counts_the_server_and_the_children_it_reaped(tmp_path: Path) -> None:
    marker = tmp_path / "reaped"
    # A leader whose forked child burns 0.5 CPU-s and exits, like a postgres backend: its CPU
    # is then in the leader's cutime, the only place it is left. /proc counts in clock ticks,
    # sampled, so the check leaves a margin below what the child used.
    script = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    while time.process_time() < 0.5:\n"
        "        pass\n"
        "    os._exit(0)\n"
        "os.wait()\n"
        f"open({str(marker)!r}, 'w').close()\n"
        "time.sleep(60)\n"
    )
    pid, ticks = procs.spawn([sys.executable, "-c", script], tmp_path / "cpu.log")
    rec = procs.PidRecord(pid, ticks, ["python"], str(tmp_path / "cpu.log"))
    try:
        deadline = time.monotonic() + 30
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists()
        used = procs.group_cpu_seconds(rec)
        assert used is not None
        assert used >= 0.3
    finally:
        procs.stop(rec, signal.SIGTERM, 5)
    assert procs.group_cpu_seconds(rec) is None


def test_lock_makes_a_second_holder_wait(tmp_path: Path) -> None:
    lock = tmp_path / "devstack.lock"
    marker = tmp_path / "got-it"
    waiter = (
        "import sys; from pathlib import Path\n"
        "from sightline_devstack.locking import exclusive\n"
        f"with exclusive(Path({str(lock)!r}), lambda m: print(m, flush=True)):\n"
        f"    Path({str(marker)!r}).write_text('x')\n"
    )
    with exclusive(lock, lambda _: None):
        proc = subprocess.Popen([sys.executable, "-c", waiter], stdout=subprocess.PIPE, text=True)
        time.sleep(1.0)
        assert not marker.exists()
    assert proc.wait(timeout=10) == 0
    assert marker.exists()
    assert proc.stdout is not None
    assert "waiting for" in proc.stdout.read()


def test_port_check_sees_a_listener() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert not ports.can_bind(port)
        assert ports.next_free_port(port) != port
        assert ports.accepts_connections(port)
    assert ports.can_bind(port)


def test_throwaway_ports_stay_below_the_range_outgoing_connections_draw_from(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first_local = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    drawn = {ports.ephemeral_port() for _ in range(20)}
    assert all(20000 <= port < first_local for port in drawn)
    assert len(drawn) > 1  # drawn at random, not the lowest free port every time
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw2")
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "4")
    width = (first_local - 20000) // 4
    assert all(20000 + 2 * width <= ports.ephemeral_port() < 20000 + 3 * width for _ in range(20))


def test_a_throwaway_port_is_never_one_that_is_listened_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        taken = sock.getsockname()[1]
        monkeypatch.setattr(ports, "_first_local_port", lambda: taken + 1)
        monkeypatch.setattr(ports, "_THROWAWAY_PORTS_FROM", taken - 200)
        monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
        assert all(ports.ephemeral_port() != taken for _ in range(200))


def test_ports_drawn_before_any_is_bound_are_all_different(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    low, _ = ports._worker_slice(20000, ports._first_local_port())
    monkeypatch.setattr(ports, "_worker_slice", lambda _low, _high: (low, low + 100))
    monkeypatch.setattr(ports, "_handed_out", deque())
    for _ in range(40):  # ten draws from 100 ports repeat one in 36 % of rounds when drawn blindly
        drawn = [ports.ephemeral_port() for _ in range(10)]
        assert len(set(drawn)) == len(drawn), drawn


@pytest.mark.parametrize("bad", ["nope", "1.2.3"])
def test_a_bad_port_value_is_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match="invalid literal"):
        DevstackSettings.from_env({"SIGHTLINE_KAFKA_PORT": bad})


def test_the_storage_users_stamp_changes_with_the_drive_and_the_spec() -> None:
    secrets = {"ingest": "s1", "results-api": "s2"}
    buckets = bucket_names("segs", "logos")
    stamp = users_stamp("drive-1", secrets, buckets)
    assert users_stamp("drive-1", dict(secrets), bucket_names("segs", "logos")) == stamp
    others = [
        users_stamp("drive-2", secrets, buckets),
        users_stamp("drive-1", {**secrets, "results-api": "rotated"}, buckets),
        users_stamp("drive-1", {"ingest": "s1"}, buckets),
        users_stamp("drive-1", secrets, bucket_names("other-segs", "logos")),
    ]
    assert stamp not in others
    assert len(set(others)) == len(others)
