"""RTMP in, segments in MinIO and SegmentReady on Kafka out: against the real servers."""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any

import pytest

from sightline_common.topics import Topic
from sightline_testkit.kafka import read_messages

from .conftest import IngestRig, push

pytestmark = pytest.mark.integration


def messages_for(rig: IngestRig, topic: Topic, stream_id: str) -> list[Any]:
    name = rig.isolated.topics.name(topic)
    return [m for m in read_messages(rig.isolated.bootstrap, name) if m.envelope.key == stream_id]


def wait_for_status(rig: IngestRig, stream_id: str, status: str, count: int = 1,
                    timeout: float = 60) -> list[Any]:  # fmt: skip
    deadline = time.monotonic() + timeout
    found: list[Any] = []
    while time.monotonic() < deadline:
        found = messages_for(rig, Topic.STREAMS, stream_id)
        if [m.payload.status.value for m in found].count(status) >= count:
            return found
        time.sleep(0.5)
    raise AssertionError(f"no {status} x{count} for {stream_id}: {found}")


def make_public(rig: IngestRig) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": ["s3:GetObject"],
            "Resource": [f"arn:aws:s3:::{rig.bucket}/*"],
        }],
    }  # fmt: skip
    rig.store().client.set_bucket_policy(rig.bucket, json.dumps(policy))


def ffprobe_duration(url: str) -> float:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration",
         "-of", "default=nw=1:nk=1", url],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return float(result.stdout.strip())


def test_a_30s_obs_stream_becomes_ordered_segments_a_playable_playlist_and_events(
    rig: IngestRig,
) -> None:
    stream_id, key = rig.add_stream("rtmp")
    rig.start()
    result = push(f"{rig.nginx.rtmp_url}/{key}", 30)
    assert result.returncode == 0, result.stderr
    lifecycle = wait_for_status(rig, stream_id, "stopped")
    assert [m.payload.status.value for m in lifecycle] == ["started", "stopped"]
    assert lifecycle[0].payload.discontinuity is False

    ready = messages_for(rig, Topic.SEGMENTS, stream_id)
    sequences = [m.payload.sequence for m in ready]
    assert sequences == list(range(len(ready))), sequences
    assert 14 <= len(ready) <= 16
    durations = [m.payload.duration for m in ready]
    assert all(1.5 <= d <= 2.5 for d in durations[:-1]), durations
    assert abs(sum(durations) - 30) < 2.5, durations
    starts = [m.payload.media_start for m in ready]
    assert starts[0] == 0
    assert all(abs(starts[i + 1] - starts[i] - durations[i]) < 1e-3 for i in range(len(ready) - 1))
    first = ready[0].payload
    assert (first.width, first.height, first.codec) == (640, 360, "h264")
    assert len({m.event_id for m in ready}) == len(ready)

    objects = rig.objects(stream_id)
    assert objects == [f"streams/{stream_id}/{n:08d}.ts" for n in sequences] + [
        f"streams/{stream_id}/index.m3u8"
    ]
    store = rig.store()
    assert store.get_bytes(rig.bucket, first.object_key)[:1] == b"\x47"
    stat = store.client.stat_object(rig.bucket, first.object_key)
    assert stat.content_type == "video/mp2t"
    playlist = store.get_bytes(rig.bucket, f"streams/{stream_id}/index.m3u8").decode()
    assert playlist.rstrip().endswith("#EXT-X-ENDLIST")
    make_public(rig)
    endpoint = rig.isolated.env["SIGHTLINE_S3_ENDPOINT"]
    url = f"http://{endpoint}/{rig.bucket}/streams/{stream_id}/index.m3u8"
    assert abs(ffprobe_duration(url) - sum(durations)) < 1.0


def test_an_unknown_key_is_refused_and_nothing_is_stored_or_published(rig: IngestRig) -> None:
    rig.start()
    stream_id, _key = rig.add_stream("rtmp")
    result = push(f"{rig.nginx.rtmp_url}/not-a-registered-key-123", 4)
    assert result.returncode != 0
    time.sleep(2)
    for topic in (Topic.STREAMS, Topic.SEGMENTS):
        assert read_messages(rig.isolated.bootstrap, rig.isolated.topics.name(topic)) == []
    assert list(rig.store().list_keys(rig.bucket, "")) == []
    assert rig.process is not None
    assert rig.process.stop() == 0  # SIGTERM: a graceful exit
    assert "not-a-registered-key" not in rig.process.log_path.read_text()
    assert stream_id
