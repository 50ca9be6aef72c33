"""A detector's `executor` mode: its analyzers served over HTTP for LAN executor clients."""

from __future__ import annotations

import socket

from fastapi import FastAPI, HTTPException

from sightline_analysis.analyzers import AnalyzerSet
from sightline_analysis.executors.lan_protocol import ANALYZE_PATH, AnalyzeRequest, AnalyzeResponse
from sightline_analysis.frames import Frame
from sightline_analysis.wire import UndecodableImageError, decode_base64_image
from sightline_common.ops import Readiness, ops_router


def executor_app(analyzers: AnalyzerSet, ready: Readiness, host_name: str | None = None) -> FastAPI:
    """The executor API: POST `/v1/analyze` plus the operations paths."""
    name = host_name or socket.gethostname()
    app = FastAPI(title="Sightline analysis executor")
    app.include_router(ops_router(ready))

    @app.post(ANALYZE_PATH)
    def analyze(request: AnalyzeRequest) -> AnalyzeResponse:
        if request.analyzers != analyzers.keys:
            raise HTTPException(
                409, f"this executor runs {analyzers.keys}, asked for {request.analyzers}"
            )
        try:
            frames = [Frame(decode_base64_image(f.image), f.offset) for f in request.frames]
        except UndecodableImageError as exc:
            raise HTTPException(422, str(exc)) from exc
        return AnalyzeResponse(results=analyzers.analyze(request.stream_id, frames), host=name)

    return app
