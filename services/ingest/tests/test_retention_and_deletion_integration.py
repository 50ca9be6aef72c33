"""Storage lifecycle through ingest on the real stack (results-api, ingest, nginx-rtmp, Kafka,
MinIO, Postgres): while a stream is live, the segments its retention expires leave the playlist
ingest keeps rewriting and what is left plays; a stream deleted mid-publish leaves nothing in
storage, and its key is refused from then on."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Callable

import httpx
import pytest

from sightline_common.hls import parse_media_playlist
from sightline_common.media_layout import playlist_key, sequence_of
from sightline_common.removed_segments import RemovedSegments, removed_key
from sightline_devstack.ports import ephemeral_port

from .conftest import PUSH_UP_TO_S, IngestRig, end_push

pytestmark = pytest.mark.integration


def _push(url: str, seconds: float) -> subprocess.Popen[str]:
    """A small test pattern with a 2-s GOP (nginx cuts 2-s segments of about 100 kB), light
    on the CPU."""
    return subprocess.Popen(
        [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=15", "-t", str(seconds),
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-b:v", "400k",
            "-g", "30", "-keyint_min", "30", "-sc_threshold", "0", "-f", "flv", url,
        ],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _start_api(rig: IngestRig, **env: str) -> tuple[httpx.Client, str]:
    """results-api (API, materializer, storage worker sweeping every 0.5 s) on the rig's
    storage; client and token."""
    port = ephemeral_port()
    store = {"SIGHTLINE_S3_ENDPOINT": rig.s3_endpoint} if rig.s3_endpoint else {}
    process = rig.isolated.spawn(
        "sightline_results_api", "serve", SIGHTLINE_HTTP_PORT=str(port),
        SIGHTLINE_SWEEP_INTERVAL_S="0.5", **store, **env,
    )  # fmt: skip
    process.wait_http_ok(f"http://127.0.0.1:{port}/readyz", timeout=90)
    done = rig.isolated.run(
        "sightline_results_api.cli", "token", "create", "--name", f"t-{uuid.uuid4().hex[:8]}"
    )
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip().splitlines()[-1]
    client = httpx.Client(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}
    )
    return client, token


def _wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


def _stored_playlist(rig: IngestRig, stream_id: str) -> str:
    return rig.store().get_bytes(rig.bucket, playlist_key(stream_id)).decode()


def _listed(text: str) -> list[int]:
    return [seq for e in parse_media_playlist(text) if (seq := sequence_of(e.name)) is not None]


def _removed(rig: IngestRig, stream_id: str) -> RemovedSegments:
    store = rig.store()
    if not store.exists(rig.bucket, removed_key(stream_id)):
        return RemovedSegments()
    return RemovedSegments.from_json(store.get_bytes(rig.bucket, removed_key(stream_id)))


def _segment_objects(rig: IngestRig, stream_id: str) -> list[int]:
    prefix = f"streams/{stream_id}/"
    return sorted(
        seq
        for key in rig.objects(stream_id)
        if (seq := sequence_of(key.removeprefix(prefix))) is not None
    )


def _ffprobe_seconds(url: str) -> float:
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", url],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return float(json.loads(probe.stdout)["format"]["duration"])


def test_expired_segments_leave_the_live_playlist_and_the_rest_plays(rig: IngestRig) -> None:
    api, _token = _start_api(rig)
    created = api.post("/api/streams", json={"name": "cam", "source": {"kind": "rtmp"}}).json()
    stream_id = created["id"]
    api.patch(f"/api/streams/{stream_id}", json={"retention": {"video_s": 6}}).raise_for_status()
    rig.start()  # ready once it has read the stream's config (a live read could trail the push)
    # Pushed until the test has seen the trimmed live playlist (only a live stream's playlist is
    # trimmed): how soon results-api and ingest get there depends on the machine's load.
    pusher = _push(f"{rig.nginx.rtmp_url}/{created['stream_key']}", PUSH_UP_TO_S)
    try:

        def live_playlist_trimmed_by_ingest() -> bool:
            removed = _removed(rig, stream_id)
            if not removed:
                return False
            text = _stored_playlist(rig, stream_id)
            listed = _listed(text)
            # Written by ingest after the marker: lists segments newer than every removed one.
            return (
                "#EXT-X-ENDLIST" not in text
                and bool(listed)
                and listed[0] > removed.ranges[-1][1]
                and not any(seq in removed for seq in listed)
            )

        _wait_for(live_playlist_trimmed_by_ingest, 90, "ingest to drop expired segments")
        live = _stored_playlist(rig, stream_id)
        assert f"#EXT-X-MEDIA-SEQUENCE:{_listed(live)[0]}" in live
        assert "#EXT-X-PLAYLIST-TYPE:EVENT" not in live  # its head is gone: a sliding window
        removed = _removed(rig, stream_id)
        assert removed.ranges[0][0] == 0
        # Keep the rest for ever from now on, and let the stream end once 3 segments past the
        # newest one now stored are in (the retention of a sweep already under way is gone).
        api.patch(
            f"/api/streams/{stream_id}", json={"retention": {"video_s": 0}}
        ).raise_for_status()
        newest = _segment_objects(rig, stream_id)[-1]
        _wait_for(lambda: _segment_objects(rig, stream_id)[-1] >= newest + 3, 60, "3 segments")
        end_push(pusher)
    finally:
        pusher.kill()
    _wait_for(lambda: "#EXT-X-ENDLIST" in _stored_playlist(rig, stream_id), 60, "the VOD playlist")
    removed = _removed(rig, stream_id)
    final = _listed(_stored_playlist(rig, stream_id))
    assert final
    assert not any(seq in removed for seq in final)
    assert final == _segment_objects(rig, stream_id)  # listed = stored, nothing else
    playback = api.get(f"/api/streams/{stream_id}/playback").json()  # a player's signed URL
    url = str(api.base_url.join(playback["playlist_url"]))
    listed_seconds = sum(e.duration for e in parse_media_playlist(_stored_playlist(rig, stream_id)))
    assert _ffprobe_seconds(url) == pytest.approx(listed_seconds, abs=1.0)


def test_a_stream_deleted_mid_publish_leaves_nothing_and_its_key_is_refused(
    rig: IngestRig,
) -> None:
    api, _token = _start_api(rig)
    created = api.post("/api/streams", json={"name": "cam", "source": {"kind": "rtmp"}}).json()
    stream_id = created["id"]
    rig.start()  # ready once it has read the stream's config (a live read could trail the push)
    url = f"{rig.nginx.rtmp_url}/{created['stream_key']}"
    # Ended by the test once the deletion is done: a push of fixed length could end before the
    # deletion on a loaded machine, and the deletion would not be mid-publish.
    pusher = _push(url, PUSH_UP_TO_S)
    try:
        _wait_for(lambda: len(_segment_objects(rig, stream_id)) >= 2, 40, "stored segments")
        job = api.delete(f"/api/streams/{stream_id}").json()
        _wait_for(
            lambda: api.get(f"/api/deletions/{job['id']}").json()["status"] == "done",
            60,
            "the deletion job",
        )
        end_push(pusher)  # nginx lets a running publish go on; ingest drops what it spools
    finally:
        pusher.kill()
    time.sleep(6)  # ingest's close grace and an upload pass or two
    assert rig.objects(stream_id) == []

    again = _push(url, 4)
    assert again.wait(60) != 0  # refused at connect
    time.sleep(3)
    assert rig.objects(stream_id) == []
    assert api.get(f"/api/streams/{stream_id}").status_code == 404
    log = rig.process.log_path.read_text() if rig.process else ""
    assert "unknown stream key" in log
