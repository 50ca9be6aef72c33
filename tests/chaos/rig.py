"""A throwaway Sightline for chaos: its own platform (other ports, own state folder) and the
services of `make run` on other ports, under the real supervisor.

Faults stop Kafka, MinIO and Postgres, so nothing here may touch the shared platform on the
default ports that other engineers' tests use. The service table and wiring are
`sightline_devstack.stack`'s (only ports and the set of services differ), the supervisor is the
one `make run` uses, so a killed service comes back exactly as it would there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import signal
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from sightline_devstack import ports
from sightline_devstack.envfile import PlatformEnv
from sightline_devstack.platform import down, ensure_up
from sightline_devstack.settings import DevstackSettings
from sightline_devstack.stack import SERVICES, ServiceEntry, migrate, service_specs
from sightline_devstack.supervisor import LivenessProbe, ServiceSpec, Supervisor

Say = Callable[[str], None]

# The services whose HTTP side answers nginx-rtmp's publish callbacks.
INGEST = "ingest"
# Liveness as `make run` probes it, with twice its patience: a service frozen a little past its
# consumer session timeout (30 s) must recover by itself (evicted, then assigned again), not be
# restarted; a probe failing for a minute still restarts it.
LIVENESS = LivenessProbe(failure_threshold=6)
# The service whose materializer group gets more members when asked (a rebalance on each kill).
MATERIALIZER = "results-api"
# Which detector each detector service is (its `detector.name` on Detection messages).
DETECTOR_OF_SERVICE = {"detector-logo": "logo", "detector-visual": "visual"}


def http_ok(url: str, timeout: float = 2.0) -> bool:
    """Whether `url` answers 200 now."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


