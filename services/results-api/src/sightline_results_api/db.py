"""The database engine: psycopg 3 through SQLAlchemy, confined to one schema when configured."""

from __future__ import annotations

import contextlib

import psycopg
from sqlalchemy import Engine, create_engine

from sightline_results_api.settings import ResultsApiSettings


def libpq_url(url: str) -> str:
    """A SQLAlchemy `postgresql+psycopg://` URL as a plain libpq connection string."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def ensure_schema(settings: ResultsApiSettings) -> None:
    """Create the configured schema if it is missing (a no-op without one)."""
    if not settings.database_schema:
        return
    # The name is validated as a plain identifier in settings. Two processes starting at once can
    # both pass IF NOT EXISTS and one then hits a catalog unique violation: the schema exists.
    with (
        psycopg.connect(libpq_url(settings.database_url), autocommit=True) as conn,
        contextlib.suppress(psycopg.errors.UniqueViolation),
    ):
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{settings.database_schema}"')


def make_engine(settings: ResultsApiSettings) -> Engine:
    """An engine whose connections see only the configured schema (plus `public` fallback).

    The schema is created first, so a fresh database (or a test's private schema) just works.
    """
    ensure_schema(settings)
    connect_args: dict[str, object] = {"connect_timeout": 5}
    if settings.database_schema:
        connect_args["options"] = f"-csearch_path={settings.database_schema}"
    return create_engine(
        settings.database_url,
        connect_args=connect_args,
        pool_pre_ping=True,
        # The API's threadpool and the materializer share it; beyond this, requests wait
        # (then get a 503) rather than open unbounded connections.
        pool_size=10,
        max_overflow=10,
        pool_timeout=10,
    )
