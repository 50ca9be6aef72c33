"""`/api/streams/{id}/pins`: keep a stretch of a stream past its retention, until unpinned."""

from __future__ import annotations

from fastapi import APIRouter, status

from sightline_results_api.api.deps import PinsDep
from sightline_results_api.api.schemas import PinCreate, PinPublic
from sightline_results_api.models import Pin

router = APIRouter(prefix="/streams", tags=["storage"])


def to_public(pin: Pin) -> PinPublic:
    """The API view of a pin row."""
    return PinPublic.model_validate(
        {
            "id": pin.id,
            "stream_id": pin.stream_id,
            "from": pin.media_from,
            "to": pin.media_to,
            "reason": pin.reason,
            "created_at": pin.created_at,
        }
    )


@router.post("/{stream_id}/pins", status_code=status.HTTP_201_CREATED)
def create_pin(stream_id: str, body: PinCreate, pins: PinsDep) -> PinPublic:
    """Pin [from, to) (stream seconds): every segment overlapping it outlives the stream's
    video retention and a full store's eviction until the pin is deleted. Video that already
    expired is not brought back."""
    return to_public(pins.create(stream_id, body.start, body.end, body.reason))


@router.get("/{stream_id}/pins")
def list_pins(stream_id: str, pins: PinsDep) -> list[PinPublic]:
    """The stream's pins, by start."""
    return [to_public(pin) for pin in pins.of_stream(stream_id)]


@router.delete("/{stream_id}/pins/{pin_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_pin(stream_id: str, pin_id: str, pins: PinsDep) -> None:
    """Unpin: the stretch expires at the next sweep if it is past its lifetime."""
    pins.delete(stream_id, pin_id)
