"""Command-line lifetimes and instants (`--expires-in 30d`, `--expires-at 2027-01-31T00:00Z`):
argparse `type=` functions, so a typo is a usage error before anything is connected to."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime, timedelta

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd]?)$")
_UNIT_S = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86_400}


def duration(text: str) -> timedelta:
    """A positive lifetime: seconds, or a number with s, m, h or d (`90m`, `12h`, `30d`)."""
    match = _DURATION.match(text.strip().lower())
    seconds = float(match.group(1)) * _UNIT_S[match.group(2)] if match else 0.0
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"not a positive duration: {text!r} (e.g. 3600, 12h, 30d)")
    return timedelta(seconds=seconds)


def instant(text: str) -> datetime:
    """An ISO 8601 instant; one without a UTC offset is read as UTC."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 instant: {text!r}") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)
