"""Publish authorization: hashed keys, disabled streams, the configured application."""

from __future__ import annotations

from pathlib import Path

from sightline_common.messages import AnalysisPolicy, Source, SourceKind, StreamConfig
from sightline_common.topics import TopicNames
from sightline_ingest.folders import HlsFolders
from sightline_ingest.gate import PublishGate
from sightline_ingest.keys import SourceKeys, hash_key, is_safe_key, key_matches, new_key
from sightline_ingest.registry import Refusal, StreamRegistry
from sightline_ingest.state import StateStore


def config(stream_id: str, key: str, *, enabled: bool = True, kind: str = "rtmp") -> StreamConfig:
    return StreamConfig(
        stream_id=stream_id,
        name=stream_id,
        key_hash=hash_key(key),
        source=Source(kind=SourceKind(kind)),
        policy=AnalysisPolicy.model_validate({"executors": ["local"]}),
        enabled=enabled,
    )


def test_keys_are_url_safe_and_only_their_hash_matches() -> None:
    key = new_key()
    assert is_safe_key(key)
    assert key_matches(key, hash_key(key))
    assert not key_matches(key + "x", hash_key(key))
    assert not is_safe_key("../../etc")


def test_registry_authorizes_known_enabled_keys_only() -> None:
    registry = StreamRegistry()
    registry.apply(config("a", "key-aaaaaaaa"))
    registry.apply(config("b", "key-bbbbbbbb", enabled=False))
    found = registry.authorize("key-aaaaaaaa")
    assert isinstance(found, StreamConfig)
    assert found.stream_id == "a"
    assert registry.authorize("key-bbbbbbbb") == Refusal("stream disabled", "b")
    assert registry.authorize("key-cccccccc") == Refusal("unknown stream key")


def test_a_deleted_stream_or_tombstone_is_forgotten() -> None:
    registry = StreamRegistry()
    registry.apply(config("a", "key-aaaaaaaa"))
    registry.apply(config("a", "key-aaaaaaaa").model_copy(update={"deleted": True}))
    assert registry.get("a") is None
    registry.apply(config("b", "key-bbbbbbbb"))
    registry.remove("b")
    assert registry.all() == []


def gate(tmp_path: Path, registry: StreamRegistry, keys: SourceKeys | None = None) -> PublishGate:
    return PublishGate(
        registry=registry,
        source_keys=keys or SourceKeys(),
        folders=HlsFolders(tmp_path / "hls"),
        state=StateStore(tmp_path / "state.sqlite3"),
        topics=TopicNames("t."),
        producer_id="test",
        rtmp_app="live",
    )


def form(key: str, app: str = "live", clientid: str = "1") -> dict[str, str]:
    return {"call": "publish", "app": app, "name": key, "addr": "127.0.0.1", "clientid": clientid}


def test_publish_is_accepted_for_a_known_key_and_refused_otherwise(tmp_path: Path) -> None:
    registry = StreamRegistry()
    registry.apply(config("a", "key-aaaaaaaa"))
    registry.apply(config("b", "key-bbbbbbbb", enabled=False))
    publish = gate(tmp_path, registry)
    assert publish.on_publish(form("key-aaaaaaaa")).status == 200
    assert publish.on_publish(form("key-bbbbbbbb")).status == 403
    assert publish.on_publish(form("key-unknown1")).status == 403
    assert publish.on_publish(form("key-aaaaaaaa", app="other")).status == 403
    assert publish.on_publish(form("bad/key")).status == 403


def test_refusals_never_open_a_session_or_record_an_event(tmp_path: Path) -> None:
    state = StateStore(tmp_path / "s.sqlite3")
    publish = PublishGate(
        registry=StreamRegistry(),
        source_keys=SourceKeys(),
        folders=HlsFolders(tmp_path),
        state=state,
        topics=TopicNames(),
        producer_id="test",
        rtmp_app="live",
    )
    assert publish.on_publish(form("key-unknown1")).status == 403
    assert state.active_sessions() == []
    assert state.outbox() == []


def test_a_source_adapter_key_publishes_for_its_stream_while_it_is_enabled(
    tmp_path: Path,
) -> None:
    registry = StreamRegistry()
    registry.apply(config("demo", "operator-key-1", kind="test"))
    keys = SourceKeys()
    minted = keys.mint("demo")
    publish = gate(tmp_path, registry, keys)
    assert publish.on_publish(form(minted)).stream_id == "demo"
    registry.apply(config("demo", "operator-key-1", kind="test", enabled=False))
    assert publish.on_publish(form(minted)).status == 403
