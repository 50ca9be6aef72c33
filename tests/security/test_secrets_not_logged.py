"""No secret ever reaches a log: the whole pipeline runs as processes through a flow that uses
every kind of secret, then every line those processes wrote is searched for them.

Secrets used: an API token (REST with a header, refused in `?access_token=`; WebSocket as a
subprotocol, closed unserved in `?token=`, refused once revoked), signed HLS playback URLs
(`?sig=`) and their signing key, a stream key (RTMP publish through nginx-rtmp's callback to
ingest, refused once the stream is disabled), a wrong stream key, the keys ingest mints for its
own source adapters, the S3 secret keys (MinIO's root and each service's own user: every
service here works on its own login), the database credentials (results-api) and the cloud
vision API key (detector-logo calling the cloud stand-in with `?key=`). The stand-in plays the
hosted API, which legitimately receives the key, so its own log is not searched.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import cv2
import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from sightline_analysis.synthetic import make_logo
from sightline_devstack.ports import ephemeral_port
from sightline_testkit.nginx import PrivateNginx
from sightline_testkit.plugin import Isolated
from sightline_testkit.processes import ChildProcess

from .conftest import ResultsApi, StorageLogins, run_cli, start_results_api

# A whole pipeline, on a busy box; what its logs hold is the subject, not partitions: one per
# topic is enough (testkit).
pytestmark = [pytest.mark.integration, pytest.mark.timeout(600), pytest.mark.topic_partitions(1)]

PUSH_SECONDS = 8


def spawn_ready(
    isolated: Isolated, module: str, *args: str, **env: str
) -> tuple[ChildProcess, int]:
    """Start a service on a free port and wait for its /readyz."""
    port = ephemeral_port()
    child = isolated.spawn(module, *args, SIGHTLINE_HTTP_PORT=str(port), **env)
    child.wait_http_ok(f"http://127.0.0.1:{port}/readyz", timeout=120)
    return child, port


def push(url: str, seconds: float) -> subprocess.CompletedProcess[str]:
    """An encoder publishing a 360p15 test pattern (2-s GOPs) to `url` for `seconds`, as OBS
    would (what is logged does not depend on the picture; a larger one only costs CPU)."""
    return subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
         "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=15", "-t", str(seconds),
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
         "-g", "30", "-keyint_min", "30", "-sc_threshold", "0", "-f", "flv", url],
        capture_output=True, text=True, timeout=seconds + 60, check=False,
    )  # fmt: skip


def offering(token: str) -> list[Subprotocol]:
    """The subprotocols the dashboard offers: its protocol and the token (never in the URL)."""
    return [Subprotocol("sightline.v1"), Subprotocol(f"bearer.{token}")]


async def handshake_status(
    url: str, token: str | None = None, headers: dict[str, str] | None = None
) -> int:
    offered = offering(token) if token is not None else None
    try:
        async with connect(url, subprotocols=offered, additional_headers=headers):
            return 101
    except InvalidStatus as exc:
        return exc.response.status_code


async def frames_until_detection(ws: ClientConnection, stream_id: str) -> list[dict[str, Any]]:
    """Frames for `stream_id` until its first detection arrives."""
    await ws.send(json.dumps({"op": "subscribe", "streams": [stream_id]}))
    seen: list[dict[str, Any]] = []
    async with asyncio.timeout(180):
        while not any(f["type"] == "detection" for f in seen):
            seen.append(json.loads(await ws.recv()))
    return seen


def eventually_refused(url: str, attempts: int = 10) -> bool:
    """Whether publishing to `url` is refused within a few tries (ingest follows the change on
    `stream-config`, so the first try may still be accepted)."""
    return any(push(url, 2).returncode != 0 for _ in range(attempts))


async def eventually_refused_ws(url: str, token: str, timeout: float = 60) -> bool:
    """Whether the notifier refuses `token` once it has read the revocation."""
    deadline = time.monotonic() + timeout
    while await handshake_status(url, token) != 401:
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.5)
    return True


def wait_for_playlist(client: httpx.Client, stream_id: str, token: str) -> tuple[str, str]:
    """The stream's playlist as a player loads it: at the signed URL `/playback` hands out (the
    token only in that call's header, never in a URL). Returns the playlist and the folder its
    segment URIs are relative to."""
    deadline = time.monotonic() + 90
    auth = {"Authorization": f"Bearer {token}"}
    while True:
        url = client.get(f"/api/streams/{stream_id}/playback", headers=auth).json()["playlist_url"]
        response = client.get(url)
        if response.status_code == 200 and "segments/" in response.text:
            return response.text, url.split("?", 1)[0].rsplit("/", 1)[0]
        assert time.monotonic() < deadline, (response.status_code, response.text)
        time.sleep(0.5)


def short_clip(path: Path) -> Path:
    """A 4 s 360p file for ingest's file source adapter to push with a key it mints."""
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
         "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", "-t", "4",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return path


