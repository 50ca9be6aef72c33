"""Migrations land in the configured schema (version table included) and are re-runnable."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from sightline_results_api.db import make_engine
from sightline_results_api.migrate import lock_migrations, upgrade
from sightline_results_api.settings import ResultsApiSettings

pytestmark = pytest.mark.integration

TABLES = {
    "alembic_version",
    "alert_deliveries",
    "alert_rules",
    "alerts",
    "analysed_segments",
    "api_tokens",
    "deletion_jobs",
    "detections",
    "exposure_windows",
    "lifecycle_events",
    "logos",
    "pins",
    "rate_cards",
    "reanalysis_failures",
    "reanalysis_runs",
    "segments",
    "streams",
}


def test_concurrent_starts_migrate_the_private_schema_once(
    api_settings: ResultsApiSettings,
) -> None:
    schema = api_settings.database_schema
    engine = make_engine(api_settings)
    try:
        errors: list[BaseException] = []

        def start() -> None:
            try:
                upgrade(engine, schema)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=start) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        upgrade(engine, schema)  # and again: nothing to do

        with engine.connect() as conn:
            tables = set(
                conn.execute(
                    text(
                        "SELECT table_name FROM information_schema.tables WHERE table_schema = :s"
                    ),
                    {"s": schema},
                ).scalars()
            )
            version = conn.execute(
                text(f'SELECT version_num FROM "{schema}".alembic_version')
            ).all()
        assert tables == TABLES
        assert version == [("0017",)]
    finally:
        engine.dispose()


def test_a_migration_of_another_schema_does_not_wait_for_this_ones(
    api_settings: ResultsApiSettings,
) -> None:
    """Each test migrates its own schema in the one database: with a lock for all schemas, a
    loaded CI machine queued those migrations past a results-api's readiness bound."""
    schema = api_settings.database_schema
    other = f"{schema}_other"
    engine = make_engine(api_settings)
    try:
        with engine.begin() as held:  # a starter of the other schema, mid-migration
            lock_migrations(held, other)
            done = threading.Event()

            def start() -> None:
                upgrade(engine, schema)
                done.set()

            thread = threading.Thread(target=start)
            thread.start()
            thread.join(120)
            assert done.is_set(), "the migration waited for another schema's"
        with engine.begin() as conn:
            lock_migrations(conn, schema)  # and this schema's lock is free again
    finally:
        engine.dispose()
