"""`make run`: the platform, every service and the dashboard, with a demo source, in the foreground.

Prints where everything is (dashboard, RTMP URL and stream key for OBS, a demo API token) and
supervises the services until Ctrl-C, then stops everything it started — the platform too, when
this run was the one that brought it up.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from urllib.parse import quote

from sightline_common.storage_access import WORKLOAD_USERS, storage_user
from sightline_devstack.envfile import PlatformEnv
from sightline_devstack.platform import down, ensure_up, status
from sightline_devstack.settings import DevstackSettings
from sightline_devstack.supervisor import ServiceSpec, Supervisor


@dataclass(frozen=True)
class ServiceEntry:
    """A service of the stack: how to start it and which port its HTTP side uses."""

    name: str
    module: str
    port: int
    args: tuple[str, ...] = ()  # "{port}" stands for `port`

    def argv(self) -> list[str]:
        """The command line that starts it."""
        return [sys.executable, "-m", self.module, *(a.format(port=self.port) for a in self.args)]


REPLAY = ("replay", "--port", "{port}")  # a detector's reanalysis worker
# detector-logo's proposal-net trainer (niced, one thread: sightline_detector_logo.trainer).
# Minutes of CPU per library change: SIGHTLINE_PROPOSAL_TRAINING=0 leaves it out of a stack
# that must not spend them (the Playwright stack, the chaos rig).
TRAINER = "detector-logo-trainer"


SERVICES: tuple[ServiceEntry, ...] = (
    ServiceEntry("results-api", "sightline_results_api", 8000, ("serve",)),
    ServiceEntry("exposure", "sightline_results_api", 8002, ("exposure",)),
    ServiceEntry("notifier", "sightline_notifier", 8001),
    ServiceEntry("alerts", "sightline_alerts", 8040),
    ServiceEntry("ingest", "sightline_ingest", 8010),
    ServiceEntry("detector-logo", "sightline_detector_logo", 8020),
    ServiceEntry("detector-visual", "sightline_detector_visual", 8030),
    ServiceEntry("detector-logo-replay", "sightline_detector_logo", 8022, REPLAY),
    ServiceEntry("detector-visual-replay", "sightline_detector_visual", 8032, REPLAY),
    ServiceEntry(TRAINER, "sightline_detector_logo", 8023, ("train-proposals",)),
)
DASHBOARD_PORT = 4200


def services_to_run(training: bool) -> tuple[ServiceEntry, ...]:
    """SERVICES, without the proposal trainer unless `training`."""
    return tuple(entry for entry in SERVICES if training or entry.name != TRAINER)


def service_specs(
    settings: DevstackSettings,
    platform: PlatformEnv,
    entries: Sequence[ServiceEntry] = SERVICES,
    *,
    dashboard: bool = True,
) -> list[ServiceSpec]:
    """Every process `make run` supervises, with the platform's settings in its environment.

    `entries` and `dashboard` let a throwaway stack (the chaos harness) run some services on
    other ports beside the developer's one.
    """
    base_env = platform.as_env()
    logs = settings.state_dir / "logs"
    specs = [
        ServiceSpec(
            name=entry.name,
            argv=entry.argv(),
            env={
                **base_env,
                **storage_login(entry.name, platform.s3_secret_key),
                "SIGHTLINE_SERVICE_NAME": entry.name,
                "SIGHTLINE_HTTP_PORT": str(entry.port),
                # The exposure processor's faust folder, with the rest of this stack's state.
                "SIGHTLINE_EXPOSURE_DATA_DIR": str(settings.state_dir / "exposure"),
            },
            log_path=logs / f"{entry.name}.log",
            health_url=f"http://127.0.0.1:{entry.port}/readyz",
            liveness_url=f"http://127.0.0.1:{entry.port}/healthz",
        )
        for entry in entries
    ]
    if not dashboard:
        return specs
    specs.append(
        ServiceSpec(
            name="dashboard",
            argv=["bash", str(settings.repo_root / "frontend/scripts/serve.sh")],
            env={"SIGHTLINE_DASHBOARD_PORT": str(DASHBOARD_PORT)},
            log_path=logs / "dashboard.log",
            health_url=f"http://127.0.0.1:{DASHBOARD_PORT}/",
        )
    )
    return specs


def storage_login(workload: str, root_secret_key: str) -> dict[str, str]:
    """The MinIO login of `workload`: the user MinIO's provisioning made for it, or none (empty)
    for a service that never touches the store, so no service runs on MinIO's root login."""
    principal = WORKLOAD_USERS.get(workload)
    if principal is None:
        return {"SIGHTLINE_S3_ACCESS_KEY": "", "SIGHTLINE_S3_SECRET_KEY": ""}
    user = storage_user(principal)
    return {
        "SIGHTLINE_S3_ACCESS_KEY": user.access_key(),
        "SIGHTLINE_S3_SECRET_KEY": user.dev_secret_key(root_secret_key),
    }


