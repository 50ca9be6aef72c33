"""Schema migrations: `alembic upgrade head` on the configured database and schema.

Run at start-up by the API and the materializer, by every operator CLI command and by `python
-m sightline_results_api migrate`. A Postgres advisory lock per schema serializes concurrent
starters of that schema, so two processes never race to create the same table; starters of other
schemas in the same database (each test's private one) do not wait for it: with one lock for all,
a loaded CI machine queued the tests' fresh migrations until a results-api missed its 90-s
readiness bound.

Most starts find the schema already at head. They learn that from one query on
`alembic_version` against the head revision read from the packaged migration files, and skip
Alembic altogether: importing it (and running its script machinery) cost a CLI command about
0.2 CPU-s of its ~1.5.
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, text

if TYPE_CHECKING:
    from alembic.config import Config

# An arbitrary constant shared by every results-api process: the advisory lock's first key (the
# second is the schema's hash).
_MIGRATION_LOCK = 0x5157_4C4E

_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"](\w+)['\"]", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=]*)?=(.*)$", re.MULTILINE)
_QUOTED = re.compile(r"['\"](\w+)['\"]")


def alembic_config(engine: Engine, schema: str) -> Config:
    """An Alembic configuration pointing at the packaged migrations."""
    from alembic.config import Config  # noqa: PLC0415 - only a schema behind head needs Alembic

    config = Config()
    config.set_main_option("script_location", str(files("sightline_results_api") / "migrations"))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    config.attributes["schema"] = schema
    return config


@cache
def head_revision() -> str | None:
    """The single head of the packaged migrations, read from their `revision` and
    `down_revision` lines; None when the files do not name exactly one (Alembic then decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (files("sightline_results_api") / "migrations" / "versions").iterdir():
        if not script.name.endswith(".py"):
            continue
        source = script.read_text(encoding="utf-8")
        revisions.update(_REVISION.findall(source))
        for line in _DOWN_REVISION.findall(source):
            parents.update(_QUOTED.findall(line))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def at_head(conn: Connection, schema: str) -> bool:
    """Whether the schema's version table holds exactly the head revision (a committed
    migration: Postgres DDL and the version row commit together)."""
    head = head_revision()
    table = f'"{schema}".alembic_version' if schema else "alembic_version"
    if head is None or conn.execute(text("SELECT to_regclass(:t)"), {"t": table}).scalar() is None:
        return False
    # The schema name is validated as a plain identifier by the settings.
    versions = conn.execute(text(f"SELECT version_num FROM {table}")).scalars()  # noqa: S608
    return list(versions) == [head]


def lock_migrations(conn: Connection, schema: str) -> None:
    """Wait for, then hold until `conn`'s transaction ends, the right to migrate `schema`."""
    conn.execute(
        text("SELECT pg_advisory_xact_lock(:key, hashtext(:schema))"),
        {"key": _MIGRATION_LOCK, "schema": schema},
    )


def upgrade(engine: Engine, schema: str) -> None:
    """Bring the schema to the latest revision (idempotent)."""
    with engine.connect() as conn:
        if at_head(conn, schema):
            return
    from alembic import command  # noqa: PLC0415 - only a schema behind head needs Alembic

    config = alembic_config(engine, schema)
    with engine.begin() as conn:
        lock_migrations(conn, schema)
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
