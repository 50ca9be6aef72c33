"""Frames on the wire: JPEG in base64, as both the LAN executor and Cloud Vision take them."""

from __future__ import annotations

import base64
import binascii

import cv2
import numpy as np

from sightline_analysis.frames import Image


class UndecodableImageError(ValueError):
    """The bytes are not an image OpenCV can decode."""


def encode_image(image: Image, quality: int = 92) -> str:
    """`image` as base64 JPEG text."""
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise UndecodableImageError("JPEG encoding failed")
    return base64.b64encode(buffer.tobytes()).decode("ascii")


def decode_image(data: bytes) -> Image:
    """BGR pixels of an encoded image (JPEG, PNG, ...)."""
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise UndecodableImageError("not a decodable image")
    return np.asarray(image, dtype=np.uint8)


def decode_base64_image(text: str) -> Image:
    """BGR pixels of a base64-encoded image."""
    try:
        return decode_image(base64.b64decode(text, validate=True))
    except binascii.Error as exc:
        raise UndecodableImageError(f"not base64: {exc}") from exc
