"""The OCR channel's second, zoomed read where the net sees a logo nothing verified.

The whole-frame read detects lines on the frame reduced to `WordmarkConfig.width` (512 px of
1280): a 77-px wordmark is 31 px there and its line is often not found, and a line run into
the lettering beside it (an occluder, a caption) is read as one foreign word. SIFT refuses
the same logos (too small, thin strokes, part hidden), and the net, which sees them, may name
the wrong brand (on the kit's occlusion clip it named an occluded AURORA "helix"). Yet the
recogniser reads them easily once the region is enlarged: here each net proposal that no
channel verified is cut out with a margin, enlarged to the detector's width, and read again.
A read counts by the channel's own rule (a word equal to a brand's text, `WordmarkReader.
sightings`), whatever brand the net named: the text, not the net, names the brand, so a
look-alike ("AURORE") is not read as its target and the net's wrong names are corrected.

Only proposals the zoomed net is sure of (`min_look`) are read: most proposals are clutter and
a read costs ~80 CPU-ms. Tune seed 1401 (kit replay, nproc 2, same conditions, off -> on):
precision 0.979 -> 0.980, recall 0.848 -> 0.879, appearances 43 -> 45 of 51 (the rotation
clip's tilted Quill, read on the net's 64-px quill box; the occlusion clip's AURORA the net
named helix), screen time -13 -> -10 %, logo-free and look-alike clips still clean.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from sightline_analysis.frames import Frame
from sightline_analysis.logo.learned.model import Candidate
from sightline_analysis.logo.net_start import Look
from sightline_analysis.logo.tracker import Box, overlaps
from sightline_analysis.logo.wordmark import TextSighting, WordmarkReader


class ZoomReadConfig(BaseModel):
    """Which net proposals get a zoomed read, and how it is cut."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    enabled: bool = True
    margin: float = Field(default=1.0, ge=0.0)
    """The crop reaches this far around the proposal's box, in box sizes on each side (the
    net's boxes are coarse and a line must be whole to be read)."""
    max_zoom: float = Field(default=3.0, ge=1.0)
    """The crop is enlarged to the OCR detector's width, at most this many times."""
    min_look: float = Field(default=0.95, ge=0.0, le=1.0)
    """The zoomed net's probability of the proposal's brand (`ProposalMatcher.second_look`,
    asked by the starter already) a proposal needs to be read: most of the net's proposals
    are clutter, and a read costs ~80 CPU-ms (kit seed 1401: 446 reads without this, 76 at
    0.9; both reads that found a missed appearance were at 0.955 and 0.997)."""
    max_reads: int = Field(default=2, ge=1)
    """At most this many proposals are read per frame, the net's surest first."""
    box_lines_only: bool = True
    """Only the lines overlapping the proposal's box are recognised (recognition is ~10 CPU-ms
    a line, and the crop's margin holds other text: on tune seed 1401, 64 of the 104 lines
    the zoomed reads found overlapped their proposal's box, and every brand they read did).
    Kit replay (one process, off and on alternating per clip, 2 rounds, load 6-16, nproc 2):
    tables identical on both tune seeds, CPU 1401 26.60 / 26.80 -> 25.98 / 26.29 s, 1403
    26.52 / 26.50 -> 26.23 / 26.63 s."""
    max_detect_pixels: int = Field(default=512 * 288, ge=1024)
    """Lines are detected on the enlarged crop reduced to at most this many pixels (a whole
    frame's read detects on 512 x 288); recognised on the enlarged crop. Detection's CPU
    grows with the pixels, and a crop 3 boxes high of a squarish logo enlarged to 512 px wide
    is up to 512 x 680 (tune seed 1401: 41 of 79 crops above 512 x 288). Kit replay (one
    process, unlimited and capped alternating per clip, load 4.6-8.9, nproc 2): the same bins
    and appearances on both tune seeds (1403: one box's IoU 0.73 -> 0.81), CPU 1401 27.70 /
    27.51 / 26.67 -> 26.96 / 26.92 / 26.64 s (three rounds), 1403 26.90 / 27.01 -> 26.44 /
    26.35 s."""


@dataclass(frozen=True)
class ZoomReads:
    """What a frame's zoomed reads gave: the brands read (best first, one per brand) and the
    proposals whose crop was read and named no brand."""

    sightings: list[TextSighting]
    empty: list[Candidate]


def zoom_reads(
    frame: Frame,
    reader: WordmarkReader,
    candidates: Sequence[Candidate],
    held: Sequence[Box],
    *,
    brands: Iterable[str],
    config: ZoomReadConfig,
    look: Look | None = None,
) -> ZoomReads:
    """The brands read on enlarged crops around `candidates` (net proposals, best first) that
    overlap none of the `held` boxes (frame pixels: what the frame's channels verified) and
    that `look` (the zoomed net) is sure of, at most `config.max_reads` crops; boxes in frame
    pixels, at most one read per brand. Without `look`, or where it has no answer (no net),
    every proposal is read."""
    names = list(brands)
    found: dict[str, TextSighting] = {}
    empty: list[Candidate] = []
    read = 0
    for candidate in candidates:
        if read >= config.max_reads:
            break
        if any(overlaps(candidate.box, box) for box in held):
            continue
        sure = look(candidate) if look is not None else None
        if sure is not None and sure < config.min_look:
            continue
        read += 1
        sightings = _read_around(frame, reader, candidate.box, names, config)
        if not sightings:
            empty.append(candidate)
        for sighting in sightings:
            if sighting.brand not in found or sighting.score > found[sighting.brand].score:
                found[sighting.brand] = sighting
    return ZoomReads(sorted(found.values(), key=lambda s: -s.score), empty)


def _read_around(
    frame: Frame, reader: WordmarkReader, box: Box, brands: list[str], config: ZoomReadConfig
) -> list[TextSighting]:
    """The brands `reader` reads on the crop around `box`, enlarged, in frame pixels."""
    x, y, w, h = box
    left = max(0, int(x - config.margin * w))
    top = max(0, int(y - config.margin * h))
    right = min(frame.width, int(x + w + config.margin * w) + 1)
    bottom = min(frame.height, int(y + h + config.margin * h) + 1)
    if right - left < 16 or bottom - top < 16:
        return []
    zoom = min(config.max_zoom, max(1.0, reader.config.width / (right - left)))
    crop = frame.image[top:bottom, left:right]
    if zoom > 1.0:
        crop = np.asarray(cv2.resize(crop, None, fx=zoom, fy=zoom,
                                     interpolation=cv2.INTER_CUBIC), np.uint8)  # fmt: skip
    height, width = crop.shape[:2]
    detect = min(reader.config.width, math.isqrt(config.max_detect_pixels * width // height))
    near = ((x - left) * zoom, (y - top) * zoom, w * zoom, h * zoom)
    lines = reader.lines(Frame(np.ascontiguousarray(crop), 0.0), width=detect,
                         near=near if config.box_lines_only else None)  # fmt: skip
    out = []
    for sighting in reader.sightings(lines, brands):
        lx, ly, lw, lh = sighting.box
        mapped = (lx / zoom + left, ly / zoom + top, lw / zoom, lh / zoom)
        out.append(TextSighting(sighting.brand, mapped, sighting.score, sighting.text))
    return out
