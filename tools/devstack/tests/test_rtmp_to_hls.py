"""An RTMP push into nginx-rtmp comes out as HLS segments and a playlist on disk."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from sightline_devstack.platform import ensure_up, status
from sightline_devstack.settings import DevstackSettings

pytestmark = pytest.mark.integration


def test_a_ten_second_stream_becomes_ts_segments_and_a_playlist(
    throwaway: DevstackSettings,
) -> None:
    assert shutil.which("ffmpeg"), "ffmpeg must be installed by `up`"
    env = ensure_up(throwaway, only=["nginx"], say=lambda _: None)
    key = "devstack-test"
    # 360p15 with 2-s GOPs: segmenting does not depend on the picture; a larger one costs CPU.
    push = subprocess.run(
        [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
            "-re", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=15",
            "-f", "lavfi", "-i", "sine", "-t", "10",
            "-c:v", "libx264", "-preset", "veryfast", "-g", "30", "-c:a", "aac",
            "-f", "flv", f"{env.rtmp_url}/{key}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip
    assert push.returncode == 0, push.stderr
    stream_dir = env.hls_dir / key
    deadline = time.monotonic() + 10
    while not (stream_dir / "index.m3u8").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    playlist = (stream_dir / "index.m3u8").read_text()
    segments = sorted(stream_dir.glob("*.ts"))
    assert playlist.startswith("#EXTM3U")
    assert len(segments) >= 3, segments
    assert all(seg.stat().st_size > 10_000 for seg in segments)
    listed = [line for line in playlist.splitlines() if line.endswith(".ts")]
    assert listed
    assert all((stream_dir / name).exists() for name in listed)
    # The shared platform's nginx is another instance and untouched by this one.
    [row] = status(throwaway, only=["nginx"])
    assert row.healthy
    assert row.ports["rtmp"] == throwaway.rtmp_port
