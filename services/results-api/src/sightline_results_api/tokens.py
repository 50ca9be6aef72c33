"""API tokens: issued and revoked by the operator CLI, checked on every `/api` request.

A token is a long random string shown once; only its SHA-256 is stored here and published on
`api-tokens` (for the notifier), which is enough because tokens are not guessable passwords.
A token has a scope (`read`: safe methods only, for dashboards on a wall and report scripts;
`write`: everything) and may expire, so a token handed out for a while need not be remembered
and revoked.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

import structlog
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, or_, select

from sightline_common.api_tokens import hash_token
from sightline_results_api.events import StatePublisher
from sightline_results_api.models import ApiToken, utcnow

log = structlog.get_logger(__name__)


class TokenScope(StrEnum):
    """What a token may do."""

    READ = "read"  # GET, HEAD and OPTIONS only
    WRITE = "write"  # every route


class TokenNameTakenError(ValueError):
    """A token with this name already exists."""


class TokenNotFoundError(LookupError):
    """No token has this name or id."""


class TokenExpiryError(ValueError):
    """The requested expiry is not in the future."""


def issue_token(
    session: Session,
    publisher: StatePublisher,
    name: str,
    *,
    scope: TokenScope = TokenScope.WRITE,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token named `name`; returns the record and the token (its only appearance).

    `expires_at` (timezone-aware, in the future) ends it without a revocation; None keeps it
    until revoked.
    """
    now = utcnow()
    if expires_at is not None and expires_at <= now:
        raise TokenExpiryError(f"expiry {expires_at.isoformat()} is not in the future")
    token = f"sl_{secrets.token_urlsafe(32)}"
    record = ApiToken(
        id=str(uuid.uuid4()),
        name=name,
        token_hash=hash_token(token),
        created_at=now,
        scope=scope.value,
        expires_at=expires_at,
    )
    session.add(record)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise TokenNameTakenError(name) from exc
    publisher.api_token(record)
    session.commit()
    log.info("token.issued", token_id=record.id, name=name, scope=scope.value)
    return record, token


def list_tokens(session: Session) -> Sequence[ApiToken]:
    """Every token (revoked and expired ones too), oldest first."""
    return session.exec(select(ApiToken).order_by(col(ApiToken.created_at))).all()


def revoke_token(session: Session, publisher: StatePublisher, name_or_id: str) -> ApiToken:
    """Revoke the token with this name or id (idempotent) and publish the revocation."""
    record = session.exec(
        select(ApiToken).where(or_(ApiToken.name == name_or_id, ApiToken.id == name_or_id))
    ).first()
    if record is None:
        raise TokenNotFoundError(name_or_id)
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        session.add(record)
        session.flush()
    publisher.api_token(record)
    session.commit()
    log.info("token.revoked", token_id=record.id, name=record.name)
    return record


def live_token_scope(session: Session, token: str) -> TokenScope | None:
    """The scope of `token` if it is live (issued, not revoked, not expired), else None."""
    expires_at = col(ApiToken.expires_at)
    scope = session.exec(
        select(ApiToken.scope).where(
            ApiToken.token_hash == hash_token(token),
            col(ApiToken.revoked_at).is_(None),
            or_(expires_at.is_(None), expires_at > utcnow()),
        )
    ).first()
    return None if scope is None else TokenScope(scope)
