"""`/api/streams` against the real database and Kafka: CRUD, auth, and stream-config events."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from sightline_common.messages import (
    SourceKind,
    StreamConfig,
    StreamLifecycle,
    StreamStatus,
)
from sightline_common.topics import Topic
from sightline_results_api.events import StatePublisher
from sightline_results_api.rows import RowBatch, lifecycle_row
from sightline_results_api.sink import BatchSink
from sightline_results_api.tokens import revoke_token
from sightline_testkit.kafka import read_messages
from sightline_testkit.plugin import Isolated

pytestmark = pytest.mark.integration

NEW_STREAM = {"name": "Match day", "source": {"kind": "rtmp"}}


def _configs(isolated: Isolated) -> list[StreamConfig]:
    messages = read_messages(isolated.bootstrap, isolated.topics.name(Topic.STREAM_CONFIG))
    return [m.payload for m in messages]


def test_creating_a_stream_returns_its_key_once_and_publishes_its_config(
    client: TestClient, isolated: Isolated
) -> None:
    response = client.post("/api/streams", json=NEW_STREAM)

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Match day"
    assert body["status"] == "idle"
    assert body["rtmp_url"].startswith("rtmp://")
    assert body["publish_url"] == f"{body['rtmp_url']}/{body['stream_key']}"
    [config] = _configs(isolated)
    assert config.stream_id == body["id"]
    assert config.key_hash == hashlib.sha256(body["stream_key"].encode()).hexdigest()
    assert config.enabled
    assert not config.deleted
    assert config.policy.executors == ["local"]
    listed = client.get(f"/api/streams/{body['id']}").json()
    assert "stream_key" not in listed
    assert listed["name"] == "Match day"


def test_listing_patching_and_deleting_a_stream(client: TestClient, isolated: Isolated) -> None:
    stream_id = client.post("/api/streams", json=NEW_STREAM).json()["id"]

    patched = client.patch(
        f"/api/streams/{stream_id}",
        json={"name": "Renamed", "enabled": False, "policy": {"executors": ["lan", "local"]}},
    )
    assert patched.status_code == 200
    assert patched.json()["name"] == "Renamed"
    assert patched.json()["enabled"] is False
    assert [s["id"] for s in client.get("/api/streams").json()] == [stream_id]

    assert client.delete(f"/api/streams/{stream_id}").status_code == 202
    assert client.get(f"/api/streams/{stream_id}").status_code == 404
    assert client.get("/api/streams").json() == []

    created, changed, deleted = _configs(isolated)
    assert (created.enabled, changed.enabled, changed.name) == (True, False, "Renamed")
    assert [e.value for e in changed.policy.executors] == ["lan", "local"]
    assert deleted.deleted is True
    assert deleted.stream_id == stream_id


def test_requests_without_a_valid_token_are_refused(client: TestClient) -> None:
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer nope"}):
        response = client.get("/api/streams", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
    assert (
        client.post("/api/streams", json=NEW_STREAM, headers={"Authorization": ""}).status_code
        == 401
    )


def test_a_revoked_token_is_refused(
    client: TestClient, engine: Engine, publisher: StatePublisher, token: str
) -> None:
    with Session(engine) as session:
        revoke_token(session, publisher, "test")
    assert client.get("/api/streams").status_code == 401


def test_bad_stream_input_gets_a_clear_4xx_and_writes_nothing(
    client: TestClient, isolated: Isolated
) -> None:
    cases = [
        {"name": "", "source": {"kind": "rtmp"}},
        {"name": "x", "source": {"kind": "vhs"}},
        {"name": "x"},
        {"name": "x", "source": {"kind": "rtmp"}, "policy": {"executors": []}},
        {"name": "x", "source": {"kind": "rtmp"}, "surprise": 1},
    ]
    for body in cases:
        assert client.post("/api/streams", json=body).status_code == 422, body
    file_without_uri = client.post("/api/streams", json={"name": "x", "source": {"kind": "file"}})
    assert file_without_uri.status_code == 422
    assert "uri" in file_without_uri.json()["detail"]
    assert client.get("/api/streams").json() == []
    assert _configs(isolated) == []


def test_unknown_stream_ids_are_404(client: TestClient) -> None:
    for method, path in [
        ("GET", "/api/streams/nope"),
        ("PATCH", "/api/streams/nope"),
        ("DELETE", "/api/streams/nope"),
        ("GET", "/api/streams/nope/detections"),
        ("GET", "/api/streams/nope/exposure"),
        ("GET", "/api/streams/nope/playlist.m3u8"),
        ("GET", "/api/streams/nope/segments/1.ts"),
    ]:
        kwargs = {"json": {"name": "x"}} if method == "PATCH" else {}
        assert client.request(method, path, **kwargs).status_code == 404, path


def _went(engine: Engine, stream_id: str, status: StreamStatus) -> None:
    """Ingest's lifecycle event for the stream, as the materializer stores it."""
    event = StreamLifecycle(stream_id=stream_id, status=status, source_kind=SourceKind.rtmp)
    batch = RowBatch()
    batch.lifecycle.append(lifecycle_row(str(uuid.uuid4()), datetime.now(UTC), event))
    BatchSink(engine).write(batch)


def test_a_finished_stream_is_archived_out_of_the_list_and_restored(
    client: TestClient, engine: Engine
) -> None:
    test_run = client.post("/api/streams", json={**NEW_STREAM, "name": "Test run 3"}).json()
    final = client.post("/api/streams", json={**NEW_STREAM, "name": "Cup final"}).json()
    _went(engine, test_run["id"], StreamStatus.started)
    on_air = client.patch(f"/api/streams/{test_run['id']}", json={"archived": True})
    assert on_air.status_code == 409, on_air.text
    assert "live" in on_air.json()["detail"]
    _went(engine, test_run["id"], StreamStatus.stopped)

    archived = client.patch(f"/api/streams/{test_run['id']}", json={"archived": True}).json()
    assert archived["archived_at"] is not None
    listed = {s["id"] for s in client.get("/api/streams").json()}
    assert final["id"] in listed
    assert test_run["id"] not in listed
    everything = client.get("/api/streams", params={"archived": True}).json()
    assert {final["id"], test_run["id"]} <= {s["id"] for s in everything}
    found = client.get("/api/streams", params={"archived": True, "name": "TEST run"}).json()
    assert [s["id"] for s in found] == [test_run["id"]]
    assert client.get("/api/streams", params={"name": "%"}).json() == []  # not a wildcard
    # Still there when asked for by id; a publisher coming back puts it on the list again.
    assert client.get(f"/api/streams/{test_run['id']}").json()["archived_at"] is not None
    _went(engine, test_run["id"], StreamStatus.started)
    assert test_run["id"] in {s["id"] for s in client.get("/api/streams").json()}
    _went(engine, test_run["id"], StreamStatus.stopped)

    restored = client.patch(f"/api/streams/{test_run['id']}", json={"archived": False}).json()
    assert restored["archived_at"] is None
    assert test_run["id"] in {s["id"] for s in client.get("/api/streams").json()}
