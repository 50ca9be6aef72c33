"""Storage lifecycle on the real servers: deleting a stream removes it from every store, a range
erase removes exactly that range, retention expires video and results each on its own lifetime,
and reanalysis refuses what is gone."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from sightline_common.envelope import decode
from sightline_common.hls import PLAYLIST_TYPE
from sightline_common.media_layout import playlist_key, segment_object_key
from sightline_common.messages import (
    Envelope,
    SegmentReady,
    SourceKind,
    StreamConfig,
    StreamLifecycle,
    StreamStatus,
)
from sightline_common.storage import ObjectStore
from sightline_common.topics import Topic
from sightline_devstack.ports import ephemeral_port
from sightline_results_api.events import StatePublisher
from sightline_results_api.rows import RowBatch, lifecycle_row, segment_row
from sightline_results_api.settings import ResultsApiSettings
from sightline_results_api.sink import BatchSink
from sightline_results_api.storage_lifecycle.usage import StorageMeter
from sightline_results_api.storage_lifecycle.worker import StorageWorker, build_storage_worker
from sightline_testkit.kafka import read_all
from sightline_testkit.plugin import Isolated

pytestmark = pytest.mark.integration

SEGMENT_S = 2.0
# One client for the module's requests to the servers it starts: `httpx.get` and friends build
# a client, and with it an SSL context, per call (~30 ms of CPU against ~2 ms on a kept client),
# and the waits below poll playlists 5 times a second.
_HTTP = httpx.Client()


def _encode(folder: Path, seconds: int) -> list[bytes]:
    """Real 2-second MPEG-TS segments of a test pattern (ffprobe must play what is left)."""
    folder.mkdir(exist_ok=True)
    subprocess.run(
        [
            "ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10",
            "-t", str(seconds), "-c:v", "libx264", "-g", "20", "-f", "hls", "-hls_time", "2",
            "-hls_list_size", "0", "-hls_segment_filename", str(folder / "%08d.ts"),
            str(folder / "index.m3u8"),
        ],
        check=True,
    )  # fmt: skip
    return [p.read_bytes() for p in sorted(folder.glob("*.ts"))]


def _store_stream(
    settings: ResultsApiSettings,
    engine: Engine,
    stream_id: str,
    segments: list[bytes],
    *,
    stored_at: list[datetime],
) -> None:
    """What ingest and the materializer leave for a stream: objects, a VOD playlist, rows."""
    store = ObjectStore.from_settings(settings)
    bucket = settings.segments_bucket
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-TARGETDURATION:2"]
    batch = RowBatch()
    for seq, data in enumerate(segments):
        store.put_bytes(bucket, segment_object_key(stream_id, seq), data, "video/mp2t")
        lines += [f"#EXTINF:{SEGMENT_S:.3f},", f"{seq:08d}.ts"]
        ready = SegmentReady(
            stream_id=stream_id,
            sequence=seq,
            bucket=bucket,
            object_key=segment_object_key(stream_id, seq),
            playlist_key=playlist_key(stream_id),
            media_start=seq * SEGMENT_S,
            duration=SEGMENT_S,
            wall_clock=stored_at[seq],
            size_bytes=len(data),
            sha256="0" * 64,
        )
        event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{stream_id}/{seq}"))
        batch.segments.append(segment_row(event_id, ready))
    lines.append("#EXT-X-ENDLIST")
    store.put_bytes(bucket, playlist_key(stream_id), "\n".join(lines).encode(), PLAYLIST_TYPE)
    # Something else under the prefix (a thumbnail, say): a stream deletion removes it too.
    store.put_bytes(bucket, f"streams/{stream_id}/thumbs/0.jpg", b"jpeg", "image/jpeg")
    started = StreamLifecycle(
        stream_id=stream_id, status=StreamStatus.started, source_kind=SourceKind.rtmp
    )
    batch.lifecycle.append(lifecycle_row(f"lc-{stream_id[:30]}", stored_at[0], started))
    BatchSink(engine).write(batch)


def _detections(
    factory: Callable[..., Envelope],
    stream_id: str,
    count: int,
    *,
    occurred_at: datetime | None = None,
) -> list[Envelope]:
    envelopes = [factory(stream_id, seq) for seq in range(count)]
    if occurred_at is not None:
        envelopes = [e.model_copy(update={"occurred_at": occurred_at}) for e in envelopes]
    return envelopes


def _rows_of(engine: Engine, stream_id: str) -> dict[str, int]:
    """Rows naming the stream in every table of the schema that has a stream_id column."""
    with engine.connect() as conn:
        tables = conn.execute(
            text(
                "SELECT table_name FROM information_schema.columns WHERE column_name = 'stream_id'"
                " AND table_schema = current_schema() AND table_name <> 'deletion_jobs'"
            )
        ).scalars()
        counts = {
            table: conn.execute(
                text(f"SELECT count(*) FROM {table} WHERE stream_id = :s"),
                {"s": stream_id},
            ).scalar_one()
            for table in tables
        }
        counts["reanalysis_failures"] = conn.execute(
            text("SELECT count(*) FROM reanalysis_failures WHERE run_id LIKE :r"),
            {"r": f"run-{stream_id[:8]}%"},
        ).scalar_one()
    return counts


def _listed(playlist: str) -> list[str]:
    return [
        line.split("?", 1)[0].rsplit("/", 1)[-1]
        for line in playlist.splitlines()
        if line.strip() and not line.startswith("#")
    ]


def _objects(settings: ResultsApiSettings, stream_id: str) -> list[str]:
    store = ObjectStore.from_settings(settings)
    return list(store.list_keys(settings.segments_bucket, f"streams/{stream_id}/"))


def _add_run_with_failure(engine: Engine, stream_id: str) -> None:
    run_id = f"run-{stream_id[:8]}"
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO reanalysis_runs (run_id, stream_id, from_ts, to_ts, detectors, status,"
                " created_at, updated_at) VALUES (:r, :s, 0, 4, '[\"logo\"]', 'requested', :n, :n)"
            ),
            {"r": run_id, "s": stream_id, "n": now},
        )
        conn.execute(
            text("INSERT INTO reanalysis_failures VALUES (:e, :r, 'detector refused', :n)"),
            {"e": f"f-{stream_id[:30]}", "r": run_id, "n": now},
        )


def _add_rule_with_alert(client: TestClient, engine: Engine, stream_id: str) -> str:
    """A stream-health rule made through the API, with a fired alert and its webhook delivery."""
    rule = client.post(
        "/api/rules",
        json={"name": "silent", "kind": "stream_health", "stream_id": stream_id,
              "brands": [], "duration_s": 30},
    )  # fmt: skip
    assert rule.status_code == 201, rule.text
    rule_id: str = rule.json()["id"]
    alert_id, now = str(uuid.uuid4()), datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO alerts (alert_id, rule_id, rule_name, kind, stream_id, status,"
                " fired_at) VALUES (:a, :r, 'silent', 'stream_health', :s, 'fired', :n)"
            ),
            {"a": alert_id, "r": rule_id, "s": stream_id, "n": now},
        )
        conn.execute(
            text(
                "INSERT INTO alert_deliveries (alert_event_id, url, alert_id, rule_id, stream_id,"
                " status, attempts, updated_at)"
                " VALUES (:e, 'https://example.com/hook', :a, :r, :s, 'delivered', 1, :n)"
            ),
            {"e": str(uuid.uuid4()), "a": alert_id, "r": rule_id, "s": stream_id, "n": now},
        )
    return rule_id


@pytest.fixture
def worker(
    api_settings: ResultsApiSettings, engine: Engine, publisher: StatePublisher
) -> StorageWorker:
    """The storage worker, driven pass by pass by the test."""
    store = ObjectStore.from_settings(api_settings)
    made = build_storage_worker(
        api_settings, engine, publisher, store, StorageMeter(api_settings, store, engine)
    )
    assert made is not None
    return made


def test_deleting_a_member_stream_removes_the_pacing_rules_over_its_set(
    isolated: Isolated, client: TestClient, engine: Engine, worker: StorageWorker
) -> None:
    """A pacing rule over a set of streams waits for every member, so it goes (row and
    tombstone) with any of them, not only with the stream it is filed under."""
    first, second, other = (
        client.post("/api/streams", json={"name": n, "source": {"kind": "test"}}).json()["id"]
        for n in ("main", "second", "other")
    )
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO logos (id, brand, bucket, object_key, sha256, content_type,"
                " size_bytes, created_at) VALUES (:i, 'acme', 'b', 'logos/acme.png', :h,"
                " 'image/png', 1, now())"
            ),
            {"i": str(uuid.uuid4()), "h": "0" * 64},
        )
    pacing = {"name": "acme on both", "kind": "pacing", "brands": ["acme"], "target_s": 60,
              "period_s": 600, "stream_id": first}  # fmt: skip
    both = client.post("/api/rules", json={**pacing, "stream_ids": [first, second]})
    kept = client.post("/api/rules", json={**pacing, "stream_ids": [first, other]})
    assert both.status_code == kept.status_code == 201, (both.text, kept.text)

    accepted = client.delete(f"/api/streams/{second}")
    assert accepted.status_code == 202
    assert worker.run_once()
    done = client.get(f"/api/deletions/{accepted.json()['id']}").json()
    assert done["status"] == "done", done

    assert client.get(f"/api/rules/{both.json()['id']}").status_code == 404
    assert client.get(f"/api/rules/{kept.json()['id']}").status_code == 200
    rules = [
        m
        for m in read_all(isolated.bootstrap, isolated.topics.name(Topic.ALERT_RULES))
        if m.key() == both.json()["id"].encode()
    ]
    assert rules[-1].value() is None


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
def test_deleting_a_stream_leaves_no_object_no_row_and_a_tombstone(
    isolated: Isolated,
    client: TestClient,
    api_settings: ResultsApiSettings,
    engine: Engine,
    worker: StorageWorker,
    detection_factory: Callable[..., Envelope],
    store_detections: Callable[[list[Envelope]], None],
) -> None:
    stream_id = client.post(
        "/api/streams", json={"name": "cam", "source": {"kind": "test"}}
    ).json()["id"]
    now = datetime.now(UTC)
    _store_stream(
        api_settings, engine, stream_id, _encode(isolated.tmp / "hls", 4), stored_at=[now] * 2
    )
    store_detections(_detections(detection_factory, stream_id, 2))
    _add_run_with_failure(engine, stream_id)
    rule_id = _add_rule_with_alert(client, engine, stream_id)
    assert all(
        _rows_of(engine, stream_id)[t]
        for t in ("segments", "detections", "reanalysis_runs", "alert_rules", "alerts")
    )
    assert _rows_of(engine, stream_id)["alert_deliveries"] == 1
    assert len(_objects(api_settings, stream_id)) == 4

    accepted = client.delete(f"/api/streams/{stream_id}")
    assert accepted.status_code == 202
    job = accepted.json()
    assert (job["kind"], job["status"]) == ("stream", "pending")
    # Gone for clients at once, and asking again is the same job.
    assert client.get(f"/api/streams/{stream_id}").status_code == 404
    assert client.get(f"/api/streams/{stream_id}/playlist.m3u8").status_code == 404
    assert client.delete(f"/api/streams/{stream_id}").json()["id"] == job["id"]

    assert worker.run_once()
    done = client.get(f"/api/deletions/{job['id']}").json()
    assert done["status"] == "done", done
    assert done["objects_deleted"] == 4
    assert _objects(api_settings, stream_id) == []
    assert set(_rows_of(engine, stream_id).values()) == {0}
    with engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM streams WHERE id = :s"), {"s": stream_id}
            ).scalar_one()
            == 0
        )

    # The key: its config says deleted (ingest forgets it and refuses the key), then a tombstone.
    records = [
        m
        for m in read_all(isolated.bootstrap, isolated.topics.name(Topic.STREAM_CONFIG))
        if m.key() == stream_id.encode()
    ]
    assert records[-1].value() is None
    assert decode(records[-2].value(), StreamConfig).payload.deleted is True
    # Its alert rules are tombstoned too: the alerts service stops evaluating them.
    rules = [
        m
        for m in read_all(isolated.bootstrap, isolated.topics.name(Topic.ALERT_RULES))
        if m.key() == rule_id.encode()
    ]
    assert rules[-1].value() is None

    # A detection still in flight (or a replayed topic) does not bring the stream back.
    store_detections(_detections(detection_factory, stream_id, 2))
    assert _rows_of(engine, stream_id)["detections"] == 0
    assert client.delete(f"/api/streams/{stream_id}").json()["status"] == "done"
    assert client.get(f"/api/streams/{stream_id}").status_code == 404


def test_a_deletion_killed_midway_completes_after_a_restart(
    isolated: Isolated,
    api_settings: ResultsApiSettings,
    engine: Engine,
    token: str,
    detection_factory: Callable[..., Envelope],
    store_detections: Callable[[list[Envelope]], None],
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    env = {"SIGHTLINE_STORAGE_BATCH_SIZE": "25", "SIGHTLINE_RUN_MATERIALIZER": "false"}
    port = ephemeral_port()
    base = f"http://127.0.0.1:{port}"
    child = isolated.spawn("sightline_results_api", "serve", SIGHTLINE_HTTP_PORT=str(port), **env)
    child.wait_http_ok(f"{base}/readyz")
    stream_id = _HTTP.post(
        f"{base}/api/streams", json={"name": "cam", "source": {"kind": "test"}}, headers=headers
    ).json()["id"]
    store = ObjectStore.from_settings(api_settings)
    for seq in range(150):
        store.put_bytes(api_settings.segments_bucket, segment_object_key(stream_id, seq), b"ts")
    store_detections(_detections(detection_factory, stream_id, 3000))

    job = _HTTP.delete(f"{base}/api/streams/{stream_id}", headers=headers).json()

    def progress() -> tuple[str, int, int]:
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT status, objects_deleted, rows_deleted FROM deletion_jobs WHERE id = :i"
                ),
                {"i": job["id"]},
            ).one()
        return row[0], row[1], row[2]

    deadline = time.monotonic() + 60
    while progress()[2] == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    child.signal(signal.SIGKILL)
    child.wait(10)
    status, objects, rows = progress()
    assert status == "pending", "the job finished before the kill: make it bigger"
    assert objects == 150
    assert 0 < rows < 12000 + 3000
    assert _rows_of(engine, stream_id)["detections"] > 0

    again = isolated.spawn("sightline_results_api", "serve", SIGHTLINE_HTTP_PORT=str(port), **env)
    again.wait_http_ok(f"{base}/readyz")
    deadline = time.monotonic() + 60
    while progress()[0] != "done" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert (
        _HTTP.get(f"{base}/api/deletions/{job['id']}", headers=headers).json()["status"] == "done"
    )
    assert _objects(api_settings, stream_id) == []
    assert set(_rows_of(engine, stream_id).values()) == {0}
    assert _HTTP.get(f"{base}/api/streams/{stream_id}", headers=headers).status_code == 404


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
def test_a_range_erase_removes_exactly_that_range(
    isolated: Isolated,
    client: TestClient,
    api_settings: ResultsApiSettings,
    engine: Engine,
    worker: StorageWorker,
    detection_factory: Callable[..., Envelope],
    store_detections: Callable[[list[Envelope]], None],
) -> None:
    stream_id = client.post(
        "/api/streams", json={"name": "cam", "source": {"kind": "test"}}
    ).json()["id"]
    now = datetime.now(UTC)
    _store_stream(
        api_settings, engine, stream_id, _encode(isolated.tmp / "hls", 12), stored_at=[now] * 6
    )
    store_detections(_detections(detection_factory, stream_id, 6))
    assert (
        client.post(f"/api/streams/{stream_id}/erase", json={"from": 5, "to": 4}).status_code == 422
    )
    assert (
        client.post(f"/api/streams/{stream_id}/erase", json={"from": 100, "to": 104}).status_code
        == 404
    )

    # 4.5..7 s touches segments 2 (4-6 s) and 3 (6-8 s): both go whole.
    job = client.post(f"/api/streams/{stream_id}/erase", json={"from": 4.5, "to": 7}).json()
    assert (job["seq_from"], job["seq_to"]) == (2, 3)
    assert worker.run_once()
    assert client.get(f"/api/deletions/{job['id']}").json()["status"] == "done"

    names = sorted(k.rsplit("/", 1)[-1] for k in _objects(api_settings, stream_id))
    assert names == [
        "0.jpg",
        "00000000.ts",
        "00000001.ts",
        "00000004.ts",
        "00000005.ts",
        "index.m3u8",
        "removed.json",  # what ingest's and the API's playlists leave out
    ]
    with engine.connect() as conn:
        segments = (
            conn.execute(
                text("SELECT sequence FROM segments WHERE stream_id = :s ORDER BY 1"),
                {"s": stream_id},
            )
            .scalars()
            .all()
        )
        detected = (
            conn.execute(
                text(
                    "SELECT DISTINCT segment_sequence FROM detections"
                    " WHERE stream_id = :s ORDER BY 1"
                ),
                {"s": stream_id},
            )
            .scalars()
            .all()
        )
        analysed = (
            conn.execute(
                text(
                    "SELECT segment_sequence FROM analysed_segments WHERE stream_id = :s ORDER BY 1"
                ),
                {"s": stream_id},
            )
            .scalars()
            .all()
        )
    assert segments == detected == analysed == [0, 1, 4, 5]
    playlist = client.get(f"/api/streams/{stream_id}/playlist.m3u8").text
    assert _listed(playlist) == ["00000000.ts", "00000001.ts", "00000004.ts", "00000005.ts"]
    assert playlist.count("#EXT-X-DISCONTINUITY") == 1
    assert "#EXT-X-ENDLIST" in playlist
    assert client.get(f"/api/streams/{stream_id}/segments/00000002.ts").status_code == 404
    assert client.get(f"/api/streams/{stream_id}").status_code == 200
    # Reanalysis of the erased stretch is refused, naming it; the rest is still allowed.
    refused = client.post("/api/reanalysis", json={"stream_id": stream_id, "from": 5, "to": 6})
    assert refused.status_code == 410
    assert "erased" in refused.json()["detail"]
    assert (
        client.post(
            "/api/reanalysis", json={"stream_id": stream_id, "from": 0, "to": 4}
        ).status_code
        == 202
    )


def _signed_playlist(base: str, stream_id: str, headers: dict[str, str]) -> str:
    """The stream's playlist at the signed URL a player gets (no token in it)."""
    playback = _HTTP.get(f"{base}/api/streams/{stream_id}/playback", headers=headers)
    return f"{base}{playback.json()['playlist_url']}"


