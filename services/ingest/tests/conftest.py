"""Fixtures for ingest's integration tests: a private nginx-rtmp and ingest started on it.

Each test gets its own nginx-rtmp (fresh ports, its own HLS folder) whose publish callbacks
point at a free port where the test's ingest listens, so these tests never touch the shared
nginx or port 8010 that a developer's running ingest may hold.
"""

from __future__ import annotations

import signal
import subprocess
import uuid
from dataclasses import dataclass

import pytest

from sightline_common.envelope import wrap
from sightline_common.kafka import EventProducer
from sightline_common.messages import AnalysisPolicy, Source, StreamConfig
from sightline_common.storage import ObjectStore
from sightline_common.topics import Topic
from sightline_ingest.keys import hash_key, new_key
from sightline_testkit.nginx import PrivateNginx
from sightline_testkit.plugin import Isolated
from sightline_testkit.processes import ChildProcess


@dataclass
class IngestRig:
    """One test's ingest process and the clients to drive and observe it."""

    isolated: Isolated
    nginx: PrivateNginx
    process: ChildProcess | None = None
    s3_endpoint: str | None = None  # a private MinIO instead of the shared one

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.nginx.callback_port}"

    @property
    def bucket(self) -> str:
        return self.isolated.env["SIGHTLINE_SEGMENTS_BUCKET"]

    def start(self, **env: str) -> ChildProcess:
        """Start ingest (or restart the same process definition) and wait until ready."""
        if self.process is None:
            self.process = self.isolated.spawn(
                "sightline_ingest",
                SIGHTLINE_HTTP_PORT=str(self.nginx.callback_port),
                SIGHTLINE_HLS_DIR=str(self.nginx.hls_dir),
                SIGHTLINE_RTMP_URL=self.nginx.rtmp_url,
                SIGHTLINE_NGINX_HTTP_URL=self.nginx.http_url,
                SIGHTLINE_INGEST_STATE_DIR=str(self.isolated.tmp / "ingest-state"),
                SIGHTLINE_LOG_LEVEL="INFO",
                **({"SIGHTLINE_S3_ENDPOINT": self.s3_endpoint} if self.s3_endpoint else {}),
                **env,
            )
        else:
            self.process.start()
        self.process.wait_http_ok(f"{self.base_url}/readyz", timeout=60)
        return self.process

    def add_stream(self, kind: str = "rtmp", **source: object) -> tuple[str, str]:
        """Register a stream on this test's stream-config topic; returns (id, key).

        Added before `start()`, the stream is known once ingest is ready (readiness waits for
        the stream-config table read at start); added while ingest runs, only once ingest has
        read it live, which nothing tells a test: a publish right after can be refused."""
        key = new_key()
        config = StreamConfig(
            stream_id=f"s-{uuid.uuid4().hex[:12]}",
            name=f"test {kind}",
            key_hash=hash_key(key),
            source=Source.model_validate({"kind": kind, **source}),
            policy=AnalysisPolicy.model_validate({"executors": ["local"]}),
            enabled=True,
        )
        producer = EventProducer(self.isolated.bootstrap, "ingest-test")
        topic = self.isolated.topics.name(Topic.STREAM_CONFIG)
        producer.publish(topic, wrap(config, key=config.stream_id, producer="ingest-test"))
        producer.flush()
        return config.stream_id, key

    def store(self) -> ObjectStore:
        overrides = {"SIGHTLINE_S3_ENDPOINT": self.s3_endpoint} if self.s3_endpoint else {}
        return ObjectStore.from_settings(self.isolated.settings(**overrides))

    def objects(self, stream_id: str) -> list[str]:
        return list(self.store().list_keys(self.bucket, f"streams/{stream_id}/"))


@pytest.fixture
def rig(isolated: Isolated, private_nginx: PrivateNginx) -> IngestRig:
    return IngestRig(isolated, private_nginx)


def push_command(url: str, seconds: float) -> list[str]:
    """ffmpeg pushing a 360p30 test pattern with a 2 s GOP, as OBS would (360p: ingest's tests
    are about segments and events, not resolution, and a 720p pattern costs 2.5x the CPU)."""
    return [
        "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
        "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
        "-t", str(seconds),
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-g", "60", "-keyint_min", "60", "-sc_threshold", "0",
        "-c:a", "aac", "-f", "flv", url,
    ]  # fmt: skip


def push(url: str, seconds: float) -> subprocess.CompletedProcess[str]:
    """Push for `seconds` and wait for ffmpeg to exit."""
    return subprocess.run(
        push_command(url, seconds),
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
    )


def start_push(url: str, seconds: float) -> subprocess.Popen[str]:
    """Start pushing in the background."""
    return subprocess.Popen(
        push_command(url, seconds), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


# A push that must outlast steps whose time depends on the machine's load runs this long and is
# ended by the test (`end_push`) once it has seen what it waits for: a push of a fixed length
# that those steps outran on a loaded CI machine failed the full-store test (CI, stop 34).
PUSH_UP_TO_S = 300


def end_push(pusher: subprocess.Popen[str]) -> None:
    """End a live push as OBS's Stop does: SIGINT, on which ffmpeg flushes, closes the RTMP
    publish and exits with status 255. Fails if the push had already ended by itself."""
    assert pusher.poll() is None, "the push ended before the test ended it"
    pusher.send_signal(signal.SIGINT)
    assert pusher.wait(30) == 255, pusher.stderr.read() if pusher.stderr else ""


def nginx_fragments(rig: IngestRig, key: str) -> int:
    """How many fragments nginx has cut of the publish on `key` so far (its fragment files are
    numbered from 0; its playlist keeps only the last 60 s of them)."""
    playlist = rig.nginx.hls_dir / key / "index.m3u8"
    if not playlist.exists():
        return 0
    names = [line for line in playlist.read_text().splitlines() if line.endswith(".ts")]
    return int(names[-1].removesuffix(".ts")) + 1 if names else 0
