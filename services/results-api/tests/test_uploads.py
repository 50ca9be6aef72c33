"""Logo uploads are typed by their magic bytes, never by name or declared type."""

from __future__ import annotations

import pytest

from sightline_results_api.uploads import (
    JPEG,
    PNG,
    WEBP,
    ImageType,
    NotAnImageError,
    sniff_image,
)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 16, PNG),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 16, JPEG),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", WEBP),
    ],
)
def test_images_are_recognised_by_their_bytes(data: bytes, expected: ImageType) -> None:
    assert sniff_image(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"GIF89a....",
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        b"RIFF\x00\x00\x00\x00WAVE",
        b"%PDF-1.7",
    ],
)
def test_anything_else_is_not_an_image(data: bytes) -> None:
    with pytest.raises(NotAnImageError):
        sniff_image(data)
