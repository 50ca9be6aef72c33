"""A local stand-in for Google Cloud Vision's `images:annotate`, backed by local analyzers.

It speaks exactly the REST request/response format of the real API (so the cloud executor is
tested against the contract), checks the API key, and can be made slow to test timeouts.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from fastapi import FastAPI, Header, Query
from fastapi.responses import JSONResponse

from sightline_analysis.analyzers import Analyzer
from sightline_analysis.executors.plugins.cloud import API_KEY_HEADER
from sightline_analysis.executors.vision_api import (
    ANNOTATE_PATH,
    FEATURE_OF_ANALYZER,
    AnnotateImageRequest,
    AnnotateImageResponse,
    BatchAnnotateImagesRequest,
    BatchAnnotateImagesResponse,
    Status,
    dump,
    response_of,
)
from sightline_analysis.frames import Frame
from sightline_analysis.wire import UndecodableImageError, decode_base64_image
from sightline_common.ops import Readiness, ops_router


def _error(code: int, status: str, message: str) -> JSONResponse:
    """Google's error body: {"error": {"code", "message", "status"}}."""
    return JSONResponse(
        {"error": {"code": code, "message": message, "status": status}}, status_code=code
    )


def standin_app(
    analyzers: Mapping[str, Analyzer], api_key: str, ready: Readiness, delay: float = 0.0
) -> FastAPI:
    """The stand-in API; `analyzers` by key answer the features that map to them."""
    by_feature = {
        feature: analyzers[key] for key, feature in FEATURE_OF_ANALYZER.items() if key in analyzers
    }
    app = FastAPI(title="Cloud Vision stand-in")
    app.include_router(ops_router(ready))

    @app.post(ANNOTATE_PATH, response_model=None)
    def annotate(
        body: BatchAnnotateImagesRequest,
        key: str = Query(""),
        header_key: str = Header("", alias=API_KEY_HEADER),
    ) -> dict[str, object] | JSONResponse:
        if api_key not in (key, header_key):
            return _error(403, "PERMISSION_DENIED", "The request is missing a valid API key.")
        if delay:
            time.sleep(delay)
        responses = [_annotate_one(by_feature, request) for request in body.requests]
        return dump(BatchAnnotateImagesResponse(responses=responses))

    return app


def _annotate_one(
    by_feature: Mapping[str, Analyzer], request: AnnotateImageRequest
) -> AnnotateImageResponse:
    try:
        image = decode_base64_image(request.image.content)
    except UndecodableImageError as exc:
        return AnnotateImageResponse(error=Status(code=3, message=f"Bad image data: {exc}"))
    frame = Frame(image=image, offset=0.0)
    results = []
    for feature in request.features:
        analyzer = by_feature.get(feature.type)
        if analyzer is None:
            continue
        found = analyzer.analyze("cloud-standin", [frame])[0]
        results.extend(found[: feature.max_results])
    return response_of(results, (frame.width, frame.height))
