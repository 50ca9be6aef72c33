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


def summarize(frames: Iterable[BrandFrame]) -> list[BrandExposure]:
    """Per-brand exposure over all `frames`, most screen time first."""
    time_by_brand: dict[str, float] = defaultdict(float)
    weighted_area: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    for frame in frames:
        time_by_brand[frame.brand] += frame.span
        weighted_area[frame.brand] += frame.span * (frame.area_share or 0.0)
        count[frame.brand] += 1
    total = sum(time_by_brand.values())
    out = [
        BrandExposure(
            brand=brand,
            screen_time=seconds,
            share_of_voice=seconds / total if total > 0 else 0.0,
            prominence=weighted_area[brand] / seconds if seconds > 0 else 0.0,
            frames=count[brand],
        )
        for brand, seconds in time_by_brand.items()
    ]
    return sorted(out, key=lambda e: (-e.screen_time, e.brand))


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