def test_no_key_token_or_password_appears_in_any_service_log(
    isolated: Isolated, private_nginx: PrivateNginx, storage_logins: StorageLogins
) -> None:
    # DEBUG: every line a service can write at any level (INFO's lines included) is searched.
    isolated.env["SIGHTLINE_LOG_LEVEL"] = "DEBUG"
    isolated.env["SIGHTLINE_PLAYBACK_SIGNING_KEY"] = f"playback-{uuid.uuid4().hex}"
    cloud_key = f"cloud-{uuid.uuid4().hex}"
    ingest_state = isolated.tmp / "ingest-state"

    # Every service logs in to MinIO as its own user (the notifier, which never touches the
    # store, with none): the flow below works on those grants alone.
    api: ResultsApi = start_results_api(isolated, "serve", **storage_logins.env("results-api"))
    with api.client() as client:
        ok, logo = cv2.imencode(".png", make_logo("ACME", seed=1))
        assert ok
        created = client.post(
            "/api/logos",
            data={"brand": "Acme"},
            files={"image": ("a.png", logo.tobytes(), "image/png")},
        )
        assert created.status_code == 201, created.text
        stream = client.post(
            "/api/streams",
            json={"name": "cam", "source": {"kind": "rtmp"}, "policy": {"executors": ["cloud"]}},
        )
        assert stream.status_code == 201, stream.text
        clip = short_clip(isolated.tmp / "clip.mp4")
        from_file = client.post(
            "/api/streams", json={"name": "file", "source": {"kind": "file", "uri": str(clip)}}
        )
        assert from_file.status_code == 201, from_file.text
    stream_id, stream_key = stream.json()["id"], stream.json()["stream_key"]

    _notifier, notifier_port = spawn_ready(
        isolated, "sightline_notifier", **storage_logins.env("notifier")
    )
    standin_port = ephemeral_port()
    standin = isolated.spawn(
        "sightline_analysis.cloud_standin",
        "--port", str(standin_port), "--api-key", cloud_key, "--analyzers", "logo",
        **storage_logins.env("cloud-standin"),
    )  # fmt: skip
    standin.wait_http_ok(f"http://127.0.0.1:{standin_port}/readyz", timeout=120)
    spawn_ready(
        isolated,
        "sightline_detector_logo",
        SIGHTLINE_CLOUD_ENDPOINT=f"http://127.0.0.1:{standin_port}",
        SIGHTLINE_CLOUD_API_KEY=cloud_key,
        **storage_logins.env("detector-logo"),
    )
    ingest = isolated.spawn(
        "sightline_ingest",
        **private_nginx.ingest_env(ingest_state),
        **storage_logins.env("ingest"),
    )
    ingest.wait_http_ok(f"http://127.0.0.1:{private_nginx.callback_port}/readyz", timeout=120)
    rtmp_url = private_nginx.rtmp_url.rstrip("/")
    wrong_key = f"wrong-{uuid.uuid4().hex}"

    ws_url = f"ws://127.0.0.1:{notifier_port}/ws"

    async def scenario() -> list[dict[str, Any]]:
        assert await handshake_status(ws_url) == 401
        assert await handshake_status(ws_url, wrong_key) == 401
        assert (
            await handshake_status(ws_url, headers={"Authorization": f"Bearer {wrong_key}"}) == 401
        )
        deadline = time.monotonic() + 60  # the notifier learns the token from `api-tokens`
        while await handshake_status(ws_url, api.token) != 101:
            assert time.monotonic() < deadline, "the notifier never accepted results-api's token"
            await asyncio.sleep(0.5)
        # A client that puts the (valid) token in the URL is closed unserved; the log scan
        # below shows the URL was not logged either.
        async with connect(f"{ws_url}?token={api.token}") as in_url:
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(in_url.recv(), 30)
        assert in_url.close_code == 1008
        async with connect(ws_url, subprotocols=offering(api.token)) as ws:
            refused = await asyncio.to_thread(push, f"{rtmp_url}/{wrong_key}", 3)
            assert refused.returncode != 0, "a wrong stream key was allowed to publish"
            pushing = asyncio.create_task(
                asyncio.to_thread(push, f"{rtmp_url}/{stream_key}", PUSH_SECONDS)
            )
            frames = await frames_until_detection(ws, stream_id)
            assert (await pushing).returncode == 0
            return frames

    frames = asyncio.run(scenario())
    detection = next(f for f in frames if f["type"] == "detection")
    assert detection["payload"]["executor"]["kind"] == "cloud"

    with httpx.Client(base_url=api.base_url, timeout=30) as anonymous:
        playlist, folder = wait_for_playlist(anonymous, stream_id, api.token)
        segment = next(line for line in playlist.splitlines() if line.startswith("segments/"))
        assert anonymous.get(f"{folder}/{segment}").status_code == 200
        wait_for_playlist(anonymous, from_file.json()["id"], api.token)  # the adapter published
        disabled = anonymous.patch(
            f"/api/streams/{stream_id}",
            json={"enabled": False},
            headers={"Authorization": f"Bearer {api.token}"},
        )
        assert disabled.status_code == 200, disabled.text
        assert anonymous.get("/api/streams", params={"access_token": wrong_key}).status_code == 401
        detections = anonymous.get(
            f"/api/streams/{stream_id}/detections", headers={"Authorization": f"Bearer {api.token}"}
        )
        assert detections.status_code == 200
    assert eventually_refused(f"{rtmp_url}/{stream_key}"), "a disabled stream's key still publishes"
    run_cli(isolated, "token", "revoke", "security")
    assert asyncio.run(eventually_refused_ws(ws_url, api.token))

    for child in reversed(isolated.children):
        code = child.stop()
        # The stand-in is uvicorn.run, which re-raises the SIGTERM it handled once it is done.
        assert code == 0 or child is standin, child.tail()
    service_logs = [p for p in (isolated.tmp / "logs").glob("*.log") if p != standin.log_path]
    assert len(service_logs) == 4  # results-api, notifier, detector-logo, ingest
    source_logs = list(ingest_state.rglob("*.log"))  # ffmpeg's output per source adapter
    assert source_logs
    nginx_logs = sorted(private_nginx.log_dir.glob("*.log"))  # nginx-rtmp's error and access logs
    assert {p.name for p in nginx_logs} >= {"error.log", "access.log"}
    logs = {
        path: path.read_text(errors="replace")
        for path in [*service_logs, *source_logs, *nginx_logs]
    }
    secrets = {
        "API token": api.token,
        "stream key": stream_key,
        "wrong stream key": wrong_key,
        "S3 secret key": isolated.env["SIGHTLINE_S3_SECRET_KEY"],
        **{
            f"{principal}'s S3 secret key": secret
            for principal, secret in storage_logins.secret_keys.items()
        },
        "playback signing key": isolated.env["SIGHTLINE_PLAYBACK_SIGNING_KEY"],
        "cloud API key": cloud_key,
        "database credentials": re.sub(
            r"^.*//([^@]*)@.*$", r"\1@", isolated.env["SIGHTLINE_DATABASE_URL"]
        ),
    }
    # Any key in an RTMP URL, including the ones ingest mints for its own source adapters.
    key_in_url = re.compile(
        re.escape(rtmp_url) + r"/[^\s'\"]+|[?&](key|token|access_token|sig)=[^&\s'\"]+"
    )
    found = [
        f"{path.name}: {what}"
        for path, text in logs.items()
        for what, value in secrets.items()
        if value in text
    ] + [
        f"{path.name}: {m.group(0)[:60]}"
        for path, text in logs.items()
        for m in key_in_url.finditer(text)
    ]
    assert found == []
