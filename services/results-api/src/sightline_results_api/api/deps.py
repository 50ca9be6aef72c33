"""What routes depend on: the application context, a database session, and authentication."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlmodel import Session

from sightline_common.storage import ObjectStore
from sightline_results_api.events import StatePublisher
from sightline_results_api.logos import LogoLibrary
from sightline_results_api.settings import ResultsApiSettings
from sightline_results_api.storage_lifecycle.jobs import DeletionJobs
from sightline_results_api.storage_lifecycle.pins import Pins
from sightline_results_api.storage_lifecycle.usage import StorageMeter
from sightline_results_api.streams import StreamRegistry
from sightline_results_api.tokens import TokenScope, live_token_scope


@dataclass(frozen=True)
class AppContext:
    """Everything the API needs, built once in the entry point and kept on `app.state`."""

    settings: ResultsApiSettings
    engine: Engine
    publisher: StatePublisher
    store: ObjectStore
    ready: Callable[[], bool]
    alive: Callable[[], bool] | None = None  # the materializer's watchdog, when it runs here
    # Tells the storage worker a deletion job is waiting (no-op when none runs here: another
    # replica's worker finds the job within seconds).
    wake_storage: Callable[[], None] = lambda: None
    # Shared with the storage worker, so a measurement is reused (None: one per request).
    meter: StorageMeter | None = None


def get_context(request: Request) -> AppContext:
    """The application context."""
    context: AppContext = request.app.state.context
    return context


ContextDep = Annotated[AppContext, Depends(get_context)]


def get_session(context: ContextDep) -> Iterator[Session]:
    """A session per request; anything not committed is rolled back when it closes."""
    with Session(context.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

_bearer = HTTPBearer(auto_error=False, description="An API token from `sightline token create`")

# What a `read` token may call: methods that change nothing.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def require_token(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """401 unless the request carries a live token in `Authorization: Bearer`; 403 when a
    `read` token calls a method that changes something.

    Tokens are never taken from the URL (URLs end up in access logs, browser history and
    Referer headers): what a browser loads without headers, a video player's HLS, uses the
    short-lived signed URLs of `/api/streams/{id}/playback`.
    """
    scope = live_token_scope(session, credentials.credentials) if credentials else None
    if scope is None:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="missing, invalid, revoked or expired API token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if scope is TokenScope.READ and request.method not in SAFE_METHODS:
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN,
            detail="this API token is read-only",
        )


def get_registry(session: SessionDep, context: ContextDep) -> StreamRegistry:
    """The stream registry for this request."""
    return StreamRegistry(session, context.publisher, context.settings.source_policy())


def get_logos(session: SessionDep, context: ContextDep) -> LogoLibrary:
    """The logo library for this request."""
    return LogoLibrary(session, context.store, context.settings.logos_bucket, context.publisher)


def get_deletions(session: SessionDep, context: ContextDep) -> DeletionJobs:
    """Deletion jobs for this request."""
    return DeletionJobs(session, context.publisher)


def get_pins(session: SessionDep) -> Pins:
    """Pins for this request."""
    return Pins(session)


def get_meter(context: ContextDep) -> StorageMeter:
    """The storage meter."""
    return context.meter or StorageMeter(context.settings, context.store, context.engine)


RegistryDep = Annotated[StreamRegistry, Depends(get_registry)]
DeletionsDep = Annotated[DeletionJobs, Depends(get_deletions)]
LogosDep = Annotated[LogoLibrary, Depends(get_logos)]
PinsDep = Annotated[Pins, Depends(get_pins)]
MeterDep = Annotated[StorageMeter, Depends(get_meter)]
