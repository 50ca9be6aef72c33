"""An image's declared size, read from its header before anything is decoded.

A PNG of a few megabytes can declare 20,000 x 20,000 pixels: decoding it allocates over a
gigabyte, enough to OOM-kill a detector (and a compacted topic would replay it at every start).
So every image that comes from outside (a logo upload, a LAN executor request) has its size read
from its header, and refused above a bound, before the decoder sees it.
"""

from __future__ import annotations

import struct

MAX_IMAGE_PIXELS = 40_000_000  # above 8K UHD (33 Mpx); a 20,000 x 20,000 bomb is 400 Mpx

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic...); not DHT/JPG/DAC.
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM, RSTn: markers without a length


class ImageSizeError(ValueError):
    """The image's header cannot be read, or it declares more pixels than allowed."""


def declared_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG, JPEG or WebP header; raises ImageSizeError otherwise."""
    if data.startswith(_PNG_SIGNATURE):
        return _png_size(data)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_size(data)
    raise ImageSizeError("not a PNG, JPEG or WebP image")


def check_pixels(data: bytes, max_pixels: int = MAX_IMAGE_PIXELS) -> tuple[int, int]:
    """The declared (width, height); raises ImageSizeError when over `max_pixels` or unreadable."""
    width, height = declared_size(data)
    if width <= 0 or height <= 0:
        raise ImageSizeError(f"the image declares an empty size {width}x{height}")
    if width * height > max_pixels:
        raise ImageSizeError(
            f"the image declares {width}x{height} pixels, over the limit of {max_pixels:,}"
        )
    return width, height


def _png_size(data: bytes) -> tuple[int, int]:
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise ImageSizeError("PNG without an IHDR header")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _jpeg_size(data: bytes) -> tuple[int, int]:
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            raise ImageSizeError("JPEG marker expected")
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if marker in _JPEG_STANDALONE:
            position += 2
            continue
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        if marker in _JPEG_SOF:
            if position + 9 > len(data):
                break
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            return int(width), int(height)
        if marker == 0xDA:  # start of scan before any frame header
            break
        position += 2 + length
    raise ImageSizeError("JPEG without a frame header")


def _webp_size(data: bytes) -> tuple[int, int]:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = 1 + int.from_bytes(data[24:27], "little")
        height = 1 + int.from_bytes(data[27:30], "little")
        return width, height
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return int(width) & 0x3FFF, int(height) & 0x3FFF
    raise ImageSizeError("WebP without a readable frame header")
