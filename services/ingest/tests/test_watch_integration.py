"""Pickup reacts to nginx-rtmp writing a playlist, not to its poll: with the poll stretched to
two minutes, a live RTMP push's segments still reach Kafka while it is pushing (real nginx,
MinIO, Kafka, ffmpeg)."""

from __future__ import annotations

import subprocess
import time

import pytest

from sightline_common.topics import Topic
from sightline_testkit.kafka import read_messages

from .conftest import PUSH_UP_TO_S, IngestRig, end_push, push_command

pytestmark = pytest.mark.integration


def test_segments_are_picked_up_as_nginx_writes_them_without_polling(rig: IngestRig) -> None:
    stream_id, key = rig.add_stream("rtmp")
    rig.start(SIGHTLINE_POLL_INTERVAL="120")
    # Pushed until the test ends it: a push of fixed length could end before 4 segments are
    # seen on a loaded machine. The wait's bound stays well inside the 2-minute poll.
    pusher = subprocess.Popen(
        push_command(f"{rig.nginx.rtmp_url}/{key}", PUSH_UP_TO_S),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        topic = rig.isolated.topics.name(Topic.SEGMENTS)
        deadline = time.monotonic() + 60
        sequences: list[int] = []
        while time.monotonic() < deadline and len(sequences) < 4:
            time.sleep(1.0)
            sequences = [
                m.payload.sequence
                for m in read_messages(rig.isolated.bootstrap, topic)
                if m.envelope.key == stream_id
            ]
        assert sequences[:4] == [0, 1, 2, 3], sequences
        end_push(pusher)  # the segments were seen while it was pushing
    finally:
        if pusher.poll() is None:
            pusher.kill()
            pusher.wait(10)
