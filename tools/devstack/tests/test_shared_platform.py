"""The shared platform works for real: each server answers the way services will use it."""

from __future__ import annotations

import io
import time
import uuid
from typing import Any

import psycopg
import pytest
from confluent_kafka.admin import AdminClient
from minio import Minio

from sightline_common.storage_users import ensure_storage_users
from sightline_common.topics import TopicNames
from sightline_devstack.envfile import PlatformEnv, read_env_file
from sightline_devstack.locking import exclusive
from sightline_devstack.platform import ensure_up, recorded_pids, status
from sightline_devstack.servers import minio as minio_server
from sightline_devstack.settings import DevstackSettings

pytestmark = pytest.mark.integration


def test_up_twice_is_harmless_and_quick(shared_platform: PlatformEnv) -> None:
    settings = DevstackSettings.from_env()
    before = recorded_pids(settings)
    started = time.monotonic()
    again = ensure_up(settings, say=lambda _: None)
    took = time.monotonic() - started
    assert again == shared_platform
    assert recorded_pids(settings) == before  # nothing restarted
    assert took < 10, f"a second up took {took:.1f}s"
    assert all(row.state == "running" and row.healthy for row in status(settings))


def test_the_storage_users_are_set_again_only_when_their_stamp_differs(
    shared_platform: PlatformEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = DevstackSettings.from_env()
    server = minio_server.MinioServer(settings, say=lambda _: None)
    record = server.record()
    assert record is not None
    calls: list[int] = []

    def counted(*args: Any, **kwargs: Any) -> list[str]:
        calls.append(1)
        return ensure_storage_users(*args, **kwargs)

    monkeypatch.setattr(minio_server, "ensure_storage_users", counted)
    # Under the devstack lock, as `ensure_up` provisions: no other worker's `up` in between.
    with exclusive(settings.lock_file, lambda _: None):
        server.provision(record.ports)
        assert calls == []  # the same drive, provisioned with the same spec
        stamp = server.users_stamp_file.read_text()
        server.users_stamp_file.write_text("a stamp of another spec or process")
        server.provision(record.ports)
        assert calls == [1]
        assert server.users_stamp_file.read_text() == stamp


def test_platform_env_file_describes_the_running_platform(shared_platform: PlatformEnv) -> None:
    on_disk = read_env_file(DevstackSettings.from_env().env_file)
    assert on_disk == shared_platform.as_env()


def test_kafka_metadata_lists_every_project_topic_with_its_partitions(
    shared_platform: PlatformEnv,
) -> None:
    admin = AdminClient({"bootstrap.servers": shared_platform.kafka_bootstrap})
    meta = admin.list_topics(timeout=10)
    assert len(meta.brokers) == 1
    wanted = TopicNames(prefix=shared_platform.topic_prefix).all_names()
    for name, spec in wanted.items():
        assert name in meta.topics, f"topic {name} missing"
        assert len(meta.topics[name].partitions) == spec["partitions"], name


def test_minio_stores_and_returns_an_object(shared_platform: PlatformEnv) -> None:
    client = Minio(
        shared_platform.s3_endpoint,
        access_key=shared_platform.s3_access_key,
        secret_key=shared_platform.s3_secret_key,
        secure=False,
    )
    assert client.bucket_exists(shared_platform.segments_bucket)
    assert client.bucket_exists(shared_platform.logos_bucket)
    key = f"devstack-test/{uuid.uuid4()}.bin"
    payload = uuid.uuid4().bytes * 1000
    client.put_object(shared_platform.segments_bucket, key, io.BytesIO(payload), len(payload))
    try:
        response = client.get_object(shared_platform.segments_bucket, key)
        try:
            assert response.read() == payload
        finally:
            response.close()
            response.release_conn()
    finally:
        client.remove_object(shared_platform.segments_bucket, key)


def test_postgres_writes_and_reads_as_the_project_role(shared_platform: PlatformEnv) -> None:
    table = f"devstack_test_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(shared_platform.postgres_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, note text)")
        try:
            conn.execute(f"INSERT INTO {table} VALUES (%s, %s)", (1, "hello"))
            row = conn.execute(f"SELECT note FROM {table} WHERE id = 1").fetchone()
            assert row == ("hello",)
            who = conn.execute("SELECT current_user, inet_server_addr()::text").fetchone()
            assert who == ("sightline", "127.0.0.1/32")
        finally:
            conn.execute(f"DROP TABLE {table}")
