"""The operations side every service exposes: `/healthz`, `/readyz` and Prometheus `/metrics`.

`ops_response` is framework-free so the WebSocket notifier can answer these paths on its own
port; `ops_router` mounts the same answers in a FastAPI app.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import uvicorn
from fastapi import APIRouter, FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

Readiness = Callable[[], bool]
Liveness = Callable[[], bool]
OPS_PATHS = ("/healthz", "/readyz", "/metrics")


def ops_response(
    path: str, ready: Readiness, alive: Liveness | None = None
) -> tuple[int, str, bytes] | None:
    """(status, content type, body) for an operations path, or None for any other path.

    `/healthz` says the process is alive and its work loop is not stuck (`alive`, e.g. a
    consumer loop's watchdog): a 503 there gets the process restarted. `/readyz` says whether
    it can do its job now (broker reached, dependencies answering, not stalled) so an
    orchestrator routes work only to ready replicas.
    """
    live = alive is None or alive()
    if path == "/healthz":
        if live:
            return 200, "application/json", b'{"status":"ok"}'
        return 503, "application/json", b'{"status":"stalled"}'
    if path == "/readyz":
        if live and ready():
            return 200, "application/json", b'{"status":"ready"}'
        return 503, "application/json", b'{"status":"not ready"}'
    if path == "/metrics":
        return 200, CONTENT_TYPE_LATEST, generate_latest()
    return None


def ops_router(ready: Readiness, alive: Liveness | None = None) -> APIRouter:
    """A FastAPI router answering the operations paths (hidden from the API's OpenAPI)."""
    router = APIRouter(include_in_schema=False)

    def _answer(path: str) -> Response:
        answer = ops_response(path, ready, alive)
        assert answer is not None
        status, content_type, body = answer
        return Response(content=body, status_code=status, media_type=content_type)

    @router.get("/healthz")
    def healthz() -> Response:
        return _answer("/healthz")

    @router.get("/readyz")
    def readyz() -> Response:
        return _answer("/readyz")

    @router.get("/metrics")
    def prometheus_metrics() -> Response:
        return _answer("/metrics")

    return router


class BackgroundServer:
    """Runs a FastAPI app with uvicorn in a daemon thread beside a consumer loop."""

    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False)
        # Run from a non-main thread, uvicorn leaves signal handling to the consumer loop.
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="http", daemon=True)

    def start(self, timeout: float = 10.0) -> None:
        """Start serving; returns once the socket is bound."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("HTTP server failed to start")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop accepting requests and wait for the thread."""
        self._server.should_exit = True
        self._thread.join(timeout=10)
