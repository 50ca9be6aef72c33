"""Media value: exposure seconds priced against a stream's rate card.

A rate card says what a 30-s spot costs on the stream. An exposure of `d` seconds is worth
`d / 30 x cost_per_30s` at full value, and that times its quality index quality-adjusted.
When the card also gives an audience size and a CPM (cost per thousand viewers), the same
seconds are priced a second way, `audience / 1000 x CPM x seconds / 30`, the value of the
audience reached. Pure: no database.
"""

from __future__ import annotations

from dataclasses import dataclass

SPOT_S = 30.0


@dataclass(frozen=True, slots=True)
class Rate:
    """A stream's rate card (`cost_per_30s` in `currency`)."""

    currency: str
    cost_per_30s: float
    audience: int | None = None
    cpm: float | None = None

    @property
    def per_second(self) -> float:
        """The spot's cost per second of stream time."""
        return self.cost_per_30s / SPOT_S

    @property
    def audience_per_second(self) -> float | None:
        """The audience's CPM value per second, when the card gives both audience and CPM."""
        if self.audience is None or self.cpm is None:
            return None
        return self.audience / 1000 * self.cpm / SPOT_S


@dataclass(frozen=True, slots=True)
class Value:
    """Full and quality-adjusted value of some exposure seconds (None without a rate card)."""

    full: float | None
    quality: float | None
    audience: float | None = None

    def __add__(self, other: Value) -> Value:
        return Value(
            _add(self.full, other.full),
            _add(self.quality, other.quality),
            _add(self.audience, other.audience),
        )


NO_VALUE = Value(None, None, None)


def _add(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def price(seconds: float, quality: float, rate: Rate | None) -> Value:
    """Value of an exposure of `seconds` with quality index `quality` on a stream with `rate`."""
    if rate is None:
        return NO_VALUE
    per_audience = rate.audience_per_second
    return Value(
        full=seconds * rate.per_second,
        quality=seconds * quality * rate.per_second,
        audience=None if per_audience is None else seconds * quality * per_audience,
    )
