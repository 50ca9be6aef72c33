"""The callback endpoints as nginx-rtmp calls them (form-encoded POSTs)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from sightline_common.topics import TopicNames
from sightline_ingest.folders import HlsFolders
from sightline_ingest.gate import PublishGate
from sightline_ingest.http import build_app
from sightline_ingest.keys import SourceKeys
from sightline_ingest.registry import StreamRegistry
from sightline_ingest.state import StateStore

from .test_auth import config

FORM = {"call": "publish", "app": "live", "name": "key-aaaaaaaa", "addr": "127.0.0.1",
        "clientid": "7", "type": "live"}  # fmt: skip


def client(tmp_path: Path, ready: list[bool]) -> TestClient:
    registry = StreamRegistry()
    registry.apply(config("a", "key-aaaaaaaa"))
    gate = PublishGate(
        registry=registry,
        source_keys=SourceKeys(),
        folders=HlsFolders(tmp_path / "hls"),
        state=StateStore(tmp_path / "state.sqlite3"),
        topics=TopicNames(),
        producer_id="test",
        rtmp_app="live",
    )
    return TestClient(build_app(gate, lambda: ready[0]))


def test_publishes_wait_until_the_registry_is_read_then_follow_the_key(tmp_path: Path) -> None:
    ready = [False]
    http = client(tmp_path, ready)
    assert http.post("/rtmp/on_publish", data=FORM).status_code == 503
    assert http.get("/readyz").status_code == 503
    ready[0] = True
    assert http.get("/readyz").status_code == 200
    assert http.post("/rtmp/on_publish", data=FORM).status_code == 200
    assert http.post("/rtmp/on_publish", data={**FORM, "name": "key-zzzzzzzz"}).status_code == 403
    done = {**FORM, "call": "publish_done"}
    assert http.post("/rtmp/on_publish_done", data=done).status_code == 200
    assert http.get("/healthz").status_code == 200
    assert b"sightline_ingest_publishes_total" in http.get("/metrics").content
