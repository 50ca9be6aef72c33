"""The FastAPI application: routers, auth on `/api`, CORS, error mapping, ops endpoints."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response, status
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from sightline_common.ops import ops_router
from sightline_results_api.api.deps import AppContext, require_token
from sightline_results_api.api.errors import install_error_handlers
from sightline_results_api.api.routes import (
    alerts,
    deletions,
    detections,
    exposure,
    logos,
    media,
    pins,
    rate_cards,
    reanalysis,
    reports,
    signed_media,
    snapshots,
    storage,
    streams,
)

# Multipart framing around the image: headers, boundary, the brand field.
_MULTIPART_OVERHEAD = 64 * 1024


def create_app(context: AppContext) -> FastAPI:
    """The API over `context`; nothing is built at import time."""
    app = FastAPI(
        title="Sightline results API",
        version="1.0.0",
        description="Streams, detections, brand exposure and the logo library.",
    )
    app.state.context = context

    api = APIRouter(prefix="/api", dependencies=[Depends(require_token)])
    for module in (
        streams,
        media,
        detections,
        exposure,
        logos,
        reanalysis,
        deletions,
        pins,
        storage,
    ):
        api.include_router(module.router)
    for module in (rate_cards, reports):  # the sponsor exposure report (#19)
        api.include_router(module.router)
    api.include_router(alerts.router)  # alert rules and alerts (#18)
    api.include_router(snapshots.router)  # a still to draw alert zones on (#18)
    app.include_router(api)
    # HLS at signed URLs: a signature instead of the token (#17), see `playback_urls`.
    app.include_router(signed_media.router)
    app.include_router(ops_router(context.ready, context.alive))
    install_error_handlers(app)
    _document_string_details(app)

    upload_limit = context.settings.max_logo_bytes + _MULTIPART_OVERHEAD

    @app.middleware("http")
    async def refuse_oversize_uploads(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # Refuse before the multipart body is parsed and spooled; the route checks the image
        # size itself too, for uploads without a Content-Length.
        length = request.headers.get("content-length", "")
        if request.method == "POST" and length.isdigit() and int(length) > upload_limit:
            return JSONResponse(
                status_code=status.HTTP_413_CONTENT_TOO_LARGE,
                content={"detail": f"request larger than {upload_limit} bytes"},
            )
        return await call_next(request)

    @app.middleware("http")
    async def keep_api_answers_private(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # Everything under /api is behind a token or a signature: no shared cache (CDN,
        # corporate proxy) may keep an answer and hand it to someone else.
        response = await call_next(request)
        if request.url.path.startswith("/api/"):
            response.headers["Cache-Control"] = private_cache_control(
                response.headers.get("Cache-Control")
            )
        return response

    app.add_middleware(
        CORSMiddleware,
        allow_origins=context.settings.cors_origin_list,
        allow_methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type"],
        max_age=600,
    )
    return app


def private_cache_control(value: str | None) -> str:
    """`value` with `private` instead of `public` (`private, no-store` when a route set none)."""
    if not value:
        return "private, no-store"
    directives = [d.strip() for d in value.split(",") if d.strip().lower() != "public"]
    if "private" not in (d.lower() for d in directives):
        directives.insert(0, "private")
    return ", ".join(directives)


def _document_string_details(app: FastAPI) -> None:
    """Document the 422 answers as they are: FastAPI's own validation errors carry a list in
    `detail`, while checks beyond the schema (a reversed range, a file source without a uri, a
    bad cursor) answer one sentence; clients (and schemathesis) read both from the document."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()  # cached by FastAPI on app.openapi_schema: amended in place
        error = schema["components"]["schemas"].get("HTTPValidationError")
        if error is not None:
            listed = error["properties"]["detail"]
            error["properties"]["detail"] = {
                "title": listed.pop("title", "Detail"),
                "anyOf": [listed, {"type": "string"}],
            }
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
