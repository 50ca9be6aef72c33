"""Reconnects, a SIGKILLed ingest and ingest's own test source, against the real servers."""

from __future__ import annotations

import subprocess
import time

import pytest

from sightline_common.topics import Topic
from sightline_testkit.kafka import read_messages

from .conftest import (
    PUSH_UP_TO_S,
    IngestRig,
    end_push,
    nginx_fragments,
    push,
    push_command,
    start_push,
)
from .test_rtmp_integration import messages_for

pytestmark = pytest.mark.integration


def wait_for_segments(rig: IngestRig, stream_id: str, count: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while len(messages_for(rig, Topic.SEGMENTS, stream_id)) < count:
        assert time.monotonic() < deadline, f"fewer than {count} segments for {stream_id}"
        time.sleep(0.5)


def assert_one_id_per_sequence_and_none_missing(rig: IngestRig, stream_id: str) -> list[int]:
    ready = messages_for(rig, Topic.SEGMENTS, stream_id)
    ids_by_seq: dict[int, set[str]] = {}
    for message in ready:
        ids_by_seq.setdefault(message.payload.sequence, set()).add(message.event_id)
    sequences = sorted(ids_by_seq)
    assert sequences == list(range(len(sequences))), sequences
    assert all(len(ids) == 1 for ids in ids_by_seq.values()), ids_by_seq
    objects = rig.objects(stream_id)
    assert [k for k in objects if k.endswith(".ts")] == [
        f"streams/{stream_id}/{n:08d}.ts" for n in sequences
    ]
    return [m.payload.sequence for m in ready]


def statuses(rig: IngestRig, stream_id: str) -> list[str]:
    return [m.payload.status.value for m in messages_for(rig, Topic.STREAMS, stream_id)]


def wait_until_stopped(rig: IngestRig, stream_id: str, starts: int, timeout: float = 60) -> None:
    """Until the stream started `starts` times and its last lifecycle event is `stopped`."""
    deadline = time.monotonic() + timeout
    while True:
        seen = statuses(rig, stream_id)
        if seen.count("started") >= starts and seen[-1] == "stopped":
            return
        assert time.monotonic() < deadline, f"{stream_id} not stopped: {seen}"
        time.sleep(0.5)


def test_a_reconnect_continues_the_same_stream_with_a_discontinuity(rig: IngestRig) -> None:
    stream_id, key = rig.add_stream("rtmp")
    rig.start()
    url = f"{rig.nginx.rtmp_url}/{key}"
    assert push(url, 8).returncode == 0
    assert push(url, 8).returncode == 0
    wait_until_stopped(rig, stream_id, starts=2)
    started = [
        m.payload
        for m in messages_for(rig, Topic.STREAMS, stream_id)
        if m.payload.status.value == "started"
    ]
    assert [s.discontinuity for s in started] == [False, True]
    assert_one_id_per_sequence_and_none_missing(rig, stream_id)
    ready = [m.payload for m in messages_for(rig, Topic.SEGMENTS, stream_id)]
    breaks = [r.sequence for r in ready if r.discontinuity]
    assert len(breaks) == 1, breaks
    assert 3 <= breaks[0] <= 5, [(r.sequence, r.duration) for r in ready]
    playlist = rig.store().get_bytes(rig.bucket, f"streams/{stream_id}/index.m3u8").decode()
    assert playlist.count("#EXT-X-DISCONTINUITY") == 1
    assert playlist.rstrip().endswith("#EXT-X-ENDLIST")


def test_sigkill_mid_stream_loses_no_sequence_and_reuses_event_ids(rig: IngestRig) -> None:
    stream_id, key = rig.add_stream("rtmp")
    process = rig.start()
    # Pushed until the restarted ingest has announced 5 segments past those before the kill:
    # a restart on a loaded machine can outlast a push of fixed length.
    pusher = start_push(f"{rig.nginx.rtmp_url}/{key}", PUSH_UP_TO_S)
    try:
        wait_for_segments(rig, stream_id, 3)
        process.kill()
        before_kill = len(messages_for(rig, Topic.SEGMENTS, stream_id))
        rig.start()
        wait_for_segments(rig, stream_id, before_kill + 5)
        end_push(pusher)  # the publish outlasted the restart
    finally:
        if pusher.poll() is None:
            pusher.kill()
    wait_until_stopped(rig, stream_id, starts=1)
    sequences = assert_one_id_per_sequence_and_none_missing(rig, stream_id)
    assert len(set(sequences)) >= before_kill + 5
    # A fragment ingest never took would show as a discontinuity (stream time skipping it).
    ready = [m.payload for m in messages_for(rig, Topic.SEGMENTS, stream_id)]
    assert [r.sequence for r in ready if r.discontinuity] == []


def test_a_publish_that_ended_while_ingest_was_down_is_finished_after_restart(
    rig: IngestRig,
) -> None:
    stream_id, key = rig.add_stream("rtmp")
    process = rig.start()
    # Ended by the test once nginx has cut 2 fragments with ingest down: a push of fixed length
    # could end before ingest is killed on a loaded machine, and the test would not test that.
    pusher = start_push(f"{rig.nginx.rtmp_url}/{key}", PUSH_UP_TO_S)
    try:
        wait_for_segments(rig, stream_id, 2)
        process.kill()
        cut_before_kill = nginx_fragments(rig, key)
        deadline = time.monotonic() + 60
        while nginx_fragments(rig, key) < cut_before_kill + 2:
            assert time.monotonic() < deadline, "nginx cut no fragment while ingest was down"
            time.sleep(0.5)
        end_push(pusher)
    finally:
        if pusher.poll() is None:
            pusher.kill()
    rig.start()
    wait_until_stopped(rig, stream_id, starts=1)
    sequences = assert_one_id_per_sequence_and_none_missing(rig, stream_id)
    assert len(set(sequences)) >= cut_before_kill + 2  # what was cut while ingest was down too


def test_the_test_source_produces_a_stream_like_rtmp(rig: IngestRig) -> None:
    rig.start()
    stream_id, _key = rig.add_stream("test")
    wait_for_segments(rig, stream_id, 3, timeout=60)
    first = messages_for(rig, Topic.SEGMENTS, stream_id)[0].payload
    assert (first.width, first.height, first.codec) == (1280, 720, "h264")
    assert 1.5 <= first.duration <= 2.5
    started = messages_for(rig, Topic.STREAMS, stream_id)[0].payload
    assert (started.status.value, started.source_kind.value) == ("started", "test")
    assert read_messages(rig.isolated.bootstrap, rig.isolated.topics.name(Topic.SEGMENTS))


def test_a_file_source_played_once_is_a_whole_stream_like_rtmp(rig: IngestRig) -> None:
    clip = rig.isolated.tmp / "clip.mp4"
    subprocess.run(
        [*push_command(str(clip), 8)[:-3], str(clip)], check=True, capture_output=True, timeout=120
    )
    rig.start()
    stream_id, _key = rig.add_stream("file", uri=str(clip))
    wait_until_stopped(rig, stream_id, starts=1, timeout=90)
    lifecycle = [m.payload for m in messages_for(rig, Topic.STREAMS, stream_id)]
    assert [(p.status.value, p.source_kind.value) for p in lifecycle] == [
        ("started", "file"),
        ("stopped", "file"),
    ]
    ready = [m.payload for m in messages_for(rig, Topic.SEGMENTS, stream_id)]
    assert [r.sequence for r in ready] == list(range(len(ready)))
    assert 3 <= len(ready) <= 5
    assert abs(sum(r.duration for r in ready) - 8) < 1.5
    assert {(r.width, r.height, r.codec) for r in ready} == {(640, 360, "h264")}