def _ffprobe_seconds(url: str) -> float:
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", url],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return float(probe.stdout.strip())


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffmpeg is not installed")
def test_retention_expires_old_video_and_results_each_on_its_own_lifetime(
    isolated: Isolated,
    api_settings: ResultsApiSettings,
    engine: Engine,
    token: str,
    detection_factory: Callable[..., Envelope],
    store_detections: Callable[[list[Envelope]], None],
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    port = ephemeral_port()
    base = f"http://127.0.0.1:{port}"
    # The global default keeps everything; the stream's own lifetimes are seconds long.
    child = isolated.spawn(
        "sightline_results_api",
        "api",
        SIGHTLINE_HTTP_PORT=str(port),
        SIGHTLINE_SWEEP_INTERVAL_S="0.5",
    )
    child.wait_http_ok(f"{base}/readyz")
    stream_id = _HTTP.post(
        f"{base}/api/streams", json={"name": "cam", "source": {"kind": "test"}}, headers=headers
    ).json()["id"]
    now = datetime.now(UTC)
    old = now - timedelta(seconds=30)
    _store_stream(
        api_settings, engine, stream_id, _encode(isolated.tmp / "hls", 6), stored_at=[old, old, now]
    )
    store_detections(_detections(detection_factory, stream_id, 2, occurred_at=old))
    store_detections([detection_factory(stream_id, 2)])
    playlist_url = _signed_playlist(base, stream_id, {"Authorization": f"Bearer {token}"})
    assert _ffprobe_seconds(playlist_url) == pytest.approx(6.0, abs=0.3)

    patched = _HTTP.patch(
        f"{base}/api/streams/{stream_id}", json={"retention": {"video_s": 10}}, headers=headers
    ).json()
    assert patched["retention"] == {"video_s": 10.0, "results_s": None}
    assert patched["effective_retention"] == {"video_s": 10.0, "results_s": 0.0}

    def objects() -> list[str]:
        return sorted(
            k.rsplit("/", 1)[-1] for k in _objects(api_settings, stream_id) if k.endswith(".ts")
        )

    def stored_playlist() -> list[str]:
        stored = ObjectStore.from_settings(api_settings).get_bytes(
            api_settings.segments_bucket, playlist_key(stream_id)
        )
        return _listed(stored.decode())

    # The sweep removes objects, then rows, and trims the stored playlist last: wait for that.
    deadline = time.monotonic() + 30
    while (objects(), stored_playlist()) != (["00000002.ts"], ["00000002.ts"]):
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert objects() == ["00000002.ts"]
    assert stored_playlist() == ["00000002.ts"]
    assert _listed(_HTTP.get(playlist_url).text) == ["00000002.ts"]
    assert _ffprobe_seconds(playlist_url) == pytest.approx(2.0, abs=0.3)
    stream = _HTTP.get(f"{base}/api/streams/{stream_id}", headers=headers).json()
    assert stream["video_kept_from"] == pytest.approx(4.0)
    # Results keep their own (unbounded) lifetime: the old detections are all still there.
    assert _rows_of(engine, stream_id)["detections"] == 12
    assert _rows_of(engine, stream_id)["segments"] == 1

    # Reanalysis of the expired stretch is refused with the reason, never left running.
    refused = _HTTP.post(
        f"{base}/api/reanalysis", json={"stream_id": stream_id, "from": 0, "to": 6}, headers=headers
    )
    assert refused.status_code == 410
    assert "expired" in refused.json()["detail"]

    _HTTP.patch(
        f"{base}/api/streams/{stream_id}",
        json={"retention": {"video_s": 10, "results_s": 10}},
        headers=headers,
    ).raise_for_status()
    deadline = time.monotonic() + 30
    while _rows_of(engine, stream_id)["detections"] != 4 and time.monotonic() < deadline:
        time.sleep(0.2)
    rows = _rows_of(engine, stream_id)
    assert (rows["detections"], rows["analysed_segments"]) == (4, 1)
    assert rows["lifecycle_events"] == 1  # the latest one says the stream's status: kept


def _start_api(isolated: Isolated, token: str, **env: str) -> tuple[str, dict[str, str]]:
    """results-api (`api`: the API and the storage worker) with these settings; base URL and
    auth headers (`token`, issued in-process: the operator CLI's own process cost ~1.5 CPU-s
    a call, and its tests are test_process_integration's)."""
    port = ephemeral_port()
    base = f"http://127.0.0.1:{port}"
    child = isolated.spawn("sightline_results_api", "api", SIGHTLINE_HTTP_PORT=str(port), **env)
    child.wait_http_ok(f"{base}/readyz")
    return base, {"Authorization": f"Bearer {token}"}


def _ts_objects(settings: ResultsApiSettings, stream_id: str) -> list[str]:
    return sorted(k.rsplit("/", 1)[-1] for k in _objects(settings, stream_id) if k.endswith(".ts"))


def _wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert condition()


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffmpeg is not installed")
def test_a_pinned_stretch_outlives_retention_until_unpinned(
    isolated: Isolated,
    api_settings: ResultsApiSettings,
    engine: Engine,
    token: str,
    detection_factory: Callable[..., Envelope],
    store_detections: Callable[[list[Envelope]], None],
) -> None:
    base, headers = _start_api(isolated, token, SIGHTLINE_SWEEP_INTERVAL_S="0.5")
    api = httpx.Client(base_url=base, headers=headers)
    stream_id = api.post("/api/streams", json={"name": "cam", "source": {"kind": "test"}}).json()[
        "id"
    ]
    now = datetime.now(UTC)
    # Far from the retention limit on either side: the newest segment must not expire while a
    # slow (loaded) run is still checking, nor the old ones come back.
    old = now - timedelta(hours=1)
    _store_stream(
        api_settings,
        engine,
        stream_id,
        _encode(isolated.tmp / "hls", 8),
        stored_at=[old, old, old, now],
    )
    store_detections(_detections(detection_factory, stream_id, 4, occurred_at=old))
    assert api.post(f"/api/streams/{stream_id}/pins", json={"from": 3, "to": 2}).status_code == 422
    assert api.post("/api/streams/nope/pins", json={"from": 0, "to": 1}).status_code == 404
    # 2.5-3.5 s lies in segment 1 (2-4 s): that segment is kept whole.
    pin = api.post(
        f"/api/streams/{stream_id}/pins", json={"from": 2.5, "to": 3.5, "reason": "evidence"}
    )
    assert pin.status_code == 201, pin.text
    assert (pin.json()["from"], pin.json()["to"], pin.json()["reason"]) == (2.5, 3.5, "evidence")
    assert [p["id"] for p in api.get(f"/api/streams/{stream_id}/pins").json()] == [pin.json()["id"]]

    api.patch(
        f"/api/streams/{stream_id}", json={"retention": {"video_s": 600, "results_s": 600}}
    ).raise_for_status()
    _wait_for(lambda: _ts_objects(api_settings, stream_id) == ["00000001.ts", "00000003.ts"])
    # What was found in the pinned stretch is kept with it (2 frames x 2 labels of segment 1).
    _wait_for(lambda: _rows_of(engine, stream_id)["detections"] == 4)
    with engine.connect() as conn:
        kept = conn.execute(
            text("SELECT DISTINCT segment_sequence FROM analysed_segments WHERE stream_id = :s"),
            {"s": stream_id},
        ).scalars()
        assert list(kept) == [1]
    playlist_url = _signed_playlist(base, stream_id, headers)
    # The sweep trims the stored playlist last (after objects and rows).
    _wait_for(lambda: _listed(_HTTP.get(playlist_url).text) == ["00000001.ts", "00000003.ts"])
    playlist = _HTTP.get(playlist_url).text
    assert playlist.count("#EXT-X-DISCONTINUITY") == 1
    assert _ffprobe_seconds(playlist_url) == pytest.approx(4.0, abs=0.3)
    # The pinned stretch may still be reanalysed; the expired video around it may not.
    assert (
        api.post(
            "/api/reanalysis", json={"stream_id": stream_id, "from": 2.5, "to": 3.5}
        ).status_code
        == 202
    )
    assert (
        api.post("/api/reanalysis", json={"stream_id": stream_id, "from": 0, "to": 2}).status_code
        == 410
    )

    assert api.delete(f"/api/streams/{stream_id}/pins/{pin.json()['id']}").status_code == 204
    assert api.delete(f"/api/streams/{stream_id}/pins/{pin.json()['id']}").status_code == 404
    assert api.get(f"/api/streams/{stream_id}/pins").json() == []
    _wait_for(lambda: _ts_objects(api_settings, stream_id) == ["00000003.ts"])
    _wait_for(lambda: _rows_of(engine, stream_id)["detections"] == 0)
    _wait_for(lambda: _listed(_HTTP.get(playlist_url).text) == ["00000003.ts"])
    assert _ffprobe_seconds(playlist_url) == pytest.approx(2.0, abs=0.3)


def _metric(base: str, name: str, labels: str = "") -> float:
    for line in _HTTP.get(f"{base}/metrics").text.splitlines():
        if line.startswith(f"{name}{labels} ") or line.startswith(f"{name}{{{labels}}} "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} {labels} not in /metrics")


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffmpeg is not installed")
def test_a_filling_store_warns_then_evicts_the_oldest_unpinned_video_past_its_minimum(
    isolated: Isolated,
    api_settings: ResultsApiSettings,
    engine: Engine,
    token: str,
) -> None:
    """The store is the test's bucket on the real MinIO with a capacity set just above what
    it holds (SIGHTLINE_STORAGE_CAPACITY_BYTES): 90 % full."""
    store = ObjectStore.from_settings(api_settings)
    now = datetime.now(UTC)
    old = now - timedelta(minutes=5)
    streams = {}
    for name, stored_at in (("old", [old] * 6), ("new", [now] * 2)):
        stream_id = f"s-{name}-{isolated.topics.prefix.strip('.')}"
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO streams (id, name, key_hash, source_kind, source_uri, source_loop,"
                    " policy, enabled, created_at, updated_at, deleting)"
                    " VALUES (:id, :id, :id, 'test', NULL, false, '{}', false, :now, :now, false)"
                ),
                {"id": stream_id, "now": now},
            )
        segments = _encode(isolated.tmp / name, 2 * len(stored_at))
        _store_stream(api_settings, engine, stream_id, segments, stored_at=stored_at)
        streams[name] = (stream_id, sum(len(s) for s in segments))
    old_id, new_id = streams["old"][0], streams["new"][0]
    with engine.begin() as conn:  # segment 4 (8-10 s) of the old stream is evidence
        conn.execute(
            text("INSERT INTO pins VALUES ('p-1', :s, 8.5, 9.0, 'evidence', :now)"),
            {"s": old_id, "now": now},
        )
    used = sum(
        o.size or 0 for o in store.client.list_objects(api_settings.segments_bucket, recursive=True)
    )
    capacity = int(used / 0.9)
    settings = {
        "SIGHTLINE_STORAGE_CAPACITY_BYTES": str(capacity),
        "SIGHTLINE_STORAGE_WARN_FRACTION": "0.5",
        "SIGHTLINE_STORAGE_EVICT_FRACTION": "0.7",
        "SIGHTLINE_SWEEP_INTERVAL_S": "0.5",
    }

    # Nothing may be evicted yet (all younger than an hour): the store stays full and says so.
    base, headers = _start_api(isolated, token, SIGHTLINE_VIDEO_MIN_RETENTION_S="3600", **settings)
    report = _HTTP.get(f"{base}/api/storage", headers=headers).json()
    assert report["store"]["source"] == "capacity setting"
    assert (report["store"]["used_bytes"], report["store"]["total_bytes"]) == (used, capacity)
    assert report["store"]["free_bytes"] == capacity - used
    assert report["store"]["fill"] == pytest.approx(0.9, abs=0.01)
    assert "90% full" in report["warning"]
    by_id = {s["stream_id"]: s for s in report["streams"]}
    assert (by_id[old_id]["bytes"], by_id[old_id]["segments"]) == (streams["old"][1], 6)
    assert (by_id[new_id]["bytes"], by_id[new_id]["segments"]) == (streams["new"][1], 2)
    assert by_id[old_id]["pins"] == 1
    assert _metric(base, "sightline_storage_warning") == 1
    assert _metric(base, "sightline_storage_used_bytes") == used
    assert _metric(base, "sightline_storage_free_bytes") == capacity - used
    assert (
        _metric(base, "sightline_stream_stored_bytes", f'stream_id="{old_id}"')
        == (streams["old"][1])
    )
    assert _ts_objects(api_settings, old_id) == [f"{seq:08d}.ts" for seq in range(6)]

    # With a one-minute minimum, the old stream's oldest unpinned segments go until the store
    # is back under the warning fill; the pinned one and the new stream stay.
    isolated.children[-1].stop()
    base, headers = _start_api(isolated, token, SIGHTLINE_VIDEO_MIN_RETENTION_S="60", **settings)

    def report_now() -> dict[str, Any]:
        report: dict[str, Any] = _HTTP.get(f"{base}/api/storage", headers=headers).json()
        return report

    _wait_for(lambda: report_now()["warning"] is None)
    report = report_now()
    assert report["store"]["fill"] < 0.5
    kept = _ts_objects(api_settings, old_id)
    assert "00000004.ts" in kept
    assert len(kept) < 6
    unpinned = [f"{seq:08d}.ts" for seq in (0, 1, 2, 3, 5)]
    evicted = [name for name in unpinned if name not in kept]
    assert evicted == unpinned[: len(evicted)]  # the oldest first
    assert _ts_objects(api_settings, new_id) == ["00000000.ts", "00000001.ts"]
    assert _metric(base, "sightline_storage_warning") == 0
    playlist_url = _signed_playlist(base, old_id, headers)
    assert _listed(_HTTP.get(playlist_url).text) == kept
    assert _ffprobe_seconds(playlist_url) == pytest.approx(2.0 * len(kept), abs=0.3)
