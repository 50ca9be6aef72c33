"""Processes we started and can prove are still ours: spawn, pid records, stop.

A pid file alone lies after a reboot or pid reuse, so each record also keeps the process start
time from /proc; a pid whose start time differs is someone else's and is never signalled. Each
server runs in its own session (its pid is its process group), so stopping can also sweep up
helpers it forked (nginx workers, postgres backends) instead of leaving listeners behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

# Popen objects of servers started by this process, kept so they are reaped and never
# garbage-collected with a "still running" warning while a test session holds the platform.
_SPAWNED: list[subprocess.Popen[bytes]] = []


@dataclass(frozen=True)
class PidRecord:
    """What we know about one server process we started."""

    pid: int
    start_ticks: int
    argv: list[str]
    log_path: str
    ports: dict[str, int] = field(default_factory=dict)

    def write(self, path: Path) -> None:
        """Persist atomically, so a reader never sees half a record."""
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2))
        tmp.replace(path)

    @classmethod
    def read(cls, path: Path) -> PidRecord | None:
        """The record at `path`, or None when missing or unreadable."""
        try:
            data = json.loads(path.read_text())
            return cls(
                pid=int(data["pid"]),
                start_ticks=int(data["start_ticks"]),
                argv=[str(a) for a in data["argv"]],
                log_path=str(data["log_path"]),
                ports={str(k): int(v) for k, v in data.get("ports", {}).items()},
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces; everything after its ')' is fixed format.
    return raw[raw.rindex(")") + 2 :].split()


def start_ticks(pid: int) -> int | None:
    """Kernel start time of `pid` in clock ticks, or None if there is no such process."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def _reap(pid: int) -> None:
    # Only our own children can be reaped; for anyone else's pid this is a no-op.
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def is_alive(pid: int, ticks: int | None = None) -> bool:
    """True when `pid` runs (not a zombie) and, if given, started at `ticks`."""
    _reap(pid)
    fields = _stat_fields(pid)
    if fields is None or fields[0] in ("Z", "X"):
        return False
    return ticks is None or int(fields[19]) == ticks


def record_alive(record: PidRecord) -> bool:
    """True when the recorded process is still the one we started."""
    return is_alive(record.pid, record.start_ticks)


def group_members(pgid: int, not_before_ticks: int) -> list[int]:
    """Live pids in process group `pgid` started no earlier than our leader (so a recycled
    group id of a stranger is not swept)."""
    members: list[int] = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        fields = _stat_fields(int(proc.name))
        if (
            fields
            and fields[0] not in ("Z", "X")
            and int(fields[2]) == pgid
            and int(fields[19]) >= not_before_ticks
        ):
            members.append(int(proc.name))
    return members


def spawn(
    argv: Sequence[str],
    log_path: Path,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    user: str | None = None,
) -> tuple[int, int]:
    """Start `argv` detached in its own session, stdout+stderr appended to `log_path`.

    Returns (pid, start_ticks). `user` drops privileges in the child (postgres refuses root)
    without a `su`/`runuser` wrapper, so the pid we record is the server itself.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        log.write(f"\n==== {time.strftime('%F %T')} starting: {' '.join(argv)}\n".encode())
        log.flush()
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
            user=user,
            group=user,
            extra_groups=[] if user else None,
        )
    _SPAWNED.append(proc)
    ticks = start_ticks(proc.pid)
    if ticks is None:  # exited at once; the caller's health wait reports it with the log
        ticks = 0
    return proc.pid, ticks


def group_cpu_seconds(record: PidRecord) -> float | None:
    """CPU seconds (user + system) the recorded server's process group has used: each live
    member's own and that of its children it has reaped (postgres backends that ended, nginx
    workers that were replaced), so a server's whole cost since it started. None when it is gone.

    The servers run detached, reparented to init, so no caller's `times` ever counts them.
    """
    if not record_alive(record):
        return None
    ticks = 0
    for pid in group_members(record.pid, record.start_ticks):
        fields = _stat_fields(pid)
        if fields:
            # utime, stime, cutime, cstime: fields 14-17 of /proc/<pid>/stat.
            ticks += sum(int(f) for f in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def _signal_group(record: PidRecord, sig: signal.Signals) -> None:
    for pid in group_members(record.pid, record.start_ticks):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def stop(record: PidRecord, sig: signal.Signals, timeout: float) -> bool:
    """Ask the server to stop with `sig`, wait `timeout`, then SIGKILL its whole group.

    Returns True if it stopped on the polite signal, False if it had to be killed.
    """
    polite = True
    if record_alive(record):
        with contextlib.suppress(ProcessLookupError):
            os.kill(record.pid, sig)
        deadline = time.monotonic() + timeout
        while record_alive(record) and time.monotonic() < deadline:
            time.sleep(0.1)
        polite = not record_alive(record)
    # Leftover group members (workers, backends) or a leader that ignored us: no mercy.
    deadline = time.monotonic() + 10
    while group_members(record.pid, record.start_ticks) and time.monotonic() < deadline:
        polite = polite and not record_alive(record)
        _signal_group(record, signal.SIGKILL)
        time.sleep(0.1)
        _reap(record.pid)
    return polite
