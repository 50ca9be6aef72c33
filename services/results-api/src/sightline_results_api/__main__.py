"""Entry point: `python -m sightline_results_api [serve|api|materialize|migrate]`.

- `serve` (default): migrate, then the REST API and the materializer in one process — the
  consumer loop on the main thread (it owns SIGTERM), uvicorn in a background thread.
- `api`: the REST API only (scale it apart from the materializer).
- `materialize`: the materializer only, with `/healthz` `/readyz` `/metrics` on the HTTP port.
- `exposure`: the brand-exposure stream processor (faust: `detections` → `exposure`), with
  `/healthz` `/readyz` `/metrics` on the HTTP port.
- `migrate`: bring the database schema up to date and exit.

`serve` and `api` also run the storage worker (deletion jobs, retention sweeper) in a thread
unless SIGHTLINE_RUN_STORAGE_WORKER=false.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Callable

import structlog
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine

from sightline_common.kafka import EventProducer
from sightline_common.logging import configure_logging
from sightline_common.ops import BackgroundServer, ops_router
from sightline_common.storage import ObjectStore
from sightline_results_api.alerts.materialize import build_alerts_consumer
from sightline_results_api.api.app import create_app
from sightline_results_api.api.deps import AppContext
from sightline_results_api.materializer import build_consumer
from sightline_results_api.readiness import CachedReadiness, database_answers, kafka_answers
from sightline_results_api.runtime import build_publisher, open_database
from sightline_results_api.settings import ResultsApiSettings
from sightline_results_api.sink import BatchSink
from sightline_results_api.storage_lifecycle.usage import StorageMeter
from sightline_results_api.storage_lifecycle.worker import StorageWorker, build_storage_worker

log = structlog.get_logger("sightline_results_api")


def main(argv: list[str] | None = None) -> int:
    """Run the chosen mode until SIGTERM/SIGINT; returns the exit code."""
    parser = argparse.ArgumentParser(prog="sightline-results-api", description=__doc__)
    parser.add_argument(
        "mode",
        nargs="?",
        default="serve",
        choices=["serve", "api", "materialize", "exposure", "migrate"],
    )
    mode = parser.parse_args(argv).mode
    settings = ResultsApiSettings()
    configure_logging(settings.service_name, settings.log_level)
    # The exposure processor uses neither the database nor the object store (its deployment
    # gets no credentials for them), so only the modes that do are held to theirs.
    settings.refuse_dev_credentials(
        None if mode == "exposure" else settings.database_url, storage=mode != "exposure"
    )
    if mode in {"serve", "api"}:
        settings.require_signing_keys()
    if mode == "exposure":
        return _exposure(settings)
    engine = open_database(settings)
    log.info("results_api.migrated", schema=settings.database_schema or "public", mode=mode)
    if mode == "migrate":
        return 0

    db_ready = database_answers(engine)
    kafka_ready = kafka_answers(settings.kafka_bootstrap)
    if mode == "api" or (mode == "serve" and not settings.run_materializer):
        app, worker = _api(settings, engine, CachedReadiness(db_ready, kafka_ready))
        try:
            # No access log: the structured request logs are enough, and a playback URL's
            # signature (a short-lived credential) stays out of plain-text logs.
            uvicorn.run(
                app,
                host=settings.http_host,
                port=settings.http_port,
                log_config=None,
                access_log=False,
            )
        finally:
            if worker is not None:
                worker.stop()
        return 0

    producer = EventProducer(settings.kafka_bootstrap, settings.producer_id)
    loop = build_consumer(settings, BatchSink(engine), producer)
    # Alerts (#18) are materialized on a group of their own, beside the main materializer.
    alert_loop = build_alerts_consumer(settings, engine, producer)
    alert_thread = threading.Thread(target=alert_loop.run, name="alerts-sink", daemon=True)
    ready = CachedReadiness(db_ready, kafka_ready, lambda: loop.ready)
    worker = None
    if mode == "materialize":
        app = FastAPI(title="Sightline results materializer")
        app.include_router(ops_router(ready, loop.alive))
    else:
        app, worker = _api(settings, engine, ready, loop.alive)
    server = BackgroundServer(app, settings.http_host, settings.http_port)
    server.start()
    loop.install_signal_handlers()
    log.info("results_api.started", mode=mode, port=settings.http_port)
    alert_thread.start()
    try:
        loop.run()
    finally:
        alert_loop.stop()
        alert_thread.join(timeout=30)
        server.stop()
        if worker is not None:
            worker.stop()
        engine.dispose()
    log.info("results_api.stopped", mode=mode)
    return 0


def _api(
    settings: ResultsApiSettings,
    engine: Engine,
    ready: Callable[[], bool],
    alive: Callable[[], bool] | None = None,
) -> tuple[FastAPI, StorageWorker | None]:
    """The API, and the storage worker beside it (started) unless settings turn it off."""
    publisher = build_publisher(settings)
    store = ObjectStore.from_settings(settings)
    meter = StorageMeter(settings, store, engine)
    worker = build_storage_worker(settings, engine, publisher, store, meter)
    context = AppContext(
        settings=settings,
        engine=engine,
        publisher=publisher,
        store=store,
        ready=ready,
        alive=alive,
        wake_storage=worker.wake if worker else lambda: None,
        meter=meter,
    )
    if worker is not None:
        worker.start()
    return create_app(context), worker


def _exposure(settings: ResultsApiSettings) -> int:
    """The stream processor needs no database: its state lives in its changelog topic."""
    app = FastAPI(title="Sightline exposure processor")
    app.include_router(ops_router(CachedReadiness(kafka_answers(settings.kafka_bootstrap))))
    server = BackgroundServer(app, settings.http_host, settings.http_port)
    server.start()
    log.info("results_api.started", mode="exposure", port=settings.http_port)
    # faust (with aiohttp) only here: importing it cost every other mode's start 0.3-0.4 CPU-s.
    from sightline_results_api.exposure_stream import TopicLayoutError, run_worker  # noqa: PLC0415

    try:
        run_worker(settings)
    except TopicLayoutError as exc:
        # An operator's fix, not a bug: the reason, without a traceback.
        log.error("exposure.topic_layout", reason=str(exc))  # noqa: TRY400
        return 2
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
