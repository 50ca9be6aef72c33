"""A detector's `executor` mode: its analyzers served over HTTP for LAN executor clients.

The executor is reachable from other hosts, so it trusts nobody by default: a caller needs the
shared secret (`Authorization: Bearer`), a request is bounded in bytes (413), frames and decoded
pixels (422) before anything is decoded, at most `max_concurrent` analyses run at once (429, the
detector then falls back to its next executor), and each caller's streams are its own: the
analyzers' per-stream state is keyed by the caller's address as well as the stream it names, so
a caller cannot disturb another's.
"""

from __future__ import annotations

import hmac
import socket
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from sightline_analysis.analyzers import AnalyzerSet
from sightline_analysis.executors.lan_protocol import (
    ANALYZE_PATH,
    AnalyzeRequest,
    AnalyzeResponse,
    WireLate,
)
from sightline_analysis.frames import Frame
from sightline_analysis.image_size import MAX_IMAGE_PIXELS
from sightline_analysis.wire import ImageTooLargeError, UndecodableImageError, decode_base64_image
from sightline_common.ops import Readiness, ops_router

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class ExecutorLimits:
    """Who may call the executor and how much one call may ask."""

    secret: str  # the shared secret callers present as a bearer token
    max_body_bytes: int = 32 * 1024 * 1024
    max_frames: int = 64
    max_pixels: int = MAX_IMAGE_PIXELS  # per frame, as its header declares it
    max_concurrent: int = 2


class BodyLimit:
    """ASGI middleware: 413 for a body over `limit` bytes, declared or streamed, read no further."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self._app = app
        self._limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self._limit:
            await _too_large(self._limit)(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self._limit:
                # Raised while FastAPI reads the body, which passes an HTTPException on as is.
                raise HTTPException(413, f"request body over {self._limit} bytes")
            return message

        await self._app(scope, limited, send)


def _too_large(limit: int) -> JSONResponse:
    return JSONResponse({"detail": f"request body over {limit} bytes"}, status_code=413)


def executor_app(
    analyzers: AnalyzerSet,
    ready: Readiness,
    limits: ExecutorLimits,
    host_name: str | None = None,
) -> FastAPI:
    """The executor API: POST `/v1/analyze` plus the operations paths."""
    name = host_name or socket.gethostname()
    app = FastAPI(title="Sightline analysis executor")
    app.include_router(ops_router(ready))
    app.add_middleware(BodyLimit, limit=limits.max_body_bytes)
    slots = threading.BoundedSemaphore(limits.max_concurrent)
    expected = f"Bearer {limits.secret}".encode()

    def authorized(request: Request) -> None:
        presented = request.headers.get("authorization", "").encode()
        if not limits.secret or not hmac.compare_digest(presented, expected):
            raise HTTPException(401, "missing or wrong executor secret")

    @app.post(ANALYZE_PATH, dependencies=[Depends(authorized)])
    def analyze(request: AnalyzeRequest, http: Request) -> AnalyzeResponse:
        if request.analyzers != analyzers.keys:
            raise HTTPException(
                409, f"this executor runs {analyzers.keys}, asked for {request.analyzers}"
            )
        if len(request.frames) > limits.max_frames:
            raise HTTPException(
                422, f"{len(request.frames)} frames, at most {limits.max_frames} per request"
            )
        if not slots.acquire(blocking=False):
            raise HTTPException(429, "executor busy", headers={"Retry-After": "1"})
        try:
            try:
                frames = [
                    Frame(decode_base64_image(f.image, limits.max_pixels), f.offset)
                    for f in request.frames
                ]
            except (ImageTooLargeError, UndecodableImageError) as exc:
                raise HTTPException(422, str(exc)) from exc
            caller = http.client.host if http.client else "unknown"
            stream = f"lan:{caller}:{request.stream_id}"
            results = analyzers.analyze(stream, frames)
            late = [WireLate(ago=r.ago, item=r.item) for r in analyzers.late(stream)]
        finally:
            slots.release()
        return AnalyzeResponse(results=results, late=late, host=name)

    return app
