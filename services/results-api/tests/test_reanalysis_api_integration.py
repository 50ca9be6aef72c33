"""`/api/reanalysis` over real Postgres and Kafka: start, progress, diff, cancel."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from sightline_common.messages import Envelope, ReanalysisRequest, SegmentReady
from sightline_common.topics import Topic
from sightline_results_api.rows import RowBatch, segment_row
from sightline_results_api.sink import BatchSink
from sightline_testkit.kafka import read_messages
from sightline_testkit.plugin import Isolated

pytestmark = pytest.mark.integration


def _store_segments(engine: Engine, stream_id: str, count: int, first: int = 0) -> None:
    rows = [
        segment_row(
            f"00000000-0000-0000-0000-{seq:012d}",
            SegmentReady(
                stream_id=stream_id,
                sequence=seq,
                bucket="b",
                object_key=f"streams/{stream_id}/{seq}.ts",
                playlist_key=f"streams/{stream_id}/index.m3u8",
                media_start=seq * 2.0,
                duration=2.0,
                wall_clock=datetime.now(UTC),
                size_bytes=1000,
                sha256="0" * 64,
            ),
        )
        for seq in range(first, first + count)
    ]
    BatchSink(engine).write(RowBatch(segments=rows))


def test_a_run_is_requested_followed_compared_and_cancelled(
    client: TestClient,
    isolated: Isolated,
    engine: Engine,
    new_stream: str,
    store_detections: Callable[[list[Envelope]], None],
    detection_factory: Callable[..., Envelope],
) -> None:
    _store_segments(engine, new_stream, 10)
    store_detections([detection_factory(new_stream, seq) for seq in range(10)])
    # Live visual results: not compared by a logo-only run.
    store_detections(
        [detection_factory(new_stream, 0, labels=("person",), kind="person", detector="visual")]
    )

    started = client.post(
        "/api/reanalysis",
        json={"stream_id": new_stream, "from": 0, "to": 10, "detectors": ["logo"]},
    )
    assert started.status_code == 202, started.text
    run = started.json()
    assert (run["status"], run["segments_total"], run["segments_done"]) == ("requested", 5, 0)
    assert (run["from"], run["to"]) == (0.0, 10.0)
    [request] = [
        m.payload for m in read_messages(isolated.bootstrap, isolated.topics.name(Topic.REANALYSIS))
    ]
    assert isinstance(request, ReanalysisRequest)
    assert (request.run_id, request.action.value, request.media_to) == (
        run["run_id"],
        "start",
        10.0,
    )

    # The detectors re-run segments 0-2 so far; the re-run no longer sees globex in segment 1.
    rid = run["run_id"]
    store_detections(
        [
            detection_factory(new_stream, 0, run_id=rid),
            detection_factory(new_stream, 2, run_id=rid),
            detection_factory(new_stream, 1, run_id=rid, labels=("acme",)),
        ]
    )
    progress = client.get(f"/api/reanalysis/{rid}").json()
    assert (progress["status"], progress["segments_done"]) == ("running", 3)
    assert progress["progress"] == pytest.approx(0.6)
    assert progress["rate"] > 0

    diff = client.get(f"/api/reanalysis/{rid}/diff", params={"against": "live"}).json()
    assert diff["added"] == []
    assert {(d["segment_sequence"], d["label"]) for d in diff["removed"]} == {
        (1, "globex"),
        (3, "acme"),
        (3, "globex"),
        (4, "acme"),
        (4, "globex"),
    }
    # Screen time over [0, 10): live saw both brands in 5 segments; the run so far acme in 3,
    # globex in 2 (frame spans of 1 s, 2 frames a segment).
    exposure = {e["brand"]: e for e in diff["exposure"]}
    assert exposure["acme"] == {
        "brand": "acme", "screen_time": 6.0, "against_screen_time": 10.0, "delta": -4.0
    }  # fmt: skip
    assert (exposure["globex"]["screen_time"], exposure["globex"]["delta"]) == (4.0, -6.0)

    cancelled = client.post(f"/api/reanalysis/{rid}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    listed = client.get("/api/reanalysis", params={"stream_id": new_stream}).json()
    assert [(r["run_id"], r["status"], r["segments_done"]) for r in listed] == [
        (rid, "cancelled", 3)
    ]
    actions = [
        m.payload.action.value
        for m in read_messages(isolated.bootstrap, isolated.topics.name(Topic.REANALYSIS))
    ]
    assert actions == ["start", "cancel"]


def test_bad_reanalysis_requests(client: TestClient, new_stream: str) -> None:
    body = {"stream_id": new_stream, "from": 10, "to": 5}
    assert client.post("/api/reanalysis", json=body).status_code == 422
    assert (
        client.post("/api/reanalysis", json={**body, "to": 20, "detectors": []}).status_code == 422
    )
    unknown = client.post("/api/reanalysis", json={"stream_id": "nope", "from": 0, "to": 5})
    assert unknown.status_code == 404
    assert client.get("/api/reanalysis/nope").status_code == 404
    assert client.get("/api/reanalysis/nope/diff").status_code == 404
    assert client.post("/api/reanalysis/nope/cancel").status_code == 404
    assert client.get("/api/reanalysis", params={"stream_id": "nope"}).status_code == 404
    assert client.get("/api/reanalysis").status_code == 422


def test_the_cli_starts_follows_diffs_and_cancels_a_run(
    sightline_cli: Callable[..., subprocess.CompletedProcess[str]],
    client: TestClient,
    engine: Engine,
    new_stream: str,
    store_detections: Callable[[list[Envelope]], None],
    detection_factory: Callable[..., Envelope],
) -> None:
    _store_segments(engine, new_stream, 3)
    store_detections([detection_factory(new_stream, seq) for seq in range(3)])
    started = sightline_cli(
        "reanalysis", "start", "--stream", new_stream, "--from", "0", "--to", "6",
        "--config", '{"logo": {"min_inliers": 12}}',
    ).stdout  # fmt: skip
    rid = started.split()[1]
    assert client.get(f"/api/reanalysis/{rid}").json()["status"] == "requested"
    assert "requested, 0/3 segments" in sightline_cli("reanalysis", "status", rid).stdout

    store_detections(
        [detection_factory(new_stream, seq, run_id=rid, labels=("acme",)) for seq in range(3)]
    )
    followed = sightline_cli("reanalysis", "follow", rid)
    assert f"{rid}: done, 3/3 segments" in followed.stdout
    assert "3/3 segments" in followed.stderr  # the progress bar

    diff = sightline_cli("reanalysis", "diff", rid).stdout
    assert "removed       6  logo:globex x6" in diff
    assert "exposure globex" in diff
    assert "(-6.0 s)" in diff

    assert "cancelled" in sightline_cli("reanalysis", "cancel", rid).stdout
    missing = sightline_cli("reanalysis", "status", "run-nope", ok=False)
    assert missing.returncode == 1
    assert "RunNotFoundError" in missing.stderr


def test_a_run_covers_the_segments_stored_when_it_was_requested(
    client: TestClient, engine: Engine, new_stream: str
) -> None:
    _store_segments(engine, new_stream, 3)
    started = client.post(
        "/api/reanalysis", json={"stream_id": new_stream, "from": 0, "to": 100}
    ).json()
    _store_segments(engine, new_stream, 2, first=3)  # the stream is live: more arrive later
    run = client.get(f"/api/reanalysis/{started['run_id']}").json()
    assert (started["segments_total"], run["segments_total"]) == (3, 3)
