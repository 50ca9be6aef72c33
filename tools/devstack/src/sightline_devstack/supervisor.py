"""Keeps a set of service processes running, the way Kubernetes would on one machine.

A process that exits while the stack is running is restarted after an exponential back-off
(reset once it has stayed up for a while), so a crashed service comes back on its own and a
service that crashes at once does not spin the CPU. Stopping sends SIGTERM to every process
group (graceful shutdown: finish the in-flight message, commit), then SIGKILL after a grace time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

INITIAL_BACKOFF_S = 1.0
MAX_BACKOFF_S = 30.0
STABLE_AFTER_S = 30.0


@dataclass
class ServiceSpec:
    """One supervised process: its command, environment, log file and health URL."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str]
    log_path: Path
    health_url: str | None = None
    cwd: Path | None = None


@dataclass
class _Running:
    spec: ServiceSpec
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    backoff: float = INITIAL_BACKOFF_S
    restart_at: float | None = None
    restarts: int = 0
    history: list[int] = field(default_factory=list)


class Supervisor:
    """Starts every spec, restarts what dies with back-off, and stops them all on request."""

    def __init__(self, specs: Sequence[ServiceSpec], say: Callable[[str], None]) -> None:
        self._running = [_Running(spec) for spec in specs]
        self._say = say
        self._stopping = threading.Event()

    def start_all(self) -> None:
        """Start every process (each in its own process group)."""
        for item in self._running:
            self._start(item)

    def watch(self, interval: float = 0.5) -> None:
        """Restart exited processes until `stop()` is called."""
        while not self._stopping.wait(interval):
            now = time.monotonic()
            for item in self._running:
                self._check(item, now)

    def stop(self) -> None:
        """Make `watch` return."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        """True once `stop()` was called (Ctrl-C): waits elsewhere should give up."""
        return self._stopping.is_set()

    def shutdown(self, grace: float = 20.0) -> None:
        """SIGTERM every process group, wait up to `grace` seconds, then SIGKILL the rest."""
        self._stopping.set()
        alive = [item.proc for item in self._running if item.proc and item.proc.poll() is None]
        for proc in alive:
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in alive:
            try:
                proc.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait(10)
        for proc in alive:
            _signal_group(proc, signal.SIGKILL)  # sweep children left in the group (ffmpeg)

    def pid(self, name: str) -> int | None:
        """The pid of `name`'s current process while it runs (for fault injection), else None."""
        for item in self._running:
            if item.spec.name == name and item.proc is not None and item.proc.poll() is None:
                return item.proc.pid
        return None

    def restarts(self) -> dict[str, int]:
        """How often each process was restarted."""
        return {item.spec.name: item.restarts for item in self._running}

    def _start(self, item: _Running) -> None:
        spec = item.spec
        spec.log_path.parent.mkdir(parents=True, exist_ok=True)
        with spec.log_path.open("ab") as log:
            item.proc = subprocess.Popen(
                list(spec.argv),
                env={**os.environ, **spec.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=spec.cwd,
                start_new_session=True,
            )
        item.started_at = time.monotonic()
        item.restart_at = None

    def _check(self, item: _Running, now: float) -> None:
        if item.restart_at is not None:
            if now >= item.restart_at:
                item.restarts += 1
                self._say(f"{item.spec.name}: restarting (restart #{item.restarts})")
                self._start(item)
            return
        if item.proc is None or item.proc.poll() is None:
            if item.proc is not None and now - item.started_at > STABLE_AFTER_S:
                item.backoff = INITIAL_BACKOFF_S
            return
        code = item.proc.returncode
        item.history.append(code)
        self._say(
            f"{item.spec.name}: exited with {code}; restarting in {item.backoff:.0f}s"
            f" (log: {item.spec.log_path})"
        )
        item.restart_at = now + item.backoff
        item.backoff = min(item.backoff * 2, MAX_BACKOFF_S)


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        return
