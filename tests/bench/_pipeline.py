"""The whole live pipeline on a private slice of the local platform, for the end-to-end bench.

A private nginx-rtmp (its own ports and HLS folder, publish callbacks to this pipeline's
ingest), its own topic set, buckets and database schema (the testkit's isolation, so the shared
stack and other people's tests are not disturbed), and real service processes: results-api
(REST + materializer), notifier (with `segment.ready` frames), ingest and detector-logo.
Streams and the logo library are set up through the REST API, as an operator would.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import uuid
import zlib
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import cv2
from confluent_kafka.admin import AdminClient
from websockets.typing import Subprotocol

from sightline_common.kafka.security import admin_config
from sightline_common.storage import ObjectStore
from sightline_common.topics import TOPIC_SPECS, Topic, TopicNames
from sightline_devstack import ports
from sightline_devstack.platform import down, ensure_up
from sightline_devstack.settings import DevstackSettings
from sightline_testkit.kafka import create_topics, delete_topics
from sightline_testkit.plugin import Isolated, _drop_schema, _remove_buckets
from sightline_testkit.processes import ChildProcess

SEGMENT_PARTITIONS = next(s.partitions for s in TOPIC_SPECS if s.topic is Topic.SEGMENTS)


@dataclasses.dataclass(frozen=True)
class Stream:
    """A registered stream: its id, the URL to push to and its HLS folder."""

    stream_id: str
    publish_url: str
    hls_folder: Path

    def publish(self, clip: Path, timeout: float = 120.0) -> None:
        """Push `clip` (an encoded FLV) once, in real time, as OBS would; returns when it ends
        (`timeout`: a cap on that)."""
        subprocess.run(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-i", str(clip),
             "-c", "copy", "-f", "flv", self.publish_url],
            check=True, timeout=timeout,
        )  # fmt: skip


class Pipeline(AbstractContextManager["Pipeline"]):
    """Starts everything on `__enter__`, stops and removes everything on `__exit__`."""

    def __init__(
        self,
        detectors: int,
        log_dir: Path | None = None,
        *,
        shed_late_segments: bool = True,
        visual: int = 0,
    ) -> None:
        """`shed_late_segments=False` makes the live detectors analyse every segment however far
        behind they fall (SIGHTLINE_MAX_LIVE_LAG_S=0): a test of what is found must not race
        the overload shedding, whose skipped segments only a backfill worker (not started
        here) would analyse. The latency bench keeps it on, as a live deployment runs.
        `visual` detector-visual processes run beside the `detectors` detector-logo ones (and
        streams are then analysed by both). The services log at WARNING, or at
        SIGHTLINE_BENCH_LOG_LEVEL (INFO: each shed segment and each detection, with its lag)."""
        self.detectors = detectors
        self.visual = visual
        self.shed_late_segments = shed_late_segments
        self.folder = Path(tempfile.mkdtemp(prefix="sightline-e2e-bench-"))
        self.folder.chmod(0o755)  # nginx (another user) writes HLS below it
        self.log_dir = log_dir or self.folder / "logs"
        self.api_port, self.ws_port = ports.ephemeral_port(), ports.ephemeral_port()
        self.ingest_port = ports.ephemeral_port()
        self.token = ""
        self._nginx_settings: DevstackSettings | None = None
        self._isolated: Isolated | None = None
        self._created: list[str] = []
        self._platform: dict[str, str] = {}
        self._ingest: ChildProcess | None = None

    @property
    def isolated(self) -> Isolated:
        """The private slice (environment, topics) the services run on."""
        assert self._isolated is not None, "pipeline not started"
        return self._isolated

    @property
    def ws_url(self) -> str:
        """The notifier's WebSocket (the token goes in `ws_protocols`, never in the URL)."""
        return f"ws://127.0.0.1:{self.ws_port}/ws"

    @property
    def ws_protocols(self) -> list[Subprotocol]:
        """The subprotocols a client offers: the notifier's and this pipeline's token."""
        return [Subprotocol("sightline.v1"), Subprotocol(f"bearer.{self.token}")]

    def __enter__(self) -> Pipeline:
        try:
            self._start()
        except BaseException:
            self._stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop()

    def _start(self) -> None:
        self._platform = ensure_up(say=lambda _: None).as_env()
        self._nginx_settings = DevstackSettings.from_env().private_nginx(
            self.folder / "nginx", self.ingest_port
        )
        nginx = ensure_up(
            self._nginx_settings, only=["nginx"], say=lambda _: None, install_packages=False
        )
        tag = f"e2e{uuid.uuid4().hex[:8]}"
        names = TopicNames(prefix=f"{tag}.")
        self._created = create_topics(self._platform["SIGHTLINE_KAFKA_BOOTSTRAP"], names)
        env = {
            **self._platform,
            "SIGHTLINE_TOPIC_PREFIX": names.prefix,
            "SIGHTLINE_SEGMENTS_BUCKET": f"{tag}-segments",
            "SIGHTLINE_LOGOS_BUCKET": f"{tag}-logos",
            "SIGHTLINE_DATABASE_SCHEMA": tag,
            "SIGHTLINE_RTMP_URL": nginx.rtmp_url,
            "SIGHTLINE_HLS_DIR": str(nginx.hls_dir),
            "SIGHTLINE_NGINX_HTTP_URL": nginx.nginx_http_url,
            "SIGHTLINE_LOG_LEVEL": os.environ.get("SIGHTLINE_BENCH_LOG_LEVEL", "WARNING"),
        }
        if not self.shed_late_segments:
            env["SIGHTLINE_MAX_LIVE_LAG_S"] = "0"
        self._isolated = Isolated(env=env, topics=names, tmp=self.folder)
        store = ObjectStore.from_settings(self.isolated.settings())
        for bucket in (env["SIGHTLINE_SEGMENTS_BUCKET"], env["SIGHTLINE_LOGOS_BUCKET"]):
            store.ensure_bucket(bucket)
        api = self._spawn("sightline_results_api", "serve", SIGHTLINE_HTTP_PORT=self.api_port)
        api.wait_http_ok(f"http://127.0.0.1:{self.api_port}/readyz", timeout=120)
        notifier = self._spawn(
            "sightline_notifier", SIGHTLINE_HTTP_PORT=self.ws_port, SIGHTLINE_INCLUDE_SEGMENTS=1
        )
        self.token = self._cli("token", "create", "--name", f"e2e-bench-{tag}")[-1].strip()
        notifier.wait_http_ok(f"http://127.0.0.1:{self.ws_port}/readyz", timeout=120)

    def start_workers(self) -> None:
        """Start ingest and the detectors, after the streams and logos exist (so the detectors
        load the library before their first segment)."""
        # Ingest logs each segment it spools and publishes at INFO (two lines a segment): the
        # bench splits its hop into pickup and upload from them (`ingest_hops`).
        level = self.isolated.env["SIGHTLINE_LOG_LEVEL"]
        self._ingest = self._spawn(
            "sightline_ingest",
            SIGHTLINE_HTTP_PORT=self.ingest_port,
            SIGHTLINE_INGEST_STATE_DIR=str(self.folder / "ingest-state"),
            SIGHTLINE_LOG_LEVEL="DEBUG" if level.upper() == "DEBUG" else "INFO",
        )
        ingest = self._ingest
        detectors = [
            self._spawn(module, SIGHTLINE_HTTP_PORT=ports.ephemeral_port())
            for module, count in (
                ("sightline_detector_logo", self.detectors),
                ("sightline_detector_visual", self.visual),
            )
            for _ in range(count)
        ]
        ingest.wait_http_ok(f"http://127.0.0.1:{self.ingest_port}/readyz", timeout=120)
        for detector in detectors:
            port = detector.env["SIGHTLINE_HTTP_PORT"]
            detector.wait_http_ok(f"http://127.0.0.1:{port}/readyz", timeout=180)

    def ingest_hops(self) -> dict[tuple[str, int], dict[str, float]]:
        """Per (stream id, sequence), when ingest had the segment spooled ("spooled": read,
        checked, probed and sequenced) and published ("published": stored and SegmentReady
        acknowledged by the broker), from its log."""
        hops: dict[tuple[str, int], dict[str, float]] = {}
        if self._ingest is None:
            return hops
        events = {"pickup.segment_spooled": "spooled", "upload.segment_ready": "published"}
        for line in self._ingest.log_path.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            hop = events.get(entry.get("event", "")) if isinstance(entry, dict) else None
            if hop is not None:
                key = (entry["stream_id"], entry["sequence"])
                at = datetime.fromisoformat(entry["timestamp"]).timestamp()
                hops.setdefault(key, {})[hop] = at
        return hops

    @property
    def detector_names(self) -> list[str]:
        """The detectors (policy names) every stream is analysed by: those running."""
        return [
            name for name, count in (("logo", self.detectors), ("visual", self.visual)) if count
        ]

    @property
    def max_live_lag_s(self) -> float:
        """The live detectors' lag bound (0: they never shed): the environment's
        SIGHTLINE_MAX_LIVE_LAG_S, else the detectors' default."""
        if not self.shed_late_segments:
            return 0.0
        configured = os.environ.get("SIGHTLINE_MAX_LIVE_LAG_S")
        if configured:
            return float(configured)
        from sightline_analysis.settings import DetectorSettings  # noqa: PLC0415 - bench only

        return float(DetectorSettings.model_fields["max_live_lag_s"].default)

    def add_logo(self, brand: str, image: object, extension: str = ".png") -> dict[str, Any]:
        """Upload a reference image (BGR or BGRA array, encoded as `extension`) to the logo
        library through the API; the API's answer (with the logo's detectability)."""
        ok, encoded = cv2.imencode(extension, image)  # type: ignore[call-overload]
        assert ok
        return self.add_logo_file(brand, encoded.tobytes(), extension)

    def add_logo_file(self, brand: str, data: bytes, extension: str = ".png") -> dict[str, Any]:
        """Upload a reference file's bytes as they are (e.g. a brand kit's PNG) to the logo
        library through the API; the API's answer."""
        content_type = "image/jpeg" if extension in (".jpg", ".jpeg") else "image/png"
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="brand"\r\n\r\n{brand}\r\n'
                f"--{boundary}\r\nContent-Disposition: form-data; "
                f'name="image"; filename="logo{extension}"\r\nContent-Type: {content_type}\r\n\r\n'
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return self._api("POST", "/api/logos", body, f"multipart/form-data; boundary={boundary}")

    def add_stream(self, name: str) -> Stream:
        """Register an RTMP stream analysed by the detectors the pipeline runs."""
        body = {
            "name": name,
            "source": {"kind": "rtmp"},
            "policy": {"executors": ["local"], "detectors": self.detector_names},
        }
        created = self._api("POST", "/api/streams", json.dumps(body).encode(), "application/json")
        hls = Path(self.isolated.env["SIGHTLINE_HLS_DIR"]) / created["stream_key"]
        return Stream(created["id"], created["publish_url"], hls)

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time each service process used so far (from /proc), by process: the service's
        name, numbered when it runs several (`detector_logo.1`, `detector_logo.2`), so a
        consumer group whose members share the work unevenly shows it."""
        return {name: _cpu_seconds(pid) for pid, name in self.process_names().items()}

    def streams_per_process(self, group: str, stream_ids: list[str]) -> dict[str, int]:
        """How many of `stream_ids` each member of detector group `group` (e.g.
        "detector-logo") owns now: its partitions from the group's assignment, a stream's from
        librdkafka's default partitioner (CRC32 of the key modulo the partition count)."""
        names = self.process_names()
        admin = AdminClient(admin_config(self._platform["SIGHTLINE_KAFKA_BOOTSTRAP"]))
        full = self.isolated.topics.group(group)
        described = admin.describe_consumer_groups([full])[full].result(timeout=30)
        owned: dict[str, int] = {}
        for member in described.members:
            pid = int(member.client_id.rsplit("-", 1)[-1])
            parts = {tp.partition for tp in member.assignment.topic_partitions}
            owned[names.get(pid, str(pid))] = sum(
                zlib.crc32(s.encode()) % SEGMENT_PARTITIONS in parts for s in stream_ids
            )
        return owned

    def process_names(self) -> dict[int, str]:
        """Each running service process's pid and name, as `cpu_seconds` names it."""
        running = [c for c in self.isolated.children if c.returncode() is None]
        names = [c.name.removeprefix("sightline_") for c in running]
        out: dict[int, str] = {}
        for child, name in zip(running, names, strict=True):
            nth = sum(1 for k in out.values() if k.startswith(name + "."))
            out[child.pid] = f"{name}.{nth + 1}" if names.count(name) > 1 else name
        return out

    def _spawn(self, module: str, *args: str, **env: object) -> ChildProcess:
        return self.isolated.spawn(module, *args, **{k: str(v) for k, v in env.items()})

    def _api(self, method: str, path: str, body: bytes, content_type: str) -> dict[str, Any]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.api_port}{path}",
            data=body,
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": content_type},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return dict(json.loads(response.read()))

    def _cli(self, *args: str) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-m", "sightline_results_api.cli", *args],
            env={**os.environ, **self.isolated.env},
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout.strip().splitlines()

    def _stop(self) -> None:
        if self._isolated is not None:
            for child in reversed(self._isolated.children):
                child.stop()
            log_copy = self.log_dir
            log_copy.mkdir(parents=True, exist_ok=True)
            for log in (self.folder / "logs").glob("*.log"):
                if log_copy != self.folder / "logs":
                    shutil.copy(log, log_copy / log.name)
            store = ObjectStore.from_settings(self._isolated.settings())
            env = self._isolated.env
            _remove_buckets(
                store, [env["SIGHTLINE_SEGMENTS_BUCKET"], env["SIGHTLINE_LOGOS_BUCKET"]]
            )
            _drop_schema(self._platform, env["SIGHTLINE_DATABASE_SCHEMA"])
        if self._created:
            delete_topics(self._platform["SIGHTLINE_KAFKA_BOOTSTRAP"], self._created)
        if self._nginx_settings is not None:
            down(self._nginx_settings, only=["nginx"], say=lambda _: None)
        shutil.rmtree(self.folder, ignore_errors=True)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
