"""Schema migrations: `alembic upgrade head` on the configured database and schema.

Run at start-up by the API and the materializer and by `python -m sightline_results_api
migrate`. A Postgres advisory lock serializes concurrent starters, so two processes never
race to create the same table.
"""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

# An arbitrary constant shared by every results-api process: the advisory lock's key.
_MIGRATION_LOCK = 0x5157_4C4E


def alembic_config(engine: Engine, schema: str) -> Config:
    """An Alembic configuration pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(files("sightline_results_api") / "migrations"))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    config.attributes["schema"] = schema
    return config


def upgrade(engine: Engine, schema: str) -> None:
    """Bring the schema to the latest revision (idempotent)."""
    config = alembic_config(engine, schema)
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
