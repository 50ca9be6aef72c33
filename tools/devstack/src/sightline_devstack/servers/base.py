"""The shape every managed server has, and the start/stop/status logic they all share.

A server plugs in by saying how it is installed, prepared, launched, checked and provisioned;
`ensure_running`, `stop` and `status` are written once here. Adding a server touches only its
own module and the registry in `servers/__init__.py`.
"""

from __future__ import annotations

import signal
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sightline_devstack import ports, procs
from sightline_devstack.errors import PortTakenError
from sightline_devstack.settings import DevstackSettings
from sightline_devstack.waiting import wait_for

Say = Callable[[str], None]


@dataclass(frozen=True)
class Launch:
    """How to start a server process."""

    argv: list[str]
    env: dict[str, str] | None = None
    user: str | None = None
    cwd: Path | None = None


@dataclass(frozen=True)
class ServerStatus:
    """One line of `status`."""

    name: str
    state: str  # "running", "stopped", "dead" (record but no process)
    pid: int | None
    ports: dict[str, int] = field(default_factory=dict)
    healthy: bool = False
    log_path: Path | None = None


class Server(ABC):
    """A server of the local platform, living under `<state>/<name>/`."""

    name: str = ""
    stop_signal: signal.Signals = signal.SIGTERM
    stop_timeout_s: float = 30.0

    def __init__(self, settings: DevstackSettings, say: Say = print) -> None:
        self.settings = settings
        self.say = say
        self._spawned_at: float | None = None

    # ---- what each server says about itself -------------------------------------------------

    @abstractmethod
    def wanted_ports(self) -> dict[str, int]:
        """Ports this server would listen on if started now (role -> port)."""

    def install(self) -> None:  # noqa: B027 - optional hook
        """Fetch or build what the server runs (cached outside the clone); idempotent."""

    def prepare(self, chosen_ports: dict[str, int]) -> None:  # noqa: B027 - optional hook
        """Write config, format storage, create folders; idempotent."""

    @abstractmethod
    def launch(self, chosen_ports: dict[str, int]) -> Launch:
        """The command that runs the server in the foreground."""

    def after_stop(self, polite: bool) -> None:  # noqa: B027 - optional hook
        """Runs once the process we started has exited; `polite`: on its stop signal, in time."""

    @abstractmethod
    def is_ready(self, chosen_ports: dict[str, int]) -> bool:
        """A real request the server answers once it is up (before provisioning)."""

    def provision(self, chosen_ports: dict[str, int]) -> None:  # noqa: B027 - optional hook
        """Create the project's topics, buckets, roles; idempotent, runs on every `up`."""

    def is_healthy(self, chosen_ports: dict[str, int]) -> bool:
        """A real request proving the server is usable by the project (after provisioning)."""
        return self.is_ready(chosen_ports)

    def choose_ports(self, wanted: dict[str, int]) -> dict[str, int]:
        """Ports to use for a fresh start; by default exactly the wanted ones or an error."""
        for role, port in wanted.items():
            if not ports.can_bind(port, self.settings.host):
                holders = ", ".join(ports.describe_pid(p) for p in ports.listener_pids(port))
                raise PortTakenError(
                    f"{self.name}: {role} port {port} is taken by {holders or 'another process'};"
                    f" stop it or set another port"
                )
        return wanted

    # ---- shared machinery --------------------------------------------------------------------

    @property
    def dir(self) -> Path:
        """This server's folder in the state dir."""
        return self.settings.state_dir / self.name

    @property
    def pid_file(self) -> Path:
        """The record of the process we started."""
        return self.dir / f"{self.name}.pid.json"

    @property
    def log_path(self) -> Path:
        """Everything the server prints."""
        return self.settings.state_dir / "logs" / f"{self.name}.log"

    def record(self) -> procs.PidRecord | None:
        """Our record, if the process it names is still the one we started."""
        rec = procs.PidRecord.read(self.pid_file)
        return rec if rec is not None and procs.record_alive(rec) else None

    def ensure_running(self) -> dict[str, int]:
        """Start the server unless ours is already running and healthy; returns its ports."""
        return self.finish(self.begin())

    def begin(self) -> procs.PidRecord:
        """Make sure a process of ours exists (spawning it if needed) without waiting for it,
        so the platform can start every server before waiting on the slowest."""
        rec = self.record()
        if rec is not None:
            return rec
        stale = procs.PidRecord.read(self.pid_file)
        if stale is not None:  # a crashed server's helpers may still hold its ports
            procs.stop(stale, signal.SIGKILL, 0)
        self.install()
        chosen = self.choose_ports(self.wanted_ports())
        self.dir.mkdir(parents=True, exist_ok=True)
        self.prepare(chosen)
        launch = self.launch(chosen)
        self._spawned_at = time.monotonic()
        pid, ticks = procs.spawn(
            launch.argv, self.log_path, env=launch.env, cwd=launch.cwd, user=launch.user
        )
        rec = procs.PidRecord(pid, ticks, launch.argv, str(self.log_path), chosen)
        rec.write(self.pid_file)
        return rec

    def finish(self, rec: procs.PidRecord) -> dict[str, int]:
        """Wait for `rec`'s server to answer, provision it, and prove it healthy."""
        if not self.is_ready(rec.ports):
            self._wait_ready(rec)
        self.provision(rec.ports)
        self._check_healthy(rec)
        if self._spawned_at is not None:
            took = time.monotonic() - self._spawned_at
            self.say(f"{self.name}: up (pid {rec.pid}, healthy {took:.1f}s after start)")
            self._spawned_at = None
        return rec.ports

    def _wait_ready(self, rec: procs.PidRecord) -> None:
        wait_for(
            lambda: self.is_ready(rec.ports),
            what=self.name,
            timeout=self.settings.health_timeout_s,
            log_path=self.log_path,
            still_running=lambda: procs.record_alive(rec),
        )

    def _check_healthy(self, rec: procs.PidRecord) -> None:
        # Provisioning just ran, so the project-level check should pass almost at once.
        wait_for(
            lambda: self.is_healthy(rec.ports),
            what=f"{self.name} (after provisioning)",
            timeout=15,
            log_path=self.log_path,
            still_running=lambda: procs.record_alive(rec),
        )

    def stop(self) -> bool:
        """Stop the process we started (if any) and wait for its ports to close.

        Returns True if something was stopped.
        """
        rec = procs.PidRecord.read(self.pid_file)
        if rec is None:
            return False
        was_alive = procs.record_alive(rec)
        polite = procs.stop(rec, self.stop_signal, self.stop_timeout_s)
        held = ports.wait_until_free(list(rec.ports.values()), 10, self.settings.host)
        self.pid_file.unlink(missing_ok=True)
        if was_alive:
            how = "stopped" if polite else "killed after not stopping in time"
            self.say(f"{self.name}: {how} (pid {rec.pid})")
            self.after_stop(polite)
        if held:
            raise PortTakenError(f"{self.name}: ports {held} still have a listener after stop")
        return was_alive

    def status(self) -> ServerStatus:
        """Whether our process runs and answers its health check."""
        rec = procs.PidRecord.read(self.pid_file)
        if rec is None:
            return ServerStatus(self.name, "stopped", None, log_path=self.log_path)
        if not procs.record_alive(rec):
            return ServerStatus(self.name, "dead", rec.pid, rec.ports, False, self.log_path)
        healthy = self.is_healthy(rec.ports)
        return ServerStatus(self.name, "running", rec.pid, rec.ports, healthy, self.log_path)
