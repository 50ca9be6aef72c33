"""Keyset cursors: round trip, and anything not made by encode_cursor is refused."""

from __future__ import annotations

import base64
import json

import pytest

from sightline_results_api.cursor import (
    DetectionKey,
    InvalidCursorError,
    decode_cursor,
    encode_cursor,
)


def test_a_cursor_round_trips_the_key() -> None:
    key = DetectionKey(12.5, "3f1c3a52-5d1e-4f51-9c0b-3f1f5e2b7a10", 7)
    cursor = encode_cursor(key)
    assert "=" not in cursor
    assert decode_cursor(cursor) == key


def test_keys_sort_in_listing_order() -> None:
    assert DetectionKey(1.0, "b", 0) < DetectionKey(1.0, "b", 1) < DetectionKey(2.0, "a", 0)


def _b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not base64 at all!",
        "////",
        _b64({"media_ts": 1}),
        _b64([1.0, "e"]),
        _b64(["1.0", "e", 0]),
        _b64([1.0, "", 0]),
        _b64([1.0, "e", -1]),
        _b64([1.0, "e", True]),
        _b64([1e400, "e", 0]),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_malformed_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursorError):
        decode_cursor(cursor)
