"""Brand exposure math: screen time, share of voice and prominence per time window.

Input is one `BrandFrame` per (brand, sampled frame) — the frame's stream time, the stretch of
stream time it stands for, and the largest area the brand's logo covered in it. Pure functions:
the query that produces the frames lives in `exposure_query`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class BrandFrame:
    """A brand seen in one sampled frame."""

    brand: str
    media_ts: float
    span: float
    area_share: float | None


@dataclass(frozen=True)
class BrandExposure:
    """A brand's exposure over one window.

    `screen_time`: seconds of stream time the brand was on screen. `share_of_voice`: its screen
    time over the summed screen time of every brand in the window (0..1). `prominence`: the
    mean screen area it covered while visible, weighted by time (0..1).
    """

    brand: str
    screen_time: float
    share_of_voice: float
    prominence: float
    frames: int


@dataclass(frozen=True)
class ExposureWindow:
    """Exposure of every brand seen in [start, end)."""

    start: float
    end: float
    brands: list[BrandExposure]


@dataclass
class BrandTotals:
    """Running sums for one brand: what exposure is computed from (and what a stream
    processor keeps per window)."""

    screen_time: float = 0.0
    weighted_area: float = 0.0
    frames: int = 0

    def add(self, frame: BrandFrame) -> None:
        """Count one more frame of the brand."""
        self.screen_time += frame.span
        self.weighted_area += frame.span * (frame.area_share or 0.0)
        self.frames += 1


def accumulate(
    frames: Iterable[BrandFrame], totals: dict[str, BrandTotals] | None = None
) -> dict[str, BrandTotals]:
    """Add `frames` to per-brand running sums (a new dict when none is given)."""
    out = totals if totals is not None else defaultdict(BrandTotals)
    for frame in frames:
        if frame.brand not in out:
            out[frame.brand] = BrandTotals()
        out[frame.brand].add(frame)
    return out


def exposures(totals: dict[str, BrandTotals]) -> list[BrandExposure]:
    """Per-brand exposure from running sums, most screen time first."""
    total = sum(t.screen_time for t in totals.values())
    out = [
        BrandExposure(
            brand=brand,
            screen_time=t.screen_time,
            share_of_voice=min(t.screen_time / total, 1.0) if total > 0 else 0.0,
            prominence=min(t.weighted_area / t.screen_time, 1.0) if t.screen_time > 0 else 0.0,
            frames=t.frames,
        )
        for brand, t in totals.items()
    ]
    return sorted(out, key=lambda e: (-e.screen_time, e.brand))


def summarize(frames: Iterable[BrandFrame]) -> list[BrandExposure]:
    """Per-brand exposure over all `frames`, most screen time first."""
    return exposures(accumulate(frames))


def windows(
    frames: Iterable[BrandFrame], start: float, end: float, window: float
) -> list[ExposureWindow]:
    """Exposure per consecutive window of `window` seconds from `start` up to `end`.

    Windows with no brand on screen are included (empty), so a chart has no gaps.
    """
    if window <= 0 or end < start:
        raise ValueError("window must be positive and end not before start")
    count = max(math.ceil((end - start) / window), 1)
    buckets: list[list[BrandFrame]] = [[] for _ in range(count)]
    for frame in frames:
        if start <= frame.media_ts < end:
            buckets[min(int((frame.media_ts - start) // window), count - 1)].append(frame)
    return [
        ExposureWindow(
            start=start + i * window,
            end=min(start + (i + 1) * window, end),
            brands=summarize(bucket),
        )
        for i, bucket in enumerate(buckets)
    ]
