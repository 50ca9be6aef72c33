"""Nothing lost, nothing stuck (#16 §2), against the real nginx-rtmp, Kafka and MinIO: a slow
ffprobe is retried, a corrupt segment's bytes are kept, a vanished spool file does not block the
stream, a lost state file does not reuse sequences, and a full spool refuses new publishers."""

from __future__ import annotations

import base64
import json
import sqlite3
import time
import urllib.request
from typing import Any

import pytest

from sightline_common.topics import Topic
from sightline_testkit.kafka import read_messages

from .conftest import IngestRig, push
from .test_resilience_integration import statuses, wait_until_stopped
from .test_rtmp_integration import messages_for

pytestmark = pytest.mark.integration

UNREACHABLE_S3 = "127.0.0.1:1"  # nothing listens: uploads fail, segments stay in the spool


def dead_letters(rig: IngestRig, stream_id: str) -> list[Any]:
    topic = rig.isolated.topics.dlq(rig.isolated.topics.name(Topic.SEGMENTS))
    found = read_messages(rig.isolated.bootstrap, topic)
    return [m.payload for m in found if m.envelope.key == stream_id]


def stored_sequences(rig: IngestRig, stream_id: str) -> list[int]:
    prefix = f"streams/{stream_id}/"
    return sorted(
        int(k[len(prefix) : -3])
        for k in rig.objects(stream_id)
        if k.endswith(".ts") and "/" not in k[len(prefix) :]
    )


def test_a_slow_ffprobe_is_retried_and_a_corrupt_segments_bytes_are_kept(rig: IngestRig) -> None:
    calls = rig.isolated.tmp / "ffprobe-calls"
    fake = rig.isolated.tmp / "ffprobe"
    # 1st run: slower than ingest's 15 s probe timeout; 3rd run: "corrupt"; others: ffprobe.
    fake.write_text(
        "#!/bin/sh\n"
        f'n=$(($(cat "{calls}" 2>/dev/null || echo 0) + 1)); echo $n > "{calls}"\n'
        'if [ "$n" -eq 1 ]; then exec sleep 16; fi\n'
        'if [ "$n" -eq 3 ]; then echo "Invalid data found when processing input" >&2; exit 1; fi\n'
        'exec ffprobe "$@"\n'
    )
    fake.chmod(0o755)
    rig.start(SIGHTLINE_FFPROBE=str(fake))
    stream_id, key = rig.add_stream("rtmp")
    time.sleep(2)
    assert push(f"{rig.nginx.rtmp_url}/{key}", 12).returncode == 0
    wait_until_stopped(rig, stream_id, starts=1, timeout=90)

    dead = dead_letters(rig, stream_id)
    assert len(dead) == 1, [d.reason for d in dead]  # the timed-out segment was not dropped
    assert "timed out" not in dead[0].reason
    original = json.loads(base64.b64decode(dead[0].original_b64))
    kept = original["quarantine"]
    assert kept["bucket"] == rig.bucket
    assert f"s3://{kept['bucket']}/{kept['key']}" in dead[0].reason
    data = rig.store().get_bytes(kept["bucket"], kept["key"])
    assert len(data) == original["size_bytes"] > 0
    assert data[:1] == b"\x47"  # the segment's own bytes, ready to inspect
    ready = [m.payload.sequence for m in messages_for(rig, Topic.SEGMENTS, stream_id)]
    assert ready == list(range(len(ready)))
    assert len(ready) >= 4  # ~6 segments of 2 s, one of them quarantined
    assert stored_sequences(rig, stream_id) == ready


