"""`down` stops exactly what `up` started in that state folder and leaves no listener behind.

Run on a throwaway platform (own folder, own ports) so the shared one keeps serving others.
"""

from __future__ import annotations

import dataclasses
import socket
from pathlib import Path

import psycopg
import pytest
from confluent_kafka.admin import AdminClient

from sightline_common.topics import TopicNames
from sightline_devstack import ports, procs
from sightline_devstack.envfile import PlatformEnv
from sightline_devstack.errors import PlatformError, PortTakenError
from sightline_devstack.platform import down, ensure_up, recorded_pids, status
from sightline_devstack.servers.base import ServerStatus
from sightline_devstack.settings import DevstackSettings

pytestmark = pytest.mark.integration


def _all_ports(rows: list[ServerStatus]) -> list[int]:
    return [p for row in rows for p in row.ports.values()]


def test_down_stops_exactly_its_own_servers_and_frees_their_ports_and_up_resumes_the_data(
    throwaway: DevstackSettings, shared_platform: PlatformEnv
) -> None:
    # One throwaway platform for both halves: a fresh start (Kafka's storage format, initdb)
    # is the costly part, and the restart after down is what the second half is about.
    shared_pids = recorded_pids(DevstackSettings.from_env())
    env = ensure_up(throwaway, say=lambda _: None)
    first = recorded_pids(throwaway)
    assert set(first) == {"kafka", "postgres", "minio", "nginx"}
    ensure_up(throwaway, say=lambda _: None)
    assert recorded_pids(throwaway) == first  # up twice: same processes
    rows = status(throwaway)
    assert all(r.state == "running" and r.healthy for r in rows)
    held = _all_ports(rows)
    with psycopg.connect(env.postgres_dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE survives (x int)")
        conn.execute("INSERT INTO survives VALUES (42)")

    stopped = down(throwaway, say=lambda _: None)

    assert sorted(stopped) == sorted(first)
    assert not any(procs.is_alive(pid) for pid in first.values())
    assert ports.wait_until_free(held, 5) == []
    assert all(r.state == "stopped" for r in status(throwaway))
    assert not throwaway.env_file.exists()
    # The shared platform did not notice.
    assert recorded_pids(DevstackSettings.from_env()) == shared_pids
    assert all(procs.is_alive(pid) for pid in shared_pids.values())
    # And down again is a no-op.
    assert down(throwaway, say=lambda _: None) == []

    # Up after down resumes the same data: the table and the platform's topics.
    again = ensure_up(throwaway, say=lambda _: None)

    assert all(r.healthy for r in status(throwaway))
    with psycopg.connect(again.postgres_dsn) as conn:
        assert conn.execute("SELECT x FROM survives").fetchone() == (42,)
    meta = AdminClient({"bootstrap.servers": again.kafka_bootstrap}).list_topics(timeout=10)
    assert set(TopicNames().all_names()) <= set(meta.topics)


def test_postgres_moves_to_the_next_port_when_its_port_is_taken(
    throwaway: DevstackSettings,
) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", throwaway.postgres_port))
        squatter.listen()
        env = ensure_up(throwaway, only=["postgres"], say=lambda _: None)
    assert env.postgres_port != throwaway.postgres_port
    [row] = status(throwaway, only=["postgres"])
    assert row.healthy
    assert row.ports["sql"] == env.postgres_port


def test_postgres_refuses_a_state_folder_its_user_cannot_reach(
    throwaway: DevstackSettings, tmp_path: Path
) -> None:
    private = dataclasses.replace(throwaway, state_dir=tmp_path / "state")  # under a 0700 folder
    with pytest.raises(PlatformError, match="cannot enter"):
        ensure_up(private, only=["postgres"], say=lambda _: None)


def test_a_port_held_by_a_stranger_is_refused_with_its_holder_named(
    throwaway: DevstackSettings,
) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", throwaway.nginx_http_port))
        squatter.listen()
        with pytest.raises(PortTakenError, match=str(throwaway.nginx_http_port)):
            ensure_up(throwaway, only=["nginx"], say=lambda _: None)
    assert recorded_pids(throwaway) == {}