def run(settings: DevstackSettings, say: Callable[[str], None]) -> int:
    """Bring everything up, print the banner, supervise until Ctrl-C, stop what was started."""
    platform_was_up = all(row.state == "running" and row.healthy for row in status(settings))
    platform = ensure_up(settings, say=say)
    migrate(settings, platform)
    entries = services_to_run(os.environ.get("SIGHTLINE_PROPOSAL_TRAINING", "1") != "0")
    supervisor = Supervisor(service_specs(settings, platform, entries), say)

    def _interrupt(_signum: int, _frame: FrameType | None) -> None:
        supervisor.stop()

    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    # Restarts must already work while we wait for health: a service that crashes at start
    # (a bad state file, a port in use) is retried with back-off, not waited on forever.
    watcher = threading.Thread(target=supervisor.watch, name="supervisor", daemon=True)
    try:
        supervisor.start_all()
        watcher.start()
        specs = service_specs(settings, platform, entries)
        if _wait_healthy(specs, supervisor, say, timeout=900.0):
            with_source = os.environ.get("SIGHTLINE_DEMO_SOURCE", "1") != "0"
            state = settings.state_dir / "demo.json"
            demo = DemoSetup(state, platform.as_env()).ensure(with_source)
            _banner(platform, demo, say)
        while watcher.is_alive():
            watcher.join(0.5)
    finally:
        say("stopping services ...")
        supervisor.shutdown()
        if not platform_was_up:
            down(settings, say=say)
    return 0


def migrate(settings: DevstackSettings, platform: PlatformEnv) -> None:
    """Apply database migrations before the services start (they would race otherwise)."""
    subprocess.run(
        [sys.executable, "-m", "sightline_results_api", "migrate"],
        env={**os.environ, **platform.as_env()},
        check=True,
        stdout=subprocess.DEVNULL,
        cwd=settings.repo_root,
    )


def _wait_healthy(
    specs: list[ServiceSpec], supervisor: Supervisor, say: Callable[[str], None], timeout: float
) -> bool:
    """Wait for each health URL; False when interrupted. A slow one is reported, not fatal."""
    deadline = time.monotonic() + timeout
    for spec in specs:
        if spec.health_url is None:
            continue
        while not _answers(spec.health_url):
            if supervisor.stopping:
                return False
            if time.monotonic() > deadline:
                say(f"{spec.name}: not healthy yet; see {spec.log_path}")
                break
            time.sleep(0.5)
        else:
            say(f"{spec.name}: ready")
    return True


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback URL
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@dataclass(frozen=True)
class Demo:
    """What a newcomer needs to try the stack."""

    token: str
    obs_key: str
    obs_stream_id: str
    demo_stream_id: str


class DemoSetup:
    """Creates (once) a demo API token, an OBS stream and a test-pattern stream.

    Keys are shown once by the API; for the local stack they are kept in the git-ignored state
    folder so every `make run` can print them again.
    """

    def __init__(self, path: Path, env: Mapping[str, str]) -> None:
        self._path = path
        self._env = dict(env)

    def ensure(self, with_source: bool = True) -> Demo:
        """The saved demo if its token still works, else a new one.

        `with_source=False` (SIGHTLINE_DEMO_SOURCE=0, used by `make test`) registers no
        test-pattern stream, so nothing encodes video in the background.
        """
        saved = self._load()
        if saved is not None and self._token_works(saved.token):
            return saved
        token = self._cli("token", "create", "--name", f"make-run-{int(time.time())}")[-1]
        obs = self._cli("streams", "add", "--name", "OBS", "--source", "rtmp")
        test_id = ""
        if with_source:
            test = self._cli("streams", "add", "--name", "Demo test pattern", "--source", "test")
            test_id = _stream_id(test)
        demo = Demo(
            token=token.strip(),
            obs_key=_field(obs, "stream key:").split()[0],
            obs_stream_id=_stream_id(obs),
            demo_stream_id=test_id,
        )
        self._path.write_text(json.dumps(demo.__dict__, indent=2))
        self._path.chmod(0o600)
        return demo

    def _load(self) -> Demo | None:
        try:
            return Demo(**json.loads(self._path.read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def _token_works(self, token: str) -> bool:
        request = urllib.request.Request(
            "http://127.0.0.1:8000/api/streams", headers={"Authorization": f"Bearer {token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def _cli(self, *args: str) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-m", "sightline_results_api.cli", *args],
            env={**os.environ, **self._env},
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout.strip().splitlines()


def _field(lines: list[str], label: str) -> str:
    for line in lines:
        if line.startswith(label):
            return line.removeprefix(label).strip()
    raise ValueError(f"{label!r} not in CLI output")


def _stream_id(lines: list[str]) -> str:
    first = lines[0]  # "stream NAME (ID) registered"
    return first[first.rindex("(") + 1 : first.rindex(")")]


def _banner(platform: PlatformEnv, demo: Demo, say: Callable[[str], None]) -> None:
    lines = [
        "",
        "Sightline is running. Ctrl-C stops everything this command started.",
        # The link signs the browser in (the dashboard stores the token and drops it from the URL).
        f"  dashboard      http://127.0.0.1:{DASHBOARD_PORT}/#token={quote(demo.token, safe='')}",
        "  REST API       http://127.0.0.1:8000/docs",
        "  WebSocket      ws://127.0.0.1:8001/ws (token: subprotocol bearer.<token>)",
        f"  API token      {demo.token}",
        "  OBS            Settings > Stream > Service: Custom",
        f"                 Server:     {platform.rtmp_url}",
        f"                 Stream Key: {demo.obs_key}",
        f"  demo source    test pattern, stream {demo.demo_stream_id or '(none)'}",
        f"  MinIO console  {platform.minio_console_url}",
        f"  logs           {platform.state_dir}/logs/",
        "",
    ]
    for line in lines:
        say(line)
