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