def test_a_vanished_spool_file_is_dead_lettered_and_the_stream_still_finishes(
    rig: IngestRig,
) -> None:
    rig.s3_endpoint = UNREACHABLE_S3
    first = rig.start()
    stream_id, key = rig.add_stream("rtmp")
    time.sleep(2)
    assert push(f"{rig.nginx.rtmp_url}/{key}", 8).returncode == 0
    state = rig.isolated.tmp / "ingest-state"
    deadline = time.monotonic() + 30
    while True:  # every segment spooled (storage is away), the publish closed
        with sqlite3.connect(state / "state.sqlite3") as db:
            rows = db.execute("SELECT seq, spool_name FROM segments ORDER BY seq").fetchall()
            open_ = db.execute("SELECT count(*) FROM sessions WHERE state != 'closed'").fetchone()
        if len(rows) >= 4 and open_[0] == 0:
            break
        assert time.monotonic() < deadline, rows
        time.sleep(0.5)
    first.kill()
    (state / "spool" / rows[1][1]).unlink()  # segment 1's bytes are gone

    rig.process, rig.s3_endpoint = None, None  # the same state, storage back
    rig.start()
    wait_until_stopped(rig, stream_id, starts=1, timeout=60)
    dead = dead_letters(rig, stream_id)
    assert len(dead) == 1
    assert "missing" in dead[0].reason
    ready = [m.payload for m in messages_for(rig, Topic.SEGMENTS, stream_id)]
    assert [r.sequence for r in ready] == [seq for seq, _ in rows if seq != 1]
    assert [r.discontinuity for r in ready][:2] == [False, True]


def test_a_moved_aside_state_file_continues_after_the_stored_sequences(rig: IngestRig) -> None:
    first = rig.start()
    stream_id, key = rig.add_stream("rtmp")
    time.sleep(2)
    url = f"{rig.nginx.rtmp_url}/{key}"
    assert push(url, 6).returncode == 0
    wait_until_stopped(rig, stream_id, starts=1)
    before = stored_sequences(rig, stream_id)
    first.stop()
    state = rig.isolated.tmp / "ingest-state"
    state.rename(state.with_name("ingest-state.aside"))  # as StateVersionError advises

    rig.start()
    assert push(url, 6).returncode == 0
    wait_until_stopped(rig, stream_id, starts=2)
    ready = messages_for(rig, Topic.SEGMENTS, stream_id)
    sequences = [m.payload.sequence for m in ready]
    assert sequences == list(range(len(sequences))), sequences  # none reused, none skipped
    assert len({m.event_id for m in ready}) == len(ready)
    assert stored_sequences(rig, stream_id) == sequences
    assert len(sequences) > len(before) >= 2
    assert ready[len(before)].payload.discontinuity
    assert ready[len(before)].payload.media_start > 0
    started = [m for m in messages_for(rig, Topic.STREAMS, stream_id)
               if m.payload.status.value == "started"]  # fmt: skip
    assert len({m.event_id for m in started}) == 2
    playlist = rig.store().get_bytes(rig.bucket, f"streams/{stream_id}/index.m3u8").decode()
    assert playlist.count(".ts") == len(sequences)  # the old segments are still listed
    assert playlist.rstrip().endswith("#EXT-X-ENDLIST")


def test_a_full_spool_refuses_new_publishers_and_says_so(rig: IngestRig) -> None:
    rig.s3_endpoint = UNREACHABLE_S3
    process = rig.start(SIGHTLINE_SPOOL_MAX_BYTES="1000000")
    first_id, first_key = rig.add_stream("rtmp")
    second_id, second_key = rig.add_stream("rtmp")
    time.sleep(2)
    assert push(f"{rig.nginx.rtmp_url}/{first_key}", 6).returncode == 0  # > 1 MB spooled
    time.sleep(2)

    refused = push(f"{rig.nginx.rtmp_url}/{second_key}", 4)
    assert refused.returncode != 0
    with urllib.request.urlopen(f"{rig.base_url}/metrics", timeout=5) as answer:
        metrics = answer.read().decode()
    fill = next(
        float(line.split()[-1])
        for line in metrics.splitlines()
        if line.startswith("sightline_ingest_spool_fill_ratio ")
    )
    assert fill >= 0.9
    assert "sightline_ingest_spool_limit_bytes 1e+06" in metrics
    deadline = time.monotonic() + 20
    while "failed" not in statuses(rig, second_id):
        assert time.monotonic() < deadline, statuses(rig, second_id)
        time.sleep(0.5)
    failed = messages_for(rig, Topic.STREAMS, second_id)[-1].payload
    assert "spool" in (failed.reason or "")
    assert "started" not in statuses(rig, second_id)
    assert "publish_refused" in process.log_path.read_text()
    assert first_id
