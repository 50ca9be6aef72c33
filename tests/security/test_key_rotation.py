"""A rotated stream key: the new key publishes through nginx-rtmp and ingest, the old one is
refused from its next publish on."""

from __future__ import annotations

import subprocess
import time

import pytest

from sightline_testkit.nginx import PrivateNginx
from sightline_testkit.plugin import Isolated

from .conftest import start_results_api

# Key rotation is the subject, not partitions: one per topic is enough (testkit).
pytestmark = [pytest.mark.integration, pytest.mark.timeout(300), pytest.mark.topic_partitions(1)]


def publishes(url: str) -> bool:
    """Whether an encoder may publish two seconds of test pattern to `url`."""
    done = subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
         "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=15", "-t", "2",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-f", "flv", url],
        capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    return done.returncode == 0


def eventually(url: str, wanted: bool, timeout: float = 60) -> bool:
    """Whether publishing to `url` gives `wanted` within `timeout` s of tries (ingest follows
    `stream-config`, so the first tries may still see the previous key). Bounded in seconds,
    not tries: a refused try takes ~0.6 s, so 15 of them gave ingest's live read ~9 s."""
    deadline = time.monotonic() + timeout
    while publishes(url) != wanted:
        if time.monotonic() > deadline:
            return False
    return True


def test_a_rotated_key_replaces_the_old_one_at_the_next_publish(
    isolated: Isolated, private_nginx: PrivateNginx
) -> None:
    api = start_results_api(isolated)
    ingest = isolated.spawn(
        "sightline_ingest", **private_nginx.ingest_env(isolated.tmp / "ingest-state")
    )
    ingest.wait_http_ok(f"http://127.0.0.1:{private_nginx.callback_port}/readyz", timeout=120)
    rtmp = private_nginx.rtmp_url.rstrip("/")
    with api.client() as client:
        created = client.post("/api/streams", json={"name": "cam", "source": {"kind": "rtmp"}})
        assert created.status_code == 201, created.text
        stream_id, old_key = created.json()["id"], created.json()["stream_key"]
        assert eventually(f"{rtmp}/{old_key}", wanted=True)

        rotated = client.post(f"/api/streams/{stream_id}/key")
        assert rotated.status_code == 200, rotated.text
        new_key = rotated.json()["stream_key"]
        assert new_key != old_key
        assert rotated.json()["publish_url"].endswith(f"/{new_key}")
        assert client.post("/api/streams/no-such-stream/key").status_code == 404
    assert eventually(f"{rtmp}/{old_key}", wanted=False), "the old key still publishes"
    assert eventually(f"{rtmp}/{new_key}", wanted=True), "the new key is refused"
    assert not publishes(f"{rtmp}/{old_key}")
