"""Opaque keyset-pagination cursors for the detections listing.

A cursor is the sort key of the last row a page returned — (media_ts, event_id, item_index) —
as URL-safe base64 JSON. Clients pass it back unchanged; anything else is rejected.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass


class InvalidCursorError(ValueError):
    """The cursor was not produced by `encode_cursor`."""


@dataclass(frozen=True, order=True)
class DetectionKey:
    """The total order of detections within a stream and run."""

    media_ts: float
    event_id: str
    item_index: int


def encode_cursor(key: DetectionKey) -> str:
    """The opaque cursor that resumes a listing after `key`."""
    raw = json.dumps([key.media_ts, key.event_id, key.item_index], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> DetectionKey:
    """The key inside a cursor; raises InvalidCursorError for anything malformed."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise InvalidCursorError("cursor is not valid") from exc
    if not (isinstance(values, list) and len(values) == 3):
        raise InvalidCursorError("cursor is not valid")
    media_ts, event_id, item_index = values
    valid = (
        isinstance(media_ts, int | float)
        and not isinstance(media_ts, bool)
        and math.isfinite(media_ts)
        and isinstance(event_id, str)
        and 0 < len(event_id) <= 64
        and isinstance(item_index, int)
        and not isinstance(item_index, bool)
        and 0 <= item_index < 2**31
    )
    if not valid:
        raise InvalidCursorError("cursor is not valid")
    return DetectionKey(float(media_ts), event_id, item_index)
