"""Frames on the wire: JPEG in base64, as both the LAN executor and Cloud Vision take them."""

from __future__ import annotations

import base64
import binascii

import cv2
import numpy as np

from sightline_analysis.frames import Image
from sightline_analysis.image_size import MAX_IMAGE_PIXELS, ImageSizeError, check_pixels


class UndecodableImageError(ValueError):
    """The bytes are not an image OpenCV can decode."""


class ImageTooLargeError(UndecodableImageError):
    """The image declares more pixels than allowed (or no readable size): never decoded."""


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


def checked_size(data: bytes, max_pixels: int = MAX_IMAGE_PIXELS) -> tuple[int, int]:
    """(width, height) an outside image declares; raises ImageTooLargeError over `max_pixels`."""
    try:
        return check_pixels(data, max_pixels)
    except ImageSizeError as exc:
        raise ImageTooLargeError(str(exc)) from exc


def decode_reference(data: bytes, max_pixels: int = MAX_IMAGE_PIXELS) -> Image:
    """Pixels of an uploaded reference logo, keeping its transparency: BGR, or BGRA when the
    image has an alpha channel (8 bits per channel either way).

    Gray, gray + alpha, BGR, BGRA and 16-bit images are accepted; frames are never read with
    this (video has no alpha), only logos, whose transparent background must not turn black.
    The declared size is checked before decoding (PNG, JPEG or WebP only). Raises
    UndecodableImageError (ImageTooLargeError for a decompression bomb).
    """
    checked_size(data, max_pixels)
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise UndecodableImageError("not a decodable image")
    decoded = np.asarray(image)
    if decoded.dtype == np.uint16:
        decoded = np.right_shift(decoded, 8)
    elif decoded.dtype != np.uint8:  # 32-bit float (EXR, TIFF): 0..1 intensities
        decoded = np.clip(decoded.astype(np.float64) * 255.0, 0, 255)
    pixels: Image = decoded.astype(np.uint8)
    if pixels.ndim == 2:
        return np.asarray(cv2.cvtColor(pixels, cv2.COLOR_GRAY2BGR), np.uint8)
    channels = pixels.shape[2]
    if channels == 1:
        return np.asarray(cv2.cvtColor(pixels[:, :, 0], cv2.COLOR_GRAY2BGR), np.uint8)
    if channels == 2:  # gray + alpha (most decoders already expand it to BGRA)
        gray = pixels[:, :, 0]
        return np.dstack([gray, gray, gray, pixels[:, :, 1]])
    if channels == 4:
        return np.ascontiguousarray(pixels)
    return np.ascontiguousarray(pixels[:, :, :3])


def decode_base64_image(text: str, max_pixels: int = MAX_IMAGE_PIXELS) -> Image:
    """BGR pixels of a base64-encoded image from the wire, its declared size checked first."""
    try:
        data = base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise UndecodableImageError(f"not base64: {exc}") from exc
    checked_size(data, max_pixels)
    return decode_image(data)
