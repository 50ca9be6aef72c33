"""Checking uploaded logo images by their bytes, never by their filename or declared type."""

from __future__ import annotations

from dataclasses import dataclass


class NotAnImageError(ValueError):
    """The bytes are not a PNG, JPEG or WebP image."""


@dataclass(frozen=True)
class ImageType:
    """A recognised image format."""

    content_type: str
    extension: str


PNG = ImageType("image/png", "png")
JPEG = ImageType("image/jpeg", "jpg")
WEBP = ImageType("image/webp", "webp")


def sniff_image(data: bytes) -> ImageType:
    """The image format the magic bytes announce; raises NotAnImageError otherwise."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    raise NotAnImageError("not a PNG, JPEG or WebP image")