class ChaosRig:
    """One throwaway platform plus supervised services; `start()` then `stop()` (always)."""

    def __init__(
        self,
        services: Sequence[str],
        say: Say,
        keep: bool = False,
        materializers: int = 1,
        service_env: Mapping[str, str] | None = None,
    ) -> None:
        unknown = set(services) - {entry.name for entry in SERVICES}
        if unknown or INGEST not in services:
            raise ValueError(f"services must include ingest and be among {SERVICES}: {services}")
        self._say = say
        self._keep = keep
        self._service_env = dict(service_env or {})
        self.root = Path(tempfile.mkdtemp(prefix="sightline-chaos-"))
        # PostgreSQL runs as `postgres` and must reach its data folder below this one.
        self.root.chmod(0o755)
        self.entries = [
            dataclasses.replace(entry, port=ports.ephemeral_port())
            for entry in SERVICES
            if entry.name in services
        ]
        if MATERIALIZER in services:  # more members of the materializer's group
            first = self.entry(MATERIALIZER)
            self.entries += [
                dataclasses.replace(first, name=f"{first.name}-{n}", port=ports.ephemeral_port())
                for n in range(2, materializers + 1)
            ]
        ingest_port = self.entry(INGEST).port
        fresh = [ports.ephemeral_port() for _ in range(7)]
        self.settings = dataclasses.replace(
            DevstackSettings.from_env({}),
            state_dir=self.root / "state",
            kafka_port=fresh[0],
            kafka_controller_port=fresh[1],
            postgres_port=fresh[2],
            minio_port=fresh[3],
            minio_console_port=fresh[4],
            rtmp_port=fresh[5],
            nginx_http_port=fresh[6],
            rtmp_callback_url=f"http://127.0.0.1:{ingest_port}/rtmp",
            health_timeout_s=180,
        )
        self.platform: PlatformEnv | None = None
        self.supervisor: Supervisor | None = None
        self._watcher: threading.Thread | None = None

    # ---- what the harness asks -----------------------------------------------------------

    def entry(self, name: str) -> ServiceEntry:
        """The service `name` as this rig runs it (its port)."""
        return next(entry for entry in self.entries if entry.name == name)

    @property
    def services(self) -> list[str]:
        """Names of the supervised services."""
        return [entry.name for entry in self.entries]

    @property
    def detectors(self) -> tuple[str, ...]:
        """Detector names of the detector services running."""
        return tuple(DETECTOR_OF_SERVICE[n] for n in self.services if n in DETECTOR_OF_SERVICE)

    def health_url(self, name: str) -> str:
        """`name`'s readiness URL."""
        return f"http://127.0.0.1:{self.entry(name).port}/readyz"

    @property
    def env(self) -> PlatformEnv:
        """The running platform's settings."""
        if self.platform is None:
            raise RuntimeError("the rig is not started")
        return self.platform

    @property
    def hls_dir(self) -> Path:
        """Where this rig's nginx-rtmp writes HLS, one folder per stream key."""
        return self.settings.hls_dir

    @property
    def log_dir(self) -> Path:
        """Platform and service logs."""
        return self.settings.state_dir / "logs"

    # ---- lifecycle -----------------------------------------------------------------------

    def start_platform(self) -> PlatformEnv:
        """Kafka, Postgres, MinIO, nginx-rtmp on fresh ports; migrations applied."""
        started = time.monotonic()
        self.platform = ensure_up(self.settings, say=self._say)
        migrate(self.settings, self.platform)
        self._say(f"platform up in {time.monotonic() - started:.0f}s under {self.root}")
        return self.platform

    def start_services(self, timeout: float = 240.0) -> None:
        """Start every service under the supervisor and wait until each is ready."""
        self.supervisor = Supervisor(self._specs(), self._say, LIVENESS)
        self.supervisor.start_all()
        self._watcher = threading.Thread(target=self.supervisor.watch, daemon=True)
        self._watcher.start()
        deadline = time.monotonic() + timeout
        for name in self.services:
            while not http_ok(self.health_url(name)):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name} not ready; see {self.log_dir / name}.log")
                time.sleep(0.5)
        self._say(f"services ready: {', '.join(self.services)}")

    def stop_server(self, name: str) -> None:
        """Stop one platform server (kafka, postgres, minio, nginx) of this rig."""
        down(self.settings, only=[name], say=self._say)

    def start_server(self, name: str) -> None:
        """Start it again and wait until it is healthy."""
        ensure_up(self.settings, only=[name], say=self._say, install_packages=False)

    def pid(self, name: str) -> int | None:
        """The supervised process of service `name`, while it runs."""
        return self.supervisor.pid(name) if self.supervisor else None

    def dump_stacks(self) -> None:
        """Every running service writes each thread's stack to its log (SIGUSR1, see
        `sightline_common.logging`); waits a moment for the lines to land."""
        for name in self.services:
            pid = self.pid(name)
            if pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGUSR1)
        time.sleep(2)

    def restarts(self) -> dict[str, int]:
        """How often the supervisor restarted each service."""
        return self.supervisor.restarts() if self.supervisor else {}

    def stop(self) -> None:
        """Stop the services (SIGTERM, then SIGKILL) and the platform; remove the folder."""
        if self.supervisor is not None:
            self.supervisor.stop()
            if self._watcher is not None:
                self._watcher.join(5)
            self.supervisor.shutdown(grace=15)
        with contextlib.suppress(Exception):  # best effort: report what the run saw regardless
            down(self.settings, say=self._say)
        if not self._keep:
            shutil.rmtree(self.root, ignore_errors=True)

    def _specs(self) -> list[ServiceSpec]:
        specs = service_specs(self.settings, self.env, self.entries, dashboard=False)
        work = self.root / "work"  # relative defaults (ingest state, faust data) land here
        work.mkdir(exist_ok=True)
        for spec in specs:
            spec.cwd = work
            spec.env = {
                **spec.env,
                "SIGHTLINE_INGEST_STATE_DIR": str(self.root / "ingest"),
                "SIGHTLINE_DATABASE_SCHEMA": "",
                "SIGHTLINE_DEMO_SOURCE": "0",
                # Log lines written just before a SIGKILL must reach the log, not die buffered.
                "PYTHONUNBUFFERED": "1",
                **self._service_env,
            }
        return specs
