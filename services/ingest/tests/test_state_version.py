"""A state file from an incompatible ingest is refused with a clear error, not a crash later."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sightline_ingest.state import SCHEMA_VERSION, StateStore, StateVersionError


def test_a_new_state_file_gets_the_current_version(tmp_path: Path) -> None:
    StateStore(tmp_path / "state.sqlite3").close()
    db = sqlite3.connect(tmp_path / "state.sqlite3")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    StateStore(tmp_path / "state.sqlite3").close()  # reopening the same version is fine


def test_an_old_state_file_is_refused(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "state.sqlite3")
    db.execute("CREATE TABLE streams (stream_id TEXT PRIMARY KEY)")
    db.commit()
    db.close()
    with pytest.raises(StateVersionError, match="schema version 0"):
        StateStore(tmp_path / "state.sqlite3")


def test_a_version_1_state_file_is_migrated_and_keeps_its_event_ids(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    StateStore(path).close()
    db = sqlite3.connect(path)
    db.execute("INSERT INTO streams (stream_id, source_kind) VALUES ('s1', 'rtmp')")
    db.execute("ALTER TABLE streams DROP COLUMN origin_checked")  # as version 1 wrote it
    db.execute("DROP TABLE meta")
    db.execute("PRAGMA user_version=1")
    db.commit()
    db.close()
    state = StateStore(path)
    stream = state.stream("s1")
    assert stream is not None
    assert stream.origin_checked  # its sequences were this file's all along
    assert state.id_parts(3) == (3,)  # the ids it published before stay the same
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    fresh = StateStore(tmp_path / "fresh.sqlite3")
    assert fresh.id_parts(3) == (fresh.epoch, 3)
    assert fresh.epoch
