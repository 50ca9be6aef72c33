"""Building the long-lived pieces (database, publisher) for the entry points and the CLI."""

from __future__ import annotations

from sqlalchemy import Engine

from sightline_common.kafka import EventProducer
from sightline_results_api.db import make_engine
from sightline_results_api.events import API_PRODUCER_OVERRIDES, StatePublisher
from sightline_results_api.migrate import upgrade
from sightline_results_api.settings import ResultsApiSettings


def open_database(settings: ResultsApiSettings) -> Engine:
    """An engine on the configured schema, migrated to the latest revision."""
    engine = make_engine(settings)
    upgrade(engine, settings.database_schema)
    return engine


def build_publisher(settings: ResultsApiSettings) -> StatePublisher:
    """A publisher whose producer gives up on the broker before a request would time out."""
    producer = EventProducer(
        settings.kafka_bootstrap, f"{settings.producer_id}/state", **API_PRODUCER_OVERRIDES
    )
    return StatePublisher(producer, settings.topics, settings.producer_id)
