"""The net shown the frame twice as large, where nothing else looks: logos it misses whole.

Most appearances the pipeline never finds are never proposed: at the frame's scale (720p
reduced to the net's 480-px input) a thin-stroked or small logo is a few cells of faint
strokes, and the net proposes nothing of its brand there. Kit tune seeds 1401 + 1403 (seed 0's
net, session 22): of the 15 appearances never found, 10 had no proposal of their brand on any
frame (4 of them with the zoomed read of the truth box reading the brand, 2 with SIFT verifying
it there), 5 had proposals, all below the starter's 0.95, that nothing verified. Shown the frame
twice as large (`ProposalMatcher.view_zoomed`: one pass over the frame at 960 px),
the net proposes most of them; and the checks that name a brand on their own evidence, SIFT on
the region and the OCR channel's zoomed read, verify some. Over every frame of both seeds (540),
the zoomed net's proposals that no frame-level proposal of their brand covered were searched by
SIFT and read zoomed: 29 SIFT sightings and 72 reads, each of a brand shown under the proposal
but one SIFT sighting of VOLTA (in the region grown around a proposal over none).

The zoomed net is not sure of logos only: it made ~4 such proposals per frame, nearly all on
other logos (it names AURORA on KESTREL and NIMBUS) or clutter. So only its proposals over
nothing any channel holds on this frame (verified, read, or tracked) are checked, only those it
is sure of (`min_score` 0.95), the surest `max_regions`, a place checked in vain skipped on the
next look, and none goes to the blurred starter, whose fit a look-alike or clutter can pass:
SIFT's geometry and the OCR channel's exact text decide, as they do on the frame-level
proposals. The pass is made before the starter, and on its frames it answers the starter's
and the zoomed read's second looks (the same scale as the crop each second look passed the
net over), which pays for about half of it.

Kit replays (`--carried`, frames from `--cache`, seed 0's net, nproc 2), off -> on: 1401
0.995 / 0.861, 43/51, screen time -13 % -> 0.995 / 0.870, 44/51, -13 %; 1403 0.995 / 0.854,
41/48, -14 % -> 0.995 / 0.882, 43/48, -11 %. Session 22's zoomed net was nine overlapping
tiles of half the frame at the net's 480 px, one pass each (~57 CPU-ms a frame): 1401 0.888,
45/51, 1403 0.873, 42/48 (87 appearances of 99 either way).
1403 off and on at the same time (load 2-6): median CPU per frame 91 -> 158 ms, p90 152 -> 249
(the nine tiles: 87 -> 182, p90 146 -> 251). Over 1403's 267 frames the one pass cost ~26
CPU-ms a frame and the checks ~48: 325 SIFT searches (~8 ms each) and 190 zoomed reads (~52
ms each), for 2 SIFT sightings and 2 reads. Holding a place checked in vain back for the rest
of its shot instead of one look (tried, not kept): 1401 the same, 1403 0.877, 42/48, median
149 against 158 ms (not at the same time, load 1-5).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from sightline_analysis.frames import Frame
from sightline_analysis.logo.learned.model import Candidate
from sightline_analysis.logo.learned.proposals import ProposalMatcher, most_confident
from sightline_analysis.logo.matcher import LogoMatch
from sightline_analysis.logo.tracker import Box, overlaps, same_place
from sightline_analysis.logo.wordmark import TextSighting, WordmarkReader
from sightline_analysis.logo.zoom_read import ZoomReadConfig, zoom_reads


class ZoomedConfig(BaseModel):
    """When the zoomed net looks and which of its proposals are checked."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    enabled: bool = True
    """On by default since session 24, when checking only sure proposals and answering the
    second looks from its pass brought its cost from ~+40 % to ~+10 % of the logo detector's
    median CPU per frame (`min_score`: off and on at the same time, load 10-15, 1401 89 -> 98
    ms and 92 -> 100, 1403 88 -> 97, 90 -> 102 and 111 -> 116) for 2 and 4 more appearances
    on the tune seeds (1401 42/51, 1403 42/48; precision 0.995 and 0.994 either way). Over
    the grid's phases 0 / 5 / 10 (`logo_eval_bench --phases`, the mean), off -> on: 1401 0.989
    / 0.813, 41.7/51, -18 % -> 0.989 / 0.830, 43.3/51, -16 %; 1403 0.992 / 0.756, 37.7/48,
    -24 % -> 0.992 / 0.794, 39.7/48, -20 % (no phase loses an appearance or recall; pooled
    median 101 -> 111 ms and 104 -> 114, all four at once, load ~18). Where
    every CPU-ms counts (issue #15's six live streams), turn it off through the logo
    analyzer's settings: `{"logo": {"pipeline": {"zoomed": {"enabled": false}}}}` in
    `SIGHTLINE_ANALYZER_SETTINGS` (or as a reanalysis request's `config`)."""
    zoom: float = Field(default=2.0, gt=1.0)
    """How much larger the net sees the frame (one pass at `zoom` x the net's input width)."""
    every: int = Field(default=2, ge=1)
    """The zoomed net looks on one frame of a shot in this many, the last of each group (2:
    the frames the OCR channel's whole-frame read skips, so the two dear steps take turns).
    Kit replays with session 22's nine tiles, 2 against 1 (`min_score` 0.65): 1401 the same
    but one appearance (44 against 45 of 51), 1403 41 against 42 of 48 (the occlusion clip's
    HELIX, proposed zoomed on one frame only). With the one pass (session 23), 2 against 1:
    1401 0.995 / 0.874, 45/51, -12 % against 0.870, 44/51, -13 % (the occlusion clip's fifth
    appearance); 1403 0.877, 43/48, -12 % against 0.882, 43/48, -11 %. Off and on (2) at the
    same time (nproc 2, load ~1-3): 1401 0.861, 43/51, median CPU per frame 78 -> 106 ms
    (+36 %), p90 149 -> 173; 1403 0.854, 41/48, 89 -> 126 ms (+42 %), p90 155 -> 217 (with 1,
    +74 %). 3: 1403 0.868, 42/48, median 109 ms."""
    min_score: float = Field(default=0.95, gt=0.0, le=1.0)
    """The zoomed net's peak probability a proposal needs to be checked (the frame-level
    checks' sure: `NetStartConfig.min_score`, `ZoomReadConfig.min_look`). Nearly every check
    is in vain, on clutter: with session 24's net at 0.65 (every proposal logged, kit replays,
    `every` 2), 1401 checked 145 proposals for 3 SIFT sightings (at 0.987, 0.972, 0.766),
    1403 171 for 3 reads (0.950, 0.958, 0.953), ~60 CPU-ms each checked in vain. Kit
    replays, off -> on as in session 23 (0.65, the proposals in the net's order, second looks
    on crops) -> the surest first with the second looks answered by the zoomed pass
    (`ProposalMatcher.view_zoomed`), 0.65 -> the same at 0.95: 1401 0.995 / 0.816, 40/51,
    -18 % -> 0.830, 41/51, -17 % -> 0.843, 42/51, -15 % -> the same; 1403 0.994 / 0.759,
    38/48, -24 % -> 0.821, 41/48, -17 % -> 0.844, 42/48, -15 % -> 0.849, 42/48, -15 %
    (median CPU per frame of 0.65 and 0.95, not at the same time: 1401 134 and 98-100 ms,
    1403 147 and 97-102). Session 23's net, 0.9 -> 0.65 before the skip: 1401 unchanged,
    1403 0.854 -> 0.858 (the mixed clip's 64-px AURORA proposed zoomed at 0.69-0.89 only)."""
    max_regions: int = Field(default=2, ge=1)
    """At most this many of its proposals are checked per frame, the surest first. 1 (at
    `min_score` 0.95, kit replays): 1401 the same, 1403 0.849, 42/48 -> 0.840, 41/48 (an
    appearance lost) for checks of 5.1 instead of 5.6 CPU-ms a frame (cProfile)."""


