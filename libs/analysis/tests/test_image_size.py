"""Image sizes read from headers, before any decoding: PNG, JPEG (baseline and progressive),
WebP (lossy, lossless, extended), and refusals over the pixel bound."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from sightline_analysis.image_size import ImageSizeError, check_pixels, declared_size
from sightline_analysis.wire import ImageTooLargeError, decode_reference

IMAGE = np.random.default_rng(3).integers(0, 255, (37, 91, 3), dtype=np.uint8)


def encoded(extension: str, *params: int) -> bytes:
    ok, data = cv2.imencode(extension, IMAGE, list(params))
    assert ok
    return data.tobytes()


@pytest.mark.parametrize(
    "data",
    [
        encoded(".png"),
        encoded(".jpg"),
        encoded(".jpg", cv2.IMWRITE_JPEG_PROGRESSIVE, 1),
        encoded(".webp", cv2.IMWRITE_WEBP_QUALITY, 80),
        encoded(".webp", cv2.IMWRITE_WEBP_QUALITY, 101),  # lossless
    ],
)
def test_the_declared_size_is_the_decoded_size(data: bytes) -> None:
    assert declared_size(data) == (91, 37)
    assert check_pixels(data, 91 * 37) == (91, 37)


def test_more_pixels_than_allowed_are_refused_before_decoding() -> None:
    with pytest.raises(ImageSizeError, match="91x37"):
        check_pixels(encoded(".png"), 91 * 37 - 1)
    with pytest.raises(ImageTooLargeError):
        decode_reference(encoded(".jpg"), max_pixels=100)


def test_an_unknown_or_truncated_header_is_refused() -> None:
    for data in (b"GIF89a" + b"\x00" * 20, encoded(".png")[:20], encoded(".jpg")[:4], b""):
        with pytest.raises(ImageSizeError):
            declared_size(data)
