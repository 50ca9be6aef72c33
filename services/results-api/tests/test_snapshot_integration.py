"""`/api/streams/{id}/snapshot` on the real servers: the first frame of the newest stored
segment, the picture an alert zone is drawn on; 404 while a stream has no video."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from sightline_common.media_layout import playlist_key, segment_object_key
from sightline_common.messages import SegmentReady
from sightline_common.storage import ObjectStore
from sightline_results_api.rows import RowBatch, segment_row
from sightline_results_api.settings import ResultsApiSettings
from sightline_results_api.sink import BatchSink

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed"),
]


def _segment(folder: Path, colour: str) -> bytes:
    """A 1-s MPEG-TS segment of one solid colour (320x180)."""
    out = folder / f"{colour}.ts"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", f"color=c={colour}:s=320x180:r=10",
         "-t", "1", "-c:v", "libx264", "-f", "mpegts", str(out)],
        check=True,
    )  # fmt: skip
    return out.read_bytes()


def test_the_snapshot_is_the_newest_stored_video(
    client: TestClient,
    new_stream: str,
    api_settings: ResultsApiSettings,
    engine: Engine,
    tmp_path: Path,
) -> None:
    assert client.get(f"/api/streams/{new_stream}/snapshot").status_code == 404  # no video yet
    store = ObjectStore.from_settings(api_settings)
    bucket = api_settings.segments_bucket
    batch = RowBatch()
    for seq, colour in enumerate(["red", "blue"]):  # blue is the newest
        key = segment_object_key(new_stream, seq)
        data = _segment(tmp_path, colour)
        store.put_bytes(bucket, key, data, "video/mp2t")
        ready = SegmentReady(
            stream_id=new_stream, sequence=seq, bucket=bucket, object_key=key,
            playlist_key=playlist_key(new_stream), media_start=float(seq), duration=1.0,
            wall_clock=datetime.now(UTC), size_bytes=len(data), sha256="0" * 64,
        )  # fmt: skip
        batch.segments.append(segment_row(f"{new_stream[:20]}-seg-{seq}", ready))
    BatchSink(engine).write(batch)

    response = client.get(f"/api/streams/{new_stream}/snapshot")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/jpeg"
    assert "no-store" in response.headers["cache-control"]
    picture = cv2.imdecode(np.frombuffer(response.content, np.uint8), cv2.IMREAD_COLOR)
    assert picture is not None
    assert picture.shape[:2] == (270, 480)  # evidence width, the video's aspect
    blue, _green, red = picture[135, 240]
    assert blue > 180 > 60 > red, picture[135, 240]
    assert client.get("/api/streams/nope/snapshot").status_code == 404