@dataclass(frozen=True)
class ZoomedFinds:
    """What a frame's zoomed proposals gave: SIFT's sightings (frame pixels) and, where SIFT
    verified nothing, the brands the zoomed read read."""

    matches: list[LogoMatch]
    reads: list[TextSighting]
    empty: list[Candidate]
    """The proposals checked that neither SIFT nor the read found a brand on."""


def zoomed_finds(  # noqa: PLR0917 - the frame, its checks and what they hold already
    frame: Frame,
    matcher: ProposalMatcher,
    reader: WordmarkReader | None,
    proposed: Sequence[Candidate],
    held: Sequence[Box],
    config: ZoomedConfig,
    read_config: ZoomReadConfig,
    *,
    reader_lock: threading.Lock,
    seen: Sequence[Candidate],
    skip: Sequence[Candidate] = (),
) -> ZoomedFinds:
    """The zoomed net's (`seen`: `ProposalMatcher.view_zoomed`'s proposals) sure proposals
    (`config.min_score`, as wide as the matcher's
    `min_width`) over none of the `held` boxes (frame pixels: what the frame's channels and
    tracks hold) nor a frame-level proposal of their brand in `proposed` (those were checked
    already), the surest `config.max_regions`, searched by SIFT; those it verified nothing on
    are read zoomed (`zoom_reads`, without asking the zoomed net again) when there is a
    `reader`, holding `reader_lock` (the reader is shared by the streams) for the read only. A
    proposal at the place of one of `skip` (of its brand: the previous look's
    `empty`) is left out: the picture there is mostly the same, and so is the answer."""
    floor = matcher.proposals.min_width
    fresh = sorted(
        (
            c
            for c in seen
            if c.score >= config.min_score
            and c.box[2] >= floor
            and not any(overlaps(c.box, box) for box in held)
            and not any(p.brand == c.brand and overlaps(p.box, c.box) for p in proposed)
            and not any(s.brand == c.brand and same_place(s.box, c.box) for s in skip)
        ),
        key=lambda c: -c.score,
    )[: config.max_regions]
    if not fresh:
        return ZoomedFinds([], [], [])
    gray = frame.scaled(frame.width, gray=True)
    # One at a time: `search` stops at the proposals' `max_searched`; `max_regions` rules here.
    found = [matcher.search(gray, [candidate])[0] for candidate in fresh]
    unverified = [c for c, each in zip(fresh, found, strict=True) if not each]
    reads: list[TextSighting] = []
    empty = unverified
    if reader is not None and unverified:
        with reader_lock:
            read = zoom_reads(frame, reader, unverified, held, brands=matcher.brands,
                              config=read_config)  # fmt: skip
        reads, empty = read.sightings, read.empty
    return ZoomedFinds(most_confident(m for each in found for m in each), reads, empty)
