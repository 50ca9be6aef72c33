"""Sightings merged into exposures: one exposure per continuous appearance of a brand.

A sighting is a brand in one sampled frame; it stands for `span` seconds of stream time (the
segment's duration over the frames sampled). Consecutive sightings of a brand on a stream form
one exposure while the hole between them is at most the gap tolerance (a detector that misses a
frame or two does not split an appearance). An exposure shorter than the minimum duration
(Nielsen's rule: at least 1 s) is not counted. Pure: no database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

# Float sums of spans land a hair under whole seconds; this keeps a 1.0-s exposure counted.
_EPSILON = 1e-6


@dataclass(frozen=True, slots=True)
class Sighting:
    """A brand in one sampled frame: its largest detection there (box normalised to 0..1).

    `others` is how many other brands were seen in the same frame (0: solus). `event_id` and
    `item_index` name the detection row, so an exposure can be audited down to its frames.
    """

    stream_id: str
    brand: str
    media_ts: float
    span: float
    confidence: float
    box_x: float
    box_y: float
    box_w: float
    box_h: float
    others: int
    event_id: str
    item_index: int

    @property
    def area(self) -> float:
        """The share of the frame the logo's box covers (0..1)."""
        return min(max(self.box_w * self.box_h, 0.0), 1.0)

    @property
    def end(self) -> float:
        """Where the stretch of stream time this sighting stands for ends."""
        return self.media_ts + self.span


@dataclass(frozen=True, slots=True)
class Appearance:
    """Consecutive sightings of one brand on one stream, gaps within the tolerance."""

    stream_id: str
    brand: str
    sightings: tuple[Sighting, ...]

    @property
    def start(self) -> float:
        """First sighting's stream time."""
        return self.sightings[0].media_ts

    @property
    def end(self) -> float:
        """End of the last sighting's span."""
        return self.sightings[-1].end

    @property
    def duration(self) -> float:
        """Seconds from the first sighting to the end of the last (bridged gaps included)."""
        return self.end - self.start


def with_clutter(sightings: Iterable[Sighting]) -> list[Sighting]:
    """The sightings with `others` set to the number of other brands in the same frame."""
    listed = list(sightings)
    brands: dict[tuple[str, float], set[str]] = defaultdict(set)
    for s in listed:
        brands[(s.stream_id, s.media_ts)].add(s.brand)
    out = []
    for s in listed:
        others = len(brands[(s.stream_id, s.media_ts)]) - 1
        out.append(s if s.others == others else _replace_others(s, others))
    return out


def _replace_others(s: Sighting, others: int) -> Sighting:
    return Sighting(
        s.stream_id,
        s.brand,
        s.media_ts,
        s.span,
        s.confidence,
        s.box_x,
        s.box_y,
        s.box_w,
        s.box_h,
        others,
        s.event_id,
        s.item_index,
    )


def merge(sightings: Iterable[Sighting], gap_s: float) -> list[Appearance]:
    """Appearances of every (stream, brand), in stream-time order within each.

    A sighting joins the running appearance when it starts at most `gap_s` after the end of
    the previous sighting's span; otherwise it opens a new one. Several sightings of a brand
    at one stream time (duplicates) count once, the largest box kept.
    """
    if gap_s < 0:
        raise ValueError("gap tolerance must not be negative")
    groups: dict[tuple[str, str], dict[float, Sighting]] = defaultdict(dict)
    for s in sightings:
        frames = groups[(s.stream_id, s.brand)]
        kept = frames.get(s.media_ts)
        if kept is None or s.area > kept.area:
            frames[s.media_ts] = s
    out: list[Appearance] = []
    for (stream_id, brand), frames in sorted(groups.items()):
        run: list[Sighting] = []
        for ts in sorted(frames):
            s = frames[ts]
            if run and s.media_ts - run[-1].end > gap_s + _EPSILON:
                out.append(Appearance(stream_id, brand, tuple(run)))
                run = []
            run.append(s)
        if run:
            out.append(Appearance(stream_id, brand, tuple(run)))
    return out


def counted(appearance: Appearance, min_duration_s: float) -> bool:
    """Whether an appearance lasts long enough to count as an exposure."""
    return appearance.duration + _EPSILON >= min_duration_s
