"""Ingest's HTTP side: nginx-rtmp's publish callbacks and the operations endpoints."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import FastAPI, Request, Response

from sightline_common.ops import Readiness, ops_router
from sightline_ingest.gate import Decision, PublishGate


def build_app(gate: PublishGate, ready: Readiness) -> FastAPI:
    """The FastAPI app; callbacks answer 503 until the stream registry has caught up."""
    app = FastAPI(title="sightline-ingest", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(ops_router(ready))

    async def _form(request: Request) -> dict[str, str]:
        # nginx-rtmp posts application/x-www-form-urlencoded (call, app, name, addr, clientid…).
        return dict(parse_qsl((await request.body()).decode(errors="replace")))

    def _answer(decision: Decision) -> Response:
        return Response(
            content=decision.reason, status_code=decision.status, media_type="text/plain"
        )

    @app.post("/rtmp/on_publish")
    async def on_publish(request: Request) -> Response:
        if not ready():
            return Response("not ready", status_code=503, media_type="text/plain")
        return _answer(gate.on_publish(await _form(request)))

    @app.post("/rtmp/on_publish_done")
    async def on_publish_done(request: Request) -> Response:
        return _answer(gate.on_publish_done(await _form(request)))

    return app
