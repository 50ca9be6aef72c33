"""Incremental brand exposure per media-time window: the state the exposure stream processor
keeps per (stream, run, window), folded one Detection at a time. Pure: no Kafka, no faust.

A window's state remembers the analyses it has folded (`analysis_key`), so a redelivered or
replayed Detection changes nothing — the processor's effect is exactly-once although delivery is
at-least-once — and neither does a segment analysed live again under a new config hash.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from sightline_common.messages import BrandShare, Detection, ExposureUpdate
from sightline_results_api.exposure import BrandFrame, BrandTotals, accumulate, exposures

LOGO_KIND = "logo"

# JSON-friendly window state: {"events": [analysis keys], "brands": {brand: [time, area, frames]}}
WindowState = dict[str, Any]


def analysis_key(detection: Detection) -> str:
    """What a window remembers having folded: one detector's analysis of one segment.

    Not the event id: live event ids carry the config hash, so a segment analysed live again
    after a code or config change (a rolling deploy) arrives under a second id; it must count
    once per detector, as the materializer keeps one live analysis per (stream, segment,
    detector). A window's state is per stream and run, so detector and segment name it.
    """
    return f"{detection.detector.name}/{detection.segment.sequence}"


def logo_frames(detection: Detection) -> list[BrandFrame]:
    """One BrandFrame per (brand, sampled frame) with a logo, keeping the largest area (the
    previous segment's `earlier_frames` too: the logo analyzer adds one only where that
    segment's own detection had no sighting of the brand)."""
    span = detection.segment.duration / max(len(detection.frames), 1)
    out: list[BrandFrame] = []
    for frame in [*detection.frames, *detection.earlier_frames]:
        largest: dict[str, float | None] = {}
        for item in frame.results:
            if item.kind != LOGO_KIND:
                continue
            area = item.area_share
            previous = largest.get(item.label)
            if item.label not in largest or (area or 0.0) > (previous or 0.0):
                largest[item.label] = area
        out.extend(BrandFrame(brand, frame.media_ts, span, area) for brand, area in largest.items())
    return out


def by_window(frames: list[BrandFrame], window: float) -> dict[int, list[BrandFrame]]:
    """Frames grouped by the index of the `window`-second window their media time falls in."""
    grouped: dict[int, list[BrandFrame]] = defaultdict(list)
    for frame in frames:
        grouped[math.floor(frame.media_ts / window)].append(frame)
    return dict(grouped)


def fold(state: WindowState | None, analysis: str, frames: list[BrandFrame]) -> WindowState | None:
    """The window's state with one more analysis's frames, or None if it was folded before."""
    events: list[str] = list(state["events"]) if state else []
    if analysis in events:
        return None
    totals = {
        brand: BrandTotals(time, area, count)
        for brand, (time, area, count) in (state["brands"] if state else {}).items()
    }
    accumulate(frames, totals)
    return {
        "events": [*events, analysis],
        "brands": {b: [t.screen_time, t.weighted_area, t.frames] for b, t in totals.items()},
    }


def window_update(
    stream_id: str, run_id: str, index: int, window: float, state: WindowState
) -> ExposureUpdate:
    """The `exposure.update` message for one window's current state."""
    totals = {brand: BrandTotals(*values) for brand, values in state["brands"].items()}
    return ExposureUpdate(
        stream_id=stream_id,
        run_id=run_id,
        window_start=index * window,
        window_end=(index + 1) * window,
        detections=len(state["events"]),
        brands=[
            BrandShare(
                brand=e.brand,
                screen_time=e.screen_time,
                share_of_voice=e.share_of_voice,
                prominence=e.prominence,
                frames=e.frames,
            )
            for e in exposures(totals)
        ],
    )
