"""Domain errors → HTTP answers, in one place, so routes stay about the happy path.

Bad input is a 4xx with a message; a dependency that is down (database, broker, storage) is a
503 the client may retry. The one 500 is storage refusing results-api's own login (a policy or
secret to fix, which no retry mends), logged as `api.storage_access_denied` with the reason.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict

import structlog
from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from sightline_common.errors import MissingObjectError, StorageAccessDeniedError, TransientError
from sightline_results_api.cursor import InvalidCursorError
from sightline_results_api.logo_check import (
    OversizedLogoError,
    UndecodableLogoError,
    UndetectableLogoError,
)
from sightline_results_api.logos import LogoNotFoundError
from sightline_results_api.reanalysis import RunNotFoundError, VideoGoneError
from sightline_results_api.storage_lifecycle.jobs import DeletionNotFoundError, NothingStoredError
from sightline_results_api.storage_lifecycle.pins import PinNotFoundError
from sightline_results_api.streams import (
    InvalidSourceError,
    StreamNotFoundError,
    StreamOnAirError,
)
from sightline_results_api.uploads import NotAnImageError

log = structlog.get_logger(__name__)

_STATUS_OF_ERROR: dict[type[Exception], tuple[int, str]] = {
    StreamNotFoundError: (status.HTTP_404_NOT_FOUND, "stream not found"),
    LogoNotFoundError: (status.HTTP_404_NOT_FOUND, "logo not found"),
    RunNotFoundError: (status.HTTP_404_NOT_FOUND, "reanalysis run not found"),
    VideoGoneError: (status.HTTP_410_GONE, ""),
    MissingObjectError: (status.HTTP_404_NOT_FOUND, "not found in storage"),
    DeletionNotFoundError: (status.HTTP_404_NOT_FOUND, "deletion job not found"),
    NothingStoredError: (status.HTTP_404_NOT_FOUND, ""),
    PinNotFoundError: (status.HTTP_404_NOT_FOUND, "pin not found"),
    InvalidCursorError: (status.HTTP_422_UNPROCESSABLE_CONTENT, "invalid cursor"),
    InvalidSourceError: (status.HTTP_422_UNPROCESSABLE_CONTENT, ""),
    StreamOnAirError: (status.HTTP_409_CONFLICT, ""),
    OversizedLogoError: (status.HTTP_422_UNPROCESSABLE_CONTENT, ""),
    UndecodableLogoError: (
        status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
        "the image cannot be decoded (a damaged or truncated PNG, JPEG or WebP file)",
    ),
    NotAnImageError: (
        status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
        "image must be a PNG, JPEG or WebP file",
    ),
    # The database refused a value the schema allowed (a NUL character in text, say): the
    # statement failed before anything was committed or published.
    DataError: (status.HTTP_422_UNPROCESSABLE_CONTENT, "a value cannot be stored (e.g. NUL)"),
    TransientError: (status.HTTP_503_SERVICE_UNAVAILABLE, "a dependency is unavailable; retry"),
    OperationalError: (status.HTTP_503_SERVICE_UNAVAILABLE, "database unavailable; retry"),
    PoolTimeoutError: (status.HTTP_503_SERVICE_UNAVAILABLE, "database busy; retry"),
}


def _handler(code: int, message: str) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        if code >= 500:
            log.warning("api.dependency_unavailable", path=request.url.path, reason=str(exc))
        return JSONResponse(status_code=code, content={"detail": message or str(exc)})

    return handle


async def _undetectable_logo(request: Request, exc: Exception) -> JSONResponse:
    """422 with the reason and the whole judgement, so the uploader knows what to change."""
    assert isinstance(exc, UndetectableLogoError)
    content = {"detail": str(exc), "detectability": asdict(exc.detectability)}
    return JSONResponse(status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, content=content)


async def _storage_access_denied(request: Request, exc: Exception) -> JSONResponse:
    """500: the deployment is wrong, not the request; the reason (user, action, object) goes to
    the log only."""
    log.error("api.storage_access_denied", path=request.url.path, reason=str(exc))
    content = {"detail": "object storage refused this service's login; see the service log"}
    return JSONResponse(status_code=status.HTTP_500_INTERNAL_SERVER_ERROR, content=content)


def install_error_handlers(app: FastAPI) -> None:
    """Register the mapping above on `app`."""
    for error, (code, message) in _STATUS_OF_ERROR.items():
        app.add_exception_handler(error, _handler(code, message))
    app.add_exception_handler(UndetectableLogoError, _undetectable_logo)
    app.add_exception_handler(StorageAccessDeniedError, _storage_access_denied)
