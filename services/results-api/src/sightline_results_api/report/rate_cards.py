"""Rate cards per stream: the `rate_cards` table (migration 0007) and its reads and writes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Field, Session, SQLModel, col, select

from sightline_results_api.models import utcnow
from sightline_results_api.report.model import RateCardPublic
from sightline_results_api.report.value import Rate


class RateCardRow(SQLModel, table=True):
    """What a 30-s spot costs on one stream (amounts in `currency`)."""

    __tablename__ = "rate_cards"

    stream_id: str = Field(primary_key=True, max_length=64)
    currency: str = Field(max_length=3)
    cost_per_30s: float
    audience: int | None = None
    cpm: float | None = None
    updated_at: datetime = Field(default_factory=utcnow)


def public(row: RateCardRow) -> RateCardPublic:
    """The card as the API shows it."""
    return RateCardPublic(
        currency=row.currency, cost_per_30s=row.cost_per_30s, audience=row.audience, cpm=row.cpm
    )


def rate(card: RateCardPublic) -> Rate:
    """The card as the pricing math takes it."""
    return Rate(card.currency, card.cost_per_30s, card.audience, card.cpm)


def get_card(session: Session, stream_id: str) -> RateCardPublic | None:
    """The stream's rate card, or None."""
    row = session.get(RateCardRow, stream_id)
    return None if row is None else public(row)


def cards(session: Session, stream_ids: Sequence[str]) -> dict[str, RateCardPublic]:
    """The rate cards of these streams that have one."""
    rows = session.exec(select(RateCardRow).where(col(RateCardRow.stream_id).in_(stream_ids)))
    return {row.stream_id: public(row) for row in rows}


def put_card(session: Session, stream_id: str, card: RateCardPublic) -> RateCardPublic:
    """Set (create or replace) the stream's rate card."""
    row = session.get(RateCardRow, stream_id) or RateCardRow(
        stream_id=stream_id, currency=card.currency, cost_per_30s=card.cost_per_30s
    )
    row.currency = card.currency
    row.cost_per_30s = card.cost_per_30s
    row.audience = card.audience
    row.cpm = card.cpm
    row.updated_at = utcnow()
    session.add(row)
    session.commit()
    return public(row)


def delete_card(session: Session, stream_id: str) -> bool:
    """Remove the stream's rate card; False when it had none."""
    row = session.get(RateCardRow, stream_id)
    if row is None:
        return False
    session.delete(row)
    session.commit()
    return True
