"""Filling the frames between two verifications of a brand at the same place.

A logo verified at t and again at t + 1 s, in the same place and shot, was on screen between:
the channels only missed it (a thin wordmark's correlation dips under compression, a passing
occluder, a blurred frame). Screen time, what a sponsor pays for, must count those frames. A
gap of at most `max_gap` frames between two verified sightings of a brand whose boxes overlap,
with no cut between, gets a sighting per missing frame, its box interpolated between the two
and its confidence the lower end's decayed once per frame from it. Both ends are verified, so
the fill adds no brand that was not seen; a look-alike would have to be verified twice.

The frames before a segment's first may be given (`before`: the sightings of the stream's
previous frames, most recent last), so a gap across a segment boundary is filled on the new
segment's side (the old segment is already reported).
"""

from __future__ import annotations

from collections.abc import Sequence

from sightline_analysis.logo.tracker import Box, Verified, overlaps

SOURCE = "gap"
"""The `source` of a sighting filled between two verifications."""
VERIFIED = frozenset({"image", "zoom", "text"})
"""The sources that may end a gap (verified in their frame, not carried)."""


def fill_gaps(
    cuts: Sequence[bool],
    sightings: Sequence[Sequence[Verified]],
    *,
    max_gap: int,
    decay: float,
    before: Sequence[Sequence[Verified]] = (),
) -> list[list[Verified]]:
    """The filled sightings per frame of a segment.

    `cuts[k]` says a cut falls between frames k-1 and k (`cuts[0]`: between the last of
    `before` and frame 0); `sightings[k]` are frame k's sightings (any source)."""
    frames = [*before, *sightings]
    breaks = [False] * len(before) + list(cuts)
    offset = len(before)
    found: list[list[Verified]] = [[] for _ in sightings]
    for end in range(offset, len(frames)):
        for right in frames[end]:
            if right.source not in VERIFIED:
                continue
            left_at = _left_end(frames, breaks, end, right, max_gap)
            if left_at is None:
                continue
            start, left = left_at
            span = end - start
            for k in range(start + 1, end):
                if k < offset:
                    continue
                share = (k - start) / span
                box = _between(left.box, right.box, share)
                steps = min(k - start, end - k)
                confidence = min(left.confidence, right.confidence) * decay**steps
                found[k - offset].append(replace_box(right, box, confidence))
    return found


def _left_end(
    frames: Sequence[Sequence[Verified]],
    breaks: Sequence[bool],
    end: int,
    right: Verified,
    max_gap: int,
) -> tuple[int, Verified] | None:
    """The frame and verified sighting of `right`'s brand that a gap before `end` opens with:
    the nearest earlier frame with a sighting of the brand overlapping `right`, if verified,
    at most `max_gap` missing frames back and no cut between; None when there is no gap."""
    for k in range(end - 1, max(-1, end - max_gap - 2), -1):
        if breaks[k + 1]:
            return None
        same = [s for s in frames[k] if s.brand == right.brand and overlaps(s.box, right.box)]
        if not same:
            continue
        if k == end - 1:
            return None  # no frame missing
        verified = [s for s in same if s.source in VERIFIED]
        return (k, verified[0]) if verified else None
    return None


def _between(a: Box, b: Box, share: float) -> Box:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return (ax + (bx - ax) * share, ay + (by - ay) * share, aw + (bw - aw) * share,
            ah + (bh - ah) * share)  # fmt: skip


def replace_box(sighting: Verified, box: Box, confidence: float) -> Verified:
    """`sighting` moved to `box` with `confidence`, marked as filled."""
    return Verified(sighting.brand, sighting.logo_id, box, confidence, SOURCE)
