"""The nginx-rtmp image's configuration, run for real: in a private network namespace (so its
fixed ports 1935/8080 clash with nothing) nginx takes an OBS-like RTMP publish, asks ingest's
callback, writes HLS where ingest picks it up, and refuses a key ingest refuses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .test_nginx_configs import rtmp_config

HERE = Path(__file__).parent


@pytest.fixture
def netns() -> None:
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.fail("needs root and unshare (util-linux) for a private network namespace")


def test_publish_is_authorized_by_ingest_and_becomes_hls(
    netns: None, nginx: str, tmp_path: Path
) -> None:
    config = rtmp_config(tmp_path, "http://127.0.0.1:8010/rtmp")
    # As root, nginx workers would drop to `nobody`; the image runs everything as uid 10001.
    config.write_text("user root;\n" + config.read_text())
    result = subprocess.run(
        ["unshare", "-n", sys.executable, str(HERE / "rtmp_probe.py"), str(config),
         str(tmp_path / "hls")],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["healthy"]
    assert seen["good_exit"] == 0
    assert seen["playlist"]
    assert seen["segments"]
    assert {"path": "/rtmp/on_publish", "name": "good"} in seen["calls"]
    assert {"path": "/rtmp/on_publish_done", "name": "good"} in seen["calls"]
    assert seen["bad_exit"] != 0
    assert {"path": "/rtmp/on_publish", "name": "bad"} in seen["calls"]
    assert not seen["bad_dir"]
