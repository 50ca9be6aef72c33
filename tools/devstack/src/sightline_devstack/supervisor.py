"""Keeps a set of service processes running, the way Kubernetes would on one machine.

A process that exits while the stack is running is restarted after an exponential back-off
(reset once it has stayed up for a while), so a crashed service comes back on its own and a
service that crashes at once does not spin the CPU. Stopping sends SIGTERM to every process
group (graceful shutdown: finish the in-flight message, commit), then SIGKILL after a grace time.

Like a Kubernetes liveness probe, a process with a `liveness_url` (its `/healthz`) that keeps
failing it after a start-up grace is terminated, and so restarted: a consumer that stalled
while its process stays up (see `sightline_common.kafka.watchdog`) comes back on its own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

INITIAL_BACKOFF_S = 1.0
MAX_BACKOFF_S = 30.0
STABLE_AFTER_S = 30.0
KILL_AFTER_S = 10.0  # SIGTERM to SIGKILL for a process failing its liveness probe


@dataclass(frozen=True)
class LivenessProbe:
    """How a process's liveness URL is checked (Kubernetes' livenessProbe fields)."""

    initial_delay_s: float = 60.0
    period_s: float = 10.0
    failure_threshold: int = 3
    timeout_s: float = 2.0


@dataclass
class ServiceSpec:
    """One supervised process: its command, environment, log file and health URL."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str]
    log_path: Path
    health_url: str | None = None
    cwd: Path | None = None
    liveness_url: str | None = None


@dataclass
class _Running:
    spec: ServiceSpec
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    backoff: float = INITIAL_BACKOFF_S
    restart_at: float | None = None
    restarts: int = 0
    history: list[int] = field(default_factory=list)
    next_probe: float = 0.0
    failed_probes: int = 0
    kill_at: float | None = None


class Supervisor:
    """Starts every spec, restarts what dies with back-off, and stops them all on request."""

    def __init__(
        self,
        specs: Sequence[ServiceSpec],
        say: Callable[[str], None],
        liveness: LivenessProbe | None = None,
    ) -> None:
        self._running = [_Running(spec) for spec in specs]
        self._say = say
        self._liveness = liveness or LivenessProbe()
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
        item.next_probe = item.started_at + self._liveness.initial_delay_s
        item.failed_probes = 0
        item.kill_at = None

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
            if item.proc is not None:
                self._probe(item, item.proc, now)
            return
        code = item.proc.returncode
        item.history.append(code)
        self._say(
            f"{item.spec.name}: exited with {code}; restarting in {item.backoff:.0f}s"
            f" (log: {item.spec.log_path})"
        )
        item.restart_at = now + item.backoff
        item.backoff = min(item.backoff * 2, MAX_BACKOFF_S)

    def _probe(self, item: _Running, proc: subprocess.Popen[bytes], now: float) -> None:
        """Check the liveness URL when due; terminate the process after too many failures."""
        if item.kill_at is not None:
            if now >= item.kill_at:
                _signal_group(proc, signal.SIGKILL)
            return
        url = item.spec.liveness_url
        if url is None or now < item.next_probe:
            return
        item.next_probe = now + self._liveness.period_s
        if _answers_ok(url, self._liveness.timeout_s):
            item.failed_probes = 0
            return
        item.failed_probes += 1
        if item.failed_probes < self._liveness.failure_threshold:
            return
        self._say(
            f"{item.spec.name}: {url} failed {item.failed_probes} times; terminating it"
            f" (log: {item.spec.log_path})"
        )
        _signal_group(proc, signal.SIGTERM)
        item.kill_at = now + KILL_AFTER_S


def _answers_ok(url: str, timeout: float) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - our own URL
            return 200 <= int(response.status) < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        return
