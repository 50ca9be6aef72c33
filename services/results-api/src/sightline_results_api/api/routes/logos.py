"""`/api/logos`: the logo library the logo detector matches against."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Response, UploadFile, status

from sightline_results_api.api.deps import ContextDep, LogosDep
from sightline_results_api.api.schemas import LogoCreated, LogoDetectability, LogoPublic
from sightline_results_api.logo_check import assess_logo
from sightline_results_api.models import Logo

router = APIRouter(prefix="/logos", tags=["logos"])


def to_public(logo: Logo) -> LogoPublic:
    """The API view of a logo row."""
    return LogoPublic(
        id=logo.id,
        brand=logo.brand,
        content_type=logo.content_type,
        size_bytes=logo.size_bytes,
        sha256=logo.sha256,
        created_at=logo.created_at,
        image_url=f"/api/logos/{logo.id}/image",
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={
        413: {"description": "image too large"},
        415: {"description": "not an image, or a damaged one"},
        422: {"description": "a reference the logo detector cannot find at all (or bad fields)"},
    },
)
def upload_logo(
    brand: Annotated[str, Form(min_length=1, max_length=200)],
    image: Annotated[UploadFile, File(description="PNG, JPEG or WebP")],
    logos: LogosDep,
    context: ContextDep,
) -> LogoCreated:
    """Add a brand's reference image (type checked from its bytes) and announce it.

    The image is judged first as the logo detector will see it (transparency honoured); the
    answer says how detectable it is, and one that cannot be found at all is refused (422).
    """
    # A plain (threadpool) route: storing, committing and publishing block, the loop must not.
    limit = context.settings.max_logo_bytes
    data = image.file.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(
            status_code=status.HTTP_413_CONTENT_TOO_LARGE,
            detail=f"image larger than {limit} bytes",
        )
    detectability = assess_logo(data)
    public = to_public(logos.add(brand, data))
    return LogoCreated(
        **public.model_dump(), detectability=LogoDetectability(**asdict(detectability))
    )


@router.get("")
def list_logos(logos: LogosDep) -> list[LogoPublic]:
    """Every logo in the library."""
    return [to_public(logo) for logo in logos.list()]


@router.get(
    "/{logo_id}/image",
    response_class=Response,
    responses={200: {"content": {"image/*": {}}, "description": "the stored image"}},
)
def logo_image(logo_id: str, logos: LogosDep) -> Response:
    """The logo's image, as uploaded."""
    logo = logos.get(logo_id)
    return Response(
        logos.image(logo),
        media_type=logo.content_type,
        headers={"Cache-Control": "private, max-age=3600"},
    )


@router.delete("/{logo_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_logo(logo_id: str, logos: LogosDep) -> Response:
    """Remove a logo; detectors drop it from the library."""
    logos.remove(logo_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
