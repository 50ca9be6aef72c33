"""A store that fills up while a stream is live (#22), on a real MinIO whose data folder is a
small filesystem of its own (a loop-mounted 128 MB ext4 image; needs root): results-api warns in
its API and `/metrics` from the drives' real figures; ingest keeps what it cannot upload in its
spool and refuses a new publisher with the reason; no acknowledged segment is lost or altered,
and once space is freed every spooled segment arrives, in order, and the stream plays."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from minio.error import S3Error
from sqlalchemy import create_engine, text

from sightline_common.media_layout import segment_object_key

from .conftest import PUSH_UP_TO_S, IngestRig, end_push
from .test_retention_and_deletion_integration import (
    _ffprobe_seconds,
    _push,
    _segment_objects,
    _start_api,
    _stored_playlist,
    _wait_for,
)

pytestmark = pytest.mark.integration

FILLER = "filler"
SPOOL_MAX_BYTES = 600_000  # new publishes refused from 540 kB spooled: five or six segments


@pytest.fixture
def small_minio(platform_env: dict[str, str]) -> Iterator[str]:
    """A MinIO whose data folder is a 128 MB filesystem; its endpoint."""
    from sightline_devstack import ports  # noqa: PLC0415 - integration-only dependency
    from sightline_devstack.platform import down, ensure_up  # noqa: PLC0415
    from sightline_devstack.settings import DevstackSettings  # noqa: PLC0415

    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem for MinIO needs root")
    folder = Path(tempfile.mkdtemp(prefix="sightline-full-minio-"))
    folder.chmod(0o755)
    image, data = folder / "disk.img", folder / "state" / "minio" / "data"
    data.mkdir(parents=True)
    with image.open("wb") as out:
        out.truncate(128 * 1024**2)
    subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], check=True)
    subprocess.run(["mount", "-o", "loop", str(image), str(data)], check=True)
    settings = dataclasses.replace(
        DevstackSettings.from_env(),
        state_dir=folder / "state",
        minio_port=ports.ephemeral_port(),
        minio_console_port=ports.ephemeral_port(),
    )
    try:
        ensure_up(settings, only=["minio"], say=lambda _: None, install_packages=False)
        yield f"127.0.0.1:{settings.minio_port}"
    finally:
        down(settings, only=["minio"], say=lambda _: None)
        subprocess.run(["umount", str(data)], check=False)
        shutil.rmtree(folder, ignore_errors=True)


def _fill(rig: IngestRig) -> int:
    """Write 1 MB objects until MinIO refuses five in a row for want of space; returns how many
    went in. (Refusals vary: XMinioStorageFull at MinIO's free-space threshold, an internal
    error or a cut body when the filesystem itself ran out during a write.)"""
    client = rig.store().client
    client.make_bucket(FILLER)
    block = os.urandom(1024**2)
    stored = refused = 0
    while refused < 5:
        try:
            client.put_object(FILLER, f"{stored}-{refused}", io.BytesIO(block), len(block))
        except S3Error:
            refused += 1
        else:
            stored, refused = stored + 1, 0
        assert stored < 1000, "the store never filled up"
    return stored


def _empty_filler(rig: IngestRig) -> None:
    store = rig.store()
    store.remove_keys(FILLER, list(store.list_keys(FILLER, "")))


def _acknowledged(rig: IngestRig, stream_id: str) -> dict[int, str]:
    """Sequence → sha256 of the segments announced on `segments` (results-api's rows)."""
    env = rig.isolated.env
    engine = create_engine(env["SIGHTLINE_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    f'SELECT sequence, sha256 FROM "{env["SIGHTLINE_DATABASE_SCHEMA"]}".segments'
                    " WHERE stream_id = :s"
                ),
                {"s": stream_id},
            ).all()
    finally:
        engine.dispose()
    return {seq: sha for seq, sha in rows}


def _spool_fill(rig: IngestRig) -> float:
    """Ingest's spool bytes over its quota (new publishes are refused from 0.9)."""
    return _metric(rig.base_url, "sightline_ingest_spool_fill_ratio")


def _metric(base_url: str, name: str) -> float:
    for line in httpx.get(f"{base_url}/metrics").text.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def test_a_full_store_warns_spools_refuses_new_publishers_and_loses_nothing(
    rig: IngestRig, small_minio: str
) -> None:
    rig.s3_endpoint = small_minio
    # Nothing may be evicted (all video younger than an hour): the store really fills.
    api, _token = _start_api(rig, SIGHTLINE_VIDEO_MIN_RETENTION_S="3600")
    assert api.get("/api/storage").json()["warning"] is None

    first = api.post("/api/streams", json={"name": "cam", "source": {"kind": "rtmp"}}).json()
    stream_id = first["id"]
    # The publisher refused later is registered now too: ingest is ready only once it has read
    # both streams, so it refuses that one for the full spool, not as a key its live read of
    # the topic has not reached yet.
    second = api.post("/api/streams", json={"name": "late", "source": {"kind": "rtmp"}})
    late_id, late_key = second.json()["id"], second.json()["stream_key"]
    rig.start(SIGHTLINE_SPOOL_MAX_BYTES=str(SPOOL_MAX_BYTES))
    # Pushed until the test has seen the stream recover (then stopped as OBS's Stop does): how
    # long filling the store and the spool takes depends on the machine's load, and a push that
    # ended before the spool reached its refusal mark failed the test (CI, stop 34).
    pusher = _push(f"{rig.nginx.rtmp_url}/{first['stream_key']}", PUSH_UP_TO_S)
    try:
        _wait_for(lambda: len(_acknowledged(rig, stream_id)) >= 3, 40, "3 stored segments")
        filled = _fill(rig)
        assert filled > 50
        before_full = _acknowledged(rig, stream_id)

        _wait_for(lambda: api.get("/api/storage").json()["store"]["fill"] > 0.95, 30, "fill")
        report = api.get("/api/storage").json()
        assert report["store"]["source"] == "object store drives"
        assert "full" in report["warning"]
        assert _metric(str(api.base_url), "sightline_storage_warning") == 1
        assert _metric(str(api.base_url), "sightline_storage_free_bytes") < 8 * 1024**2

        # Uploads fail, the spool fills; a new publisher is refused and its stream says why.
        # Only once the spool is at its refusal mark: a publish accepted before that is
        # rightly spooled and stored, which is not what this step checks.
        _wait_for(lambda: _spool_fill(rig) >= 0.9, 60, "the spool at its refusal mark")
        assert _push(f"{rig.nginx.rtmp_url}/{late_key}", 2).wait(60) != 0

        def late_reason() -> str:
            return api.get(f"/api/streams/{late_id}").json().get("status_reason") or ""

        _wait_for(lambda: "spool" in late_reason(), 60, "the refused stream's reason")
        late = api.get(f"/api/streams/{late_id}").json()
        assert late["status"] == "failed", late
        assert _segment_objects(rig, late_id) == []

        # What was acknowledged before the store filled is intact.
        store = rig.store()
        for seq, sha in before_full.items():
            data = store.get_bytes(rig.bucket, segment_object_key(stream_id, seq))
            assert hashlib.sha256(data).hexdigest() == sha, seq

        _empty_filler(rig)
        recovered = len(before_full) + 8  # the spooled segments and live ones after them
        _wait_for(lambda: len(_acknowledged(rig, stream_id)) >= recovered, 90, "the recovery")
        end_push(pusher)  # the publisher was never cut off while the store was full
    finally:
        pusher.kill()

    # The spooled segments arrive: every sequence, in order, each as announced, and it plays.
    _wait_for(lambda: "#EXT-X-ENDLIST" in _stored_playlist(rig, stream_id), 90, "the VOD playlist")
    _wait_for(
        lambda: len(_acknowledged(rig, stream_id)) == len(_segment_objects(rig, stream_id)),
        90,
        "every stored segment materialized",
    )
    acknowledged = _acknowledged(rig, stream_id)
    assert sorted(acknowledged) == list(range(len(acknowledged)))
    assert len(acknowledged) >= recovered
    for seq, sha in acknowledged.items():
        data = store.get_bytes(rig.bucket, segment_object_key(stream_id, seq))
        assert hashlib.sha256(data).hexdigest() == sha, seq
    playback = api.get(f"/api/streams/{stream_id}/playback").json()  # a player's signed URL
    url = str(api.base_url.join(playback["playlist_url"]))
    assert _ffprobe_seconds(url) == pytest.approx(2.0 * len(acknowledged), abs=2.5)
    _wait_for(lambda: api.get("/api/storage").json()["warning"] is None, 90, "the warning")
