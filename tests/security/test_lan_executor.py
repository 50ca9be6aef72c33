"""The LAN executor trusts nobody: a secret, bounded requests, a concurrency limit, callers
isolated from each other, and a detector that falls back when it is refused.

The executor here is the real `executor` mode of detector-visual (a separate process on a real
port); the limits are set low through its settings so that the test stays small.
"""

from __future__ import annotations

import base64
import concurrent.futures
import io
import signal
import struct
import subprocess
import time
import zlib
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest

from sightline_analysis.analyzers import AnalyzerContext, AnalyzerRegistry, AnalyzerSet
from sightline_analysis.executors import AnalysisCall, ExecutorFailedError, build_executor
from sightline_analysis.executors.lan_protocol import ANALYZE_PATH
from sightline_analysis.frames import Frame
from sightline_devstack.ports import ephemeral_port
from sightline_testkit.plugin import Isolated
from sightline_testkit.processes import ChildProcess

# The executor's gate and the detector's fallback are the subject, not partitions: one per
# topic is enough (testkit).
pytestmark = [pytest.mark.integration, pytest.mark.topic_partitions(1)]

SECRET = "a-lan-secret-for-tests"
ANALYZERS = ["colours"]


def spawn_executor(isolated: Isolated, **env: str) -> tuple[ChildProcess, int]:
    """detector-visual's `executor` mode on a free port, with the secret and `env`."""
    port = ephemeral_port()
    child = isolated.spawn(
        "sightline_detector_visual",
        "executor",
        "--port",
        str(port),
        SIGHTLINE_ANALYZERS=",".join(ANALYZERS),
        SIGHTLINE_LAN_SECRET=SECRET,
        **env,
    )
    return child, port


@pytest.fixture
def executor(isolated: Isolated) -> tuple[ChildProcess, str]:
    child, port = spawn_executor(
        isolated,
        SIGHTLINE_EXECUTOR_MAX_BODY_BYTES=str(2 * 1024 * 1024),
        SIGHTLINE_EXECUTOR_MAX_FRAMES="4",
        SIGHTLINE_EXECUTOR_MAX_PIXELS=str(1920 * 1080),
        SIGHTLINE_EXECUTOR_MAX_CONCURRENT="1",
    )
    child.wait_http_ok(f"http://127.0.0.1:{port}/readyz", timeout=90)
    return child, f"127.0.0.1:{port}"


def jpeg(width: int = 320, height: int = 180) -> str:
    image = np.full((height, width, 3), (40, 120, 200), np.uint8)
    ok, data = cv2.imencode(".jpg", image)
    assert ok
    return base64.b64encode(data.tobytes()).decode()


def png_bomb(width: int, height: int) -> str:
    """A valid, tiny PNG header that declares `width` x `height` (its pixels never follow)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = io.BytesIO()
    data.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header))
    data.write(chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + chunk(b"IEND", b""))
    return base64.b64encode(data.getvalue()).decode()


def request(frames: list[str], stream: str = "cam-1") -> dict[str, object]:
    return {
        "stream_id": stream,
        "analyzers": ANALYZERS,
        "frames": [{"offset": float(i), "image": image} for i, image in enumerate(frames)],
    }


def post(host: str, body: object, secret: str | None = SECRET) -> int:
    headers = {"authorization": f"Bearer {secret}"} if secret else {}
    with httpx.Client(timeout=60) as client:
        response = client.post(f"http://{host}{ANALYZE_PATH}", json=body, headers=headers)
    return response.status_code


def test_the_executor_refuses_the_unauthenticated_the_oversized_and_the_too_many(
    executor: tuple[ChildProcess, str],
) -> None:
    _, host = executor
    assert post(host, request([jpeg()])) == 200
    assert post(host, request([jpeg()]), secret=None) == 401
    assert post(host, request([jpeg()]), secret="wrong") == 401
    assert post(host, {"padding": "x" * (3 * 1024 * 1024)}) == 413
    assert post(host, request([jpeg()] * 5)) == 422  # more frames than allowed
    assert post(host, request([jpeg(1921, 1080)])) == 422  # more pixels than allowed
    assert post(host, request([png_bomb(20_000, 20_000)])) == 422  # never decoded


def test_over_the_concurrency_limit_a_caller_is_told_to_come_back(
    executor: tuple[ChildProcess, str],
) -> None:
    _, host = executor
    heavy = request([jpeg(1920, 1080)] * 4)
    seen: set[int] = set()
    for _ in range(5):  # bursts until two requests overlapped (the first burst almost always)
        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            seen |= set(pool.map(lambda _: post(host, heavy), range(6)))
        if 429 in seen:
            break
    assert seen == {200, 429}


def test_a_refused_detector_falls_back_and_a_dead_secretless_executor_never_starts(
    isolated: Isolated, executor: tuple[ChildProcess, str]
) -> None:
    _, host = executor
    analyzers = AnalyzerSet(
        [AnalyzerRegistry.discover().build(key, AnalyzerContext()) for key in ANALYZERS]
    )
    image = np.full((180, 320, 3), 128, np.uint8)
    call = AnalysisCall("cam-1", [Frame(image, 0.0)])
    good = build_executor({"type": "lan", "hosts": [host], "secret": SECRET}, analyzers)
    assert len(good.run(call).results) == 1
    wrong = build_executor({"type": "lan", "hosts": [host], "secret": "wrong"}, analyzers)
    with pytest.raises(ExecutorFailedError, match="401"):
        wrong.run(call)

    port = ephemeral_port()
    unlocked = isolated.spawn(
        "sightline_detector_visual", "executor", "--port", str(port), SIGHTLINE_LAN_SECRET=""
    )
    assert unlocked.wait(60) == 2


def test_the_executor_serves_tls_that_a_detector_verifies(
    isolated: Isolated, tmp_path: Path
) -> None:
    cert, key = tmp_path / "executor.crt", tmp_path / "executor.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    child, port = spawn_executor(
        isolated, SIGHTLINE_EXECUTOR_TLS_CERT=str(cert), SIGHTLINE_EXECUTOR_TLS_KEY=str(key)
    )
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(f"https://127.0.0.1:{port}/readyz", verify=str(cert)).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert child.returncode() is None, "the TLS executor exited"
        assert time.monotonic() < deadline, "the TLS executor never became ready"
        time.sleep(0.5)
    analyzers = AnalyzerSet(
        [AnalyzerRegistry.discover().build(key, AnalyzerContext()) for key in ANALYZERS]
    )
    call = AnalysisCall("cam-1", [Frame(np.full((180, 320, 3), 128, np.uint8), 0.0)])
    host = f"https://127.0.0.1:{port}"
    trusted = build_executor(
        {"type": "lan", "hosts": [host], "secret": SECRET, "ca_file": str(cert)}, analyzers
    )
    assert len(trusted.run(call).results) == 1
    untrusted = build_executor({"type": "lan", "hosts": [host], "secret": SECRET}, analyzers)
    with pytest.raises(ExecutorFailedError, match="CERTIFICATE_VERIFY_FAILED"):
        untrusted.run(call)
    # A detector's open keep-alive connection does not hold the executor's shutdown up.
    started = time.monotonic()
    # (uvicorn re-raises the SIGTERM it handled once it has shut down)
    assert child.stop() in (0, -signal.SIGTERM)
    assert time.monotonic() - started < 10
