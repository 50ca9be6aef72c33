"""Nothing lost, nothing stuck (#16 §2), against the real nginx-rtmp, Kafka and MinIO: a slow
probe is retried, a corrupt segment's bytes are kept, a vanished spool file does not block the
stream, a lost state file does not reuse sequences, and a full spool refuses new publishers."""

from __future__ import annotations

import base64
import json
import sqlite3
import time
import urllib.request
from typing import Any

import pytest

from sightline_common.hls import parse_media_playlist
from sightline_common.topics import Topic
from sightline_ingest.media import TS_PACKET
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


def metric(rig: IngestRig, name: str) -> float:
    """One of ingest's unlabelled metrics as /metrics says now."""
    with urllib.request.urlopen(f"{rig.base_url}/metrics", timeout=5) as answer:
        lines = answer.read().decode().splitlines()
    return next(float(line.split()[-1]) for line in lines if line.startswith(f"{name} "))


def probe_timeouts(rig: IngestRig) -> float:
    """ingest's `sightline_ingest_probe_timeouts_total` as /metrics says now."""
    return metric(rig, "sightline_ingest_probe_timeouts_total")


def spooled_count(rig: IngestRig) -> int:
    with sqlite3.connect(rig.isolated.tmp / "ingest-state" / "state.sqlite3") as db:
        return int(db.execute("SELECT count(*) FROM segments").fetchone()[0])


def unreadable_ts(size: int) -> bytes:
    """Whole TS packets with sync bytes (so the cheap packet check passes) carrying nothing a
    demuxer can read: only the probe can tell this file is corrupt."""
    return (b"\x47" + b"\xff" * (TS_PACKET - 1)) * (size // TS_PACKET)


def test_a_slow_probe_is_retried_and_a_corrupt_segments_bytes_are_kept(rig: IngestRig) -> None:
    # 1st ingest: a probe timeout no read can meet (a host too busy to probe), and a close
    # grace long enough that the stopped publish stays scanned for the 2nd ingest.
    stream_id, key = rig.add_stream("rtmp")
    rig.start(SIGHTLINE_PROBE_TIMEOUT_SECONDS="0.000001", SIGHTLINE_CLOSE_GRACE_SECONDS="600")
    assert push(f"{rig.nginx.rtmp_url}/{key}", 8).returncode == 0
    deadline = time.monotonic() + 60
    while probe_timeouts(rig) < 3:  # the first segment, tried again pass after pass
        assert time.monotonic() < deadline, rig.process.tail() if rig.process else ""
        time.sleep(0.5)
    assert spooled_count(rig) == 0  # timed out: neither taken nor dead-lettered
    assert rig.process is not None
    rig.process.stop()
    assert dead_letters(rig, stream_id) == []

    # nginx is done with the publish: make its second fragment unreadable.
    folder = rig.nginx.hls_dir / key
    listed = parse_media_playlist((folder / "index.m3u8").read_text())
    assert len(listed) >= 3, listed
    corrupt = folder / listed[1].name
    corrupt.write_bytes(unreadable_ts(corrupt.stat().st_size))

    rig.process = None  # the same state, a probe with the default timeout
    rig.start()
    wait_until_stopped(rig, stream_id, starts=1, timeout=90)

    dead = dead_letters(rig, stream_id)
    assert len(dead) == 1, [d.reason for d in dead]  # the timed-out segment was not dropped
    assert "timed out" not in dead[0].reason
    original = json.loads(base64.b64decode(dead[0].original_b64))
    assert original["file"] == listed[1].name
    kept = original["quarantine"]
    assert kept["bucket"] == rig.bucket
    assert f"s3://{kept['bucket']}/{kept['key']}" in dead[0].reason
    data = rig.store().get_bytes(kept["bucket"], kept["key"])
    assert data == corrupt.read_bytes()  # the segment's own bytes, ready to inspect
    assert len(data) == original["size_bytes"] > 0
    ready = [m.payload.sequence for m in messages_for(rig, Topic.SEGMENTS, stream_id)]
    assert ready == list(range(len(listed) - 1))  # every other listed fragment, in order
    assert stored_sequences(rig, stream_id) == ready


def test_a_vanished_spool_file_is_dead_lettered_and_the_stream_still_finishes(
    rig: IngestRig,
) -> None:
    rig.s3_endpoint = UNREACHABLE_S3
    stream_id, key = rig.add_stream("rtmp")
    first = rig.start()
    assert push(f"{rig.nginx.rtmp_url}/{key}", 8).returncode == 0
    state = rig.isolated.tmp / "ingest-state"
    deadline = time.monotonic() + 90
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
    stream_id, key = rig.add_stream("rtmp")
    first = rig.start()
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
    first_id, first_key = rig.add_stream("rtmp")
    second_id, second_key = rig.add_stream("rtmp")
    process = rig.start(SIGHTLINE_SPOOL_MAX_BYTES="1000000")
    assert push(f"{rig.nginx.rtmp_url}/{first_key}", 6).returncode == 0  # > 1 MB spooled
    # Until ingest has picked up the publish's last fragments (a fixed 2-s pause guessed at
    # that on a loaded machine): the second publish is refused only once the spool is full.
    deadline = time.monotonic() + 60
    while metric(rig, "sightline_ingest_spool_fill_ratio") < 0.9:
        assert time.monotonic() < deadline, metric(rig, "sightline_ingest_spool_bytes")
        time.sleep(0.5)

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
    deadline = time.monotonic() + 60
    while "failed" not in statuses(rig, second_id):
        assert time.monotonic() < deadline, statuses(rig, second_id)
        time.sleep(0.5)
    failed = messages_for(rig, Topic.STREAMS, second_id)[-1].payload
    assert "spool" in (failed.reason or "")
    assert "started" not in statuses(rig, second_id)
    assert "publish_refused" in process.log_path.read_text()
    assert first_id
