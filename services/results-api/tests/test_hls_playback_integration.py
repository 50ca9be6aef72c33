"""A real player reads a stream through the API: ffprobe follows the proxied playlist and its
segments with only a query token, as a browser's video element would."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from sightline_common.storage import ObjectStore
from sightline_devstack.ports import ephemeral_port
from sightline_results_api.settings import ResultsApiSettings
from sightline_testkit.plugin import Isolated

pytestmark = pytest.mark.integration


def _encode_hls(folder: Path) -> list[str]:
    """Three 2-second MPEG-TS segments of a test pattern, named as ingest names them."""
    subprocess.run(
        [
            "ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10",
            "-t", "6", "-c:v", "libx264", "-g", "20", "-f", "hls", "-hls_time", "2",
            "-hls_list_size", "0", "-hls_segment_filename", str(folder / "%08d.ts"),
            str(folder / "index.m3u8"),
        ],
        check=True,
    )  # fmt: skip
    return sorted(p.name for p in folder.glob("*.ts"))


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffmpeg is not installed")
def test_ffprobe_plays_the_proxied_playlist_end_to_end(
    isolated: Isolated,
    api_settings: ResultsApiSettings,
    engine: Engine,
    sightline_cli: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    token = sightline_cli("token", "create", "--name", "player").stdout.splitlines()[-1]
    port = ephemeral_port()
    child = isolated.spawn("sightline_results_api", "api", SIGHTLINE_HTTP_PORT=str(port))
    child.wait_http_ok(f"http://127.0.0.1:{port}/readyz")
    base = f"http://127.0.0.1:{port}"
    created = httpx.post(
        f"{base}/api/streams",
        json={"name": "vod", "source": {"kind": "test"}},
        headers={"Authorization": f"Bearer {token}"},
    )
    stream_id = created.json()["id"]

    folder = isolated.tmp / "hls"
    folder.mkdir()
    names = _encode_hls(folder)
    assert len(names) == 3
    store = ObjectStore.from_settings(api_settings)
    for path in folder.iterdir():
        store.put_bytes(
            api_settings.segments_bucket, f"streams/{stream_id}/{path.name}", path.read_bytes()
        )

    # As a video player plays it: at the signed URL the API hands out, no token in any URL.
    playback = httpx.get(
        f"{base}/api/streams/{stream_id}/playback", headers={"Authorization": f"Bearer {token}"}
    ).json()
    probe = subprocess.run(
        [
            "ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json",
            base + playback["playlist_url"],
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )  # fmt: skip
    duration = float(json.loads(probe.stdout)["format"]["duration"])
    assert duration == pytest.approx(6.0, abs=0.3)
