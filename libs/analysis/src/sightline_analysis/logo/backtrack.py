"""Following a brand's first verification back through the earlier frames of its segment.

The matcher often verifies a logo a frame or two after it appeared (it entered blurred, small
or partly hidden and became clear later). Forward tracking cannot recover those frames, but a
segment's sampled frames are all decoded before any is reported, so each first verification
(a brand verified at frame k, with no sighting of it nearby at k-1) is followed backwards:
its own pixels are correlated around its box in frames k-1, k-2, ... as the tracker follows
it forwards, with the same limits (coasting frames, decayed confidence; the caller's
correlation threshold), and never across a cut. A backward sighting extends a verified one in
time only: like the tracker, it cannot invent a brand. A first verification the next frame
does not confirm (no sighting of the brand there, when the segment has a next frame) is not
followed: a one-frame sighting is where the matcher's mistakes are (a look-alike), and
following it back would repeat the mistake.
"""

from __future__ import annotations

from collections.abc import Sequence

from sightline_analysis.frames import Image
from sightline_analysis.logo.tracker import (
    Box,
    TrackerConfig,
    Verified,
    locate,
    overlaps,
    template_at,
)

SOURCE = "back"
"""The `source` of a sighting found by following a verification backwards."""


def backtrack(
    grays: Sequence[Image],
    cuts: Sequence[bool],
    sightings: Sequence[Sequence[Verified]],
    config: TrackerConfig,
    *,
    proposed: Sequence[Sequence[tuple[str, Box]]] = (),
    supported_correlation: float | None = None,
    first: int = 0,
) -> list[list[Verified]]:
    """The backward sightings per frame of a segment.

    `grays` are the segment's frames as the tracker sees them, `cuts[k]` says a cut falls
    between frames k-1 and k, `sightings[k]` are frame k's sightings in the same pixels (any
    source; those whose source is `track` or `SOURCE` never start a backward walk).
    `proposed[k]` are the net's proposals (brand, box in the same pixels) on frame k: a step
    whose correlation reaches only `supported_correlation` (below `config.min_correlation`)
    is taken where a proposal of the brand overlaps the box it found. A logo moving over a
    changing background correlates less with its own pixels a frame earlier, and the
    background a lenient correlation mistakes for it is not what the net names the brand.
    Walks start only on frames from `first` on (the earlier ones are a previous segment's,
    whose own walks were taken when it was processed), and may reach back over any frame."""
    found: list[list[Verified]] = [[] for _ in grays]
    lenient = (
        config.model_copy(update={"min_correlation": supported_correlation})
        if supported_correlation is not None and supported_correlation < config.min_correlation
        else config
    )
    for k in range(max(1, first), len(grays)):
        for start in sightings[k]:
            if start.source in {"track", SOURCE} or cuts[k]:
                continue
            if _present(start.brand, start.box, [*sightings[k - 1], *found[k - 1]]):
                continue
            if k + 1 < len(grays) and not _present(start.brand, start.box, sightings[k + 1]):
                continue
            template = template_at(grays[k], start.box, config.min_template_px)
            if template is None:
                continue
            box, confidence = start.box, start.confidence
            for steps, j in enumerate(range(k - 1, -1, -1), start=1):
                if steps > config.max_coast or confidence < config.min_coast_confidence:
                    break
                confidence *= config.confidence_decay
                located = locate(grays[j], template, box, lenient)
                if located is None or (
                    located[1] < config.min_correlation
                    and not _present_box(start.brand, located[0], proposed, j)
                ):
                    break
                box = located[0]
                if _present(start.brand, box, [*sightings[j], *found[j]]):
                    break
                found[j].append(Verified(start.brand, start.logo_id, box, confidence, SOURCE))
                if cuts[j]:
                    break
    return found


def _present(brand: str, box: Box, sightings: Sequence[Verified]) -> bool:
    """Whether a sighting of `brand` overlaps `box`."""
    return any(s.brand == brand and overlaps(s.box, box) for s in sightings)


def _present_box(
    brand: str, box: Box, proposed: Sequence[Sequence[tuple[str, Box]]], frame: int
) -> bool:
    """Whether a proposal of `brand` on `frame` (when there are proposals for it) overlaps
    `box`."""
    return frame < len(proposed) and any(
        b == brand and overlaps(other, box) for b, other in proposed[frame]
    )
