"""The head revision read from the migration files is the one Alembic computes: a start that
finds it in `alembic_version` skips Alembic, so a wrong head would skip a migration."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from sightline_results_api.migrate import alembic_config, head_revision


def test_the_head_read_from_the_files_is_alembics_head() -> None:
    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    scripts = ScriptDirectory.from_config(alembic_config(engine, ""))
    assert head_revision() == scripts.get_current_head()
    assert head_revision() is not None
