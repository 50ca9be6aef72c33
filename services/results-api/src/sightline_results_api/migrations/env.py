"""Alembic environment: runs migrations on the connection `migrate.upgrade` hands in.

The version table lives in the configured schema, next to the tables it versions, so every
test schema (and every tenant schema) is migrated independently.
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from sightline_results_api import models  # noqa: F401 - registers the tables on the metadata

connection = context.config.attributes["connection"]
schema = context.config.attributes.get("schema") or None

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    version_table_schema=schema,
    compare_type=True,
    # Alembic's own bookkeeping table is not part of the models.
    include_name=lambda name, type_, _parent: not (type_ == "table" and name == "alembic_version"),
)
with context.begin_transaction():
    context.run_migrations()
