"""`/api/streams/{id}/rate-card`: what a 30-s spot costs on a stream (prices its exposure)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response, status

from sightline_results_api.api.deps import RegistryDep, SessionDep
from sightline_results_api.report import rate_cards
from sightline_results_api.report.model import RateCardPublic

router = APIRouter(prefix="/streams", tags=["reports"])


@router.get("/{stream_id}/rate-card")
def get_rate_card(stream_id: str, registry: RegistryDep, session: SessionDep) -> RateCardPublic:
    """The stream's rate card; 404 when it has none."""
    stream = registry.get(stream_id)
    card = rate_cards.get_card(session, stream.id)
    if card is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="no rate card")
    return card


@router.put("/{stream_id}/rate-card")
def put_rate_card(
    stream_id: str, card: RateCardPublic, registry: RegistryDep, session: SessionDep
) -> RateCardPublic:
    """Set the stream's rate card (currency, cost of a 30-s spot, optional audience and CPM)."""
    stream = registry.get(stream_id)
    return rate_cards.put_card(session, stream.id, card)


@router.delete("/{stream_id}/rate-card", status_code=status.HTTP_204_NO_CONTENT)
def delete_rate_card(stream_id: str, registry: RegistryDep, session: SessionDep) -> Response:
    """Remove the stream's rate card (its exposure is then reported without value)."""
    stream = registry.get(stream_id)
    if not rate_cards.delete_card(session, stream.id):
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="no rate card")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
