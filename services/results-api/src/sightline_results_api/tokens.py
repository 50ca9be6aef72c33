"""API tokens: issued and revoked by the operator CLI, checked on every `/api` request.

A token is a long random string shown once; only its SHA-256 is stored here and published on
`api-tokens` (for the notifier), which is enough because tokens are not guessable passwords.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence

import structlog
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, or_, select

from sightline_common.api_tokens import hash_token
from sightline_results_api.events import StatePublisher
from sightline_results_api.models import ApiToken, utcnow

log = structlog.get_logger(__name__)


class TokenNameTakenError(ValueError):
    """A token with this name already exists."""


class TokenNotFoundError(LookupError):
    """No token has this name or id."""


def issue_token(session: Session, publisher: StatePublisher, name: str) -> tuple[ApiToken, str]:
    """Create a token named `name`; returns the record and the token (its only appearance)."""
    token = f"sl_{secrets.token_urlsafe(32)}"
    record = ApiToken(
        id=str(uuid.uuid4()), name=name, token_hash=hash_token(token), created_at=utcnow()
    )
    session.add(record)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise TokenNameTakenError(name) from exc
    publisher.api_token(record)
    session.commit()
    log.info("token.issued", token_id=record.id, name=name)
    return record, token


def list_tokens(session: Session) -> Sequence[ApiToken]:
    """Every token (revoked ones too), oldest first."""
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


def token_is_valid(session: Session, token: str) -> bool:
    """Whether `token` is a live (issued, not revoked) token."""
    found = session.exec(
        select(ApiToken.id).where(
            ApiToken.token_hash == hash_token(token), col(ApiToken.revoked_at).is_(None)
        )
    ).first()
    return found is not None
