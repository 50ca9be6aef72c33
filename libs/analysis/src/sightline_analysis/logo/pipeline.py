"""One stream's logo sightings: the image matcher, the OCR channel and the tracker fused.

Per sampled frame, in stream order:
1. a cut (a jump of the hue-saturation histogram, which a brightness change does not move:
   `cuts.py`) ends every track;
2. the `LogoMatcher` finds verified sightings in the whole frame (the image channel); with
   `search_every` > 1 only on the first frame of a shot and on one frame in `search_every`
   (those OCR does not read, so the two costly channels alternate), a logo found being
   followed by the tracker and re-verified on a crop (step 3) on the frames between;
3. each live track that the matcher did not confirm is re-verified on a crop around its last
   box, enlarged so a small logo gets the pixels the matcher needs (a cheap, local second look);
   with a `ProposalMatcher`, a net proposal the matcher did not verify (a motion-blurred logo
   SIFT cannot see) where the brand's reference, blurred by a short line kernel, fits starts a
   track (`net_start.py`, source `blur`), held back until a later frame confirms it unless the
   zoomed net is sure of the proposal too (`NetStartConfig.confirm`; in `process_segment`
   the held frames of the segment are reported once it is confirmed);
4. every `wordmark.every`-th frame the OCR channel reads the frame (lines unchanged since the
   stream's previous read keep that read): a sighting or track on which it reads a
   look-alike's text (much like the brand's, but not it) is vetoed, here and on the frames
   until the next read; a brand whose text it reads confirms that brand's track there, or is
   added when no channel has it;
5. with a `ProposalMatcher` and `zoomed` on (the default: ~10 % more CPU), on every second
   frame of a shot the net shown the frame twice as large (`zoomed.py`; its pass, made before
   step 3's starter, answers the starter's second looks) proposes where no channel and no
   track holds a logo; SIFT and the zoomed read check the proposals it is sure of;
6. the tracker refreshes its tracks with all verified sightings and carries the others by
   local correlation, for at most `tracker.max_coast` frames without a verification; a
   carried track whose reference, blurred like the picture (a pan, a defocus), fits where it
   was followed to counts as verified there (`blurred.py`, source `blur`).

`process_segment` takes a segment's sampled frames at once (the detector decodes a whole
segment before reporting any of it): after the frames went through the steps above in order,
each brand's first verification is followed backwards over the earlier frames of the segment
and shot (`backtrack`), so an appearance is reported from when it began, not from when the
matcher first became sure of it; with `late`, also into the previous segment's last frames,
already reported: those sightings are `LogoPipeline.late`, for the analyzer's late results.

The state (tracks, last histogram, frame count, the lines last read) belongs to one stream:
a `LogoPipeline` is made per stream and dropped with it. A new pipeline starts fresh, so a
replay of a time range starts without tracks carried from before the range (a track then
begins at the first verified sighting inside it).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from sightline_analysis.frames import Frame, Image
from sightline_analysis.logo.backtrack import backtrack
from sightline_analysis.logo.blurred import BlurConfig, blurred_match
from sightline_analysis.logo.cuts import Histogram, colour_histogram, distance
from sightline_analysis.logo.gaps import fill_gaps
from sightline_analysis.logo.learned.model import Candidate
from sightline_analysis.logo.learned.proposals import (
    ProposalMatcher,
    ZoomedView,
    most_confident,
)
from sightline_analysis.logo.matcher import LogoMatch, LogoMatcher
from sightline_analysis.logo.net_start import Look, NetStartConfig, net_starts
from sightline_analysis.logo.text_extent import TextPlaces, whole_logo, word_box
from sightline_analysis.logo.tracker import (
    VOUCHED,
    Box,
    LogoTracker,
    TrackerConfig,
    Verified,
    Vouch,
    overlaps,
    same_place,
)
from sightline_analysis.logo.wordmark import (
    LineMemory,
    TextSighting,
    WordmarkConfig,
    WordmarkReader,
    contradicts,
    fold,
    glyphs_over,
)
from sightline_analysis.logo.zoom_read import ZoomReadConfig, zoom_reads
from sightline_analysis.logo.zoomed import ZoomedConfig, zoomed_finds

Points = list[tuple[float, float]]
_Found = tuple[list[Verified], dict[int, Points], dict[int, int]]
"""A frame's verified sightings (tracker pixels) with each one's polygon (frame pixels) and
inliers, keyed by the sighting's id."""
TEXT_ID = "text:"
"""The logo id prefix of a brand read by the OCR channel (no reference picture behind it)."""


class PipelineConfig(BaseModel):
    """Everything beyond the matcher's own tuning that shapes a stream's sightings."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    tracker: TrackerConfig = TrackerConfig()
    wordmark: WordmarkConfig = WordmarkConfig()
    track_width: int = Field(default=640, ge=160)
    """Width of the grey copy the tracker correlates on."""
    cut_threshold: float = Field(default=0.3, gt=0.0, le=1.0)
    """Histogram (Bhattacharyya) distance between samples that counts as a cut."""
    reverify: bool = True
    """Re-verify unconfirmed tracks with the matcher on an enlarged crop."""
    reverify_margin: float = Field(default=0.5, ge=0.0)
    """Crop margin around a track's box, in box sizes on each side."""
    reverify_min_width: int = Field(default=320, ge=64)
    """A crop narrower than this is enlarged to it (zoom for small logos)."""
    text_confidence: float = Field(default=0.9, gt=0.0, le=1.0)
    """A text sighting's confidence is the recogniser's score times this."""
    search_every: int = Field(default=1, ge=1)
    """The matcher searches the whole frame on the first frame of a shot and on one sampled
    frame in this many (the last of each group of the stream's frames, so with OCR every 2nd
    frame the two alternate); on the others only the live tracks are re-verified on crops,
    and in segment mode `backtrack` recovers the frame before a brand's first verification.
    2 halves the whole-frame searches (kit median CPU per frame 260 -> 220 ms, p90 662 ->
    478) but lost recall on the report seed (0.590 -> 0.580, 31 -> 29 of 48 appearances: a
    logo seen on one frame between searches is missed), so it is off by default."""
    fill_gaps: int = Field(default=2, ge=0)
    """In `process_segment`, frames missing between two verifications of a brand at the same
    place are filled, up to this many in a row (0: off; see `gaps.py`)."""
    backtrack: bool = True
    """In `process_segment`, follow first verifications backwards through the segment."""
    blurred: BlurConfig = BlurConfig()
    """A track the matcher no longer verifies (a blurred picture) is confirmed on the frames
    where the reference, blurred like the picture, fits the box it was followed to."""
    net_start: NetStartConfig = NetStartConfig()
    """Blurred logos the net proposes start tracks (see `net_start.py`)."""
    zoom_read: ZoomReadConfig = ZoomReadConfig()
    """The net's proposals no channel verified are read again by the OCR channel, enlarged
    (see `zoom_read.py`)."""
    zoomed: ZoomedConfig = ZoomedConfig()
    """Where nothing holds a logo, the net shown the frame twice as large proposes, and SIFT
    or the zoomed read checks (see `zoomed.py`; on by default)."""
    late: bool = True
    """In `process_segment`, follow first verifications (and confirm held starts) back into
    the previous segment's last `tracker.max_coast` frames too (`LogoPipeline.late`). A
    logo often enters blurred or small in the segment before the one where the matcher
    first verifies it: at segment boundaries 12 of 86 missed bins of the two tune seeds
    (kit replay, session 21)."""
    backtrack_correlation: float = Field(default=0.75, gt=0.0, lt=1.0)
    """The correlation a backward step needs (above the tracker's: before a logo entered,
    the frame behind it is background that a lenient correlation mistakes for it)."""
    backtrack_supported: float = Field(default=0.55, gt=0.0, lt=1.0)
    """The correlation a backward step needs where the net proposes the brand over the box
    it found on that frame (`backtrack.backtrack`'s `supported_correlation`). A logo sharp
    at its first verification correlates little with its motion-blurred self a frame
    earlier (kit 1401, nimbus entering blurred: 0.58); 0.6 -> 0.55 recovered 2 bins on 1401
    and changed nothing on 1403 (s0 net); 0.5 found no more."""
    backtrack_min_score: float = Field(default=0.5, gt=0.0, le=1.0)
    """The net's score a proposal needs to support a backward step."""
    backtrack_scales: tuple[float, ...] = (0.75, 0.9, 1.0, 1.1)
    """The template scales a backward step tries (the tracker's `scales` forward). A logo
    the camera zooms onto is smallest when it enters, which is when the matcher misses it:
    at the kit's 2 sampled frames a second a zooming logo shrinks ~25 % per step back, past
    the tracker's 0.9."""
    skip_rejected: bool = True
    """With net proposals, a proposal of a brand at the place (each box's centre inside the
    other) of one whose search verified nothing on the previous frame is not searched on
    this frame, only on the next: the picture there is mostly the same (a blurred logo, a
    look-alike, clutter the net mistakes) and so is the answer. Tune seed 1401 (kit replay):
    520 of the 639 regions searched verified nothing; with the skip 509 are searched,
    precision, recall and appearances unchanged (0.994 / 0.735, 37/51)."""
    skip_unstarted: bool = False
    """Likewise for the blurred-logo starter (`net_start`): a sure proposal (its `min_score`)
    of a brand at the place of one that started no track on the previous frame is not fitted
    on this frame, only on the next (a fit costs ~0.1-0.2 CPU-s: tens of blurred reference
    views correlated). Off by default: whether the skipped frame was the one a blurred logo
    fits on depends on where the stream's sampling grid falls (session 23: motion-blurred
    NIMBUS lost end to end, a frame skipped between two failed fits). Kit replays over
    phases 0, 5, 10 (`logo_eval_bench --phases`, session 24's net), on -> off: 1401 mean
    0.989 / 0.813, 41.7/51 -> 0.989 / 0.824, 42.0/51 (defocus and motion blur found on more
    frames); 1403 unchanged (0.992 / 0.756, 37.7/48); median CPU per frame, run side by side
    at load 7-14, 95 -> 98 ms and 98 -> 99 ms."""
    skip_unread: bool = True
    """Likewise for the zoomed read (`zoom_read`): a proposal of a brand at the place of one
    whose crop the previous frame's zoomed read read no brand on is not read on this frame,
    only on the next (a read costs ~55 CPU-ms: a line detection and recognition on a crop
    enlarged to 512 px). Tune seed 1401 (kit replay): 5 of 79 reads read a brand, and none
    of the 40 at the place of an empty read the frame before did. Kit replay, off -> on, at
    the same time (load 7.7-10.4, nproc 2): 1401 unchanged (0.989 / 0.803, 41/51), CPU 29.7
    -> 28.3 s over 273 frames; 1403 0.994 / 0.764, 39/48 -> 0.994 / 0.788, 40/48 (a read
    skipped left `max_reads` room for the defocus clip's AURORA), 27.9 -> 26.7 s."""
    skip_unsure: bool = True
    """Likewise for the zoomed net (`ProposalMatcher.second_look`, asked by the starter's
    second look and the zoomed read): at the place of a proposal of the brand that it was
    unsure of on the previous frame (below both `zoom_read.min_look` and the second look's
    `min_probability`, so neither acted on it), that answer stands on this frame and the net
    is asked again on the next (a look costs ~4.5 CPU-ms: a net pass over a quarter of the
    frame enlarged). Kit replay (one process, off and on alternating per clip, 2 rounds, load
    6-9, nproc 2): tables identical on both tune seeds, 79 (1401) and 95 (1403) looks not
    asked, CPU 1401 27.46 / 26.94 -> 27.00 / 26.77 s, 1403 26.76 / 27.04 -> 26.06 / 26.67 s."""


@dataclass(frozen=True)
class Sighting:
    """One brand on one frame: box and polygon in frame pixels, the fused confidence, which
    channel produced it (`image`, `zoom`, `text`, `track`, or `back` for a verification
    followed backwards) and the matcher's inliers."""

    brand: str
    logo_id: str
    box: Box
    polygon: Points
    confidence: float
    source: str
    inliers: int = 0


@dataclass(frozen=True)
class LateSighting:
    """A sighting on a frame of the stream's previous segment, which was reported already:
    `ago` frames before the first frame of the segment that found it (1: the previous
    segment's last frame), `frame` that frame in grey (all a result's measures need)."""

    ago: int
    frame: Frame
    sighting: Sighting


@dataclass(frozen=True)
class _Tail:
    """A segment's last frames, with what was found on them (frame pixels, before
    `_reported`), the net's proposals and the cuts before each. The frames are kept in grey,
    at full size and at the tracker's width: a stream's tail is held until its next segment
    (~3.4 MB at 720p instead of ~14 MB with the colour pictures and their reduced copies)."""

    frames: list[Frame]
    grays: list[Image]
    sightings: list[list[Sighting]]
    proposed: list[list[Candidate]]
    cuts: list[bool]

    @classmethod
    def of(
        cls,
        frames: Sequence[Frame],
        track_width: int,
        sightings: list[list[Sighting]],
        proposed: list[list[Candidate]],
        cuts: list[bool],
    ) -> _Tail:
        """The tail of frames with what was found on them."""
        return cls([Frame(f.scaled(f.width, gray=True), f.offset) for f in frames],
                   [f.scaled(track_width, gray=True) for f in frames], sightings, proposed,
                   cuts)  # fmt: skip


class LogoPipeline:
    """The sightings of one stream, frame after frame (see the module docstring)."""

    def __init__(
        self,
        matcher: LogoMatcher,
        config: PipelineConfig | None = None,
        reader: WordmarkReader | None = None,
        reader_lock: threading.Lock | None = None,
        places: TextPlaces | None = None,
    ) -> None:
        self.matcher = matcher
        self.config = config or PipelineConfig()
        self._reader = reader if self.config.wordmark.enabled else None
        self._reader_lock = reader_lock or threading.Lock()
        # Shared with the other streams' pipelines when given (read under `reader_lock`): each
        # reference is read once per detector, not once per stream.
        self._places = (places or TextPlaces(self._reader)) if self._reader is not None else None
        self._tracker = LogoTracker(self.config.tracker)
        self._backward = self.config.tracker.model_copy(
            update={
                "min_correlation": self.config.backtrack_correlation,
                "scales": self.config.backtrack_scales,
            }
        )
        self._previous: Histogram | None = None
        self._frames = 0
        self._shot_frames = 0
        self._recent: list[list[Verified]] = []
        """The sightings (frame pixels) of the stream's last frames since its last cut, for
        `fill_gaps` across a segment boundary."""
        self.lines = LineMemory()
        """The OCR channel's reads of this stream's previous frame (static text read once)."""
        self._read_lines: list[TextSighting] = []
        """The lines of the last frame read, whose vetoes hold on the frames between reads."""
        self._rejected: list[Candidate] = []
        """The net proposals the previous frame's search verified nothing at."""
        self._unstarted: list[Candidate] = []
        """The sure net proposals the previous frame's starter started no track at."""
        self._unread: list[Candidate] = []
        """The net proposals the previous frame's zoomed read read no brand at."""
        self._unsure: list[tuple[Candidate, float]] = []
        """The net proposals the zoomed net was unsure of on the previous frame, and its
        answer."""
        self._unzoomed: list[Candidate] = []
        """The zoomed net's proposals its previous look checked in vain (`zoomed_finds`)."""
        self._proposed: list[Candidate] = []
        """The net's proposals on the last frame processed (for `backtrack` in segments)."""
        self._confirmed: list[tuple[int, Sighting]] = []
        """The sightings of held tracks (`NetStartConfig.confirm`) the last frame processed
        confirmed, each with how many frames before it it was held back on."""
        self._tail: _Tail | None = None
        """The last `tracker.max_coast` frames of the segment `process_segment` took last, for
        `late` (None after a single `process`, or with `late` off)."""
        self.late: list[LateSighting] = []
        """The sightings the last `process_segment` found on its previous segment's last
        frames: a brand that entered there, verified only in this segment and followed back
        (`backtrack`), or a held start (`NetStartConfig.confirm`) confirmed here."""

    def process_segment(self, frames: Sequence[Frame]) -> list[list[Sighting]]:
        """The sightings of each of a segment's frames (in order), updating the stream's
        state; with `backtrack`, first verifications are followed back through the segment
        and into the previous segment's last frames (those found there are in `late`), and
        with `fill_gaps`, frames between two verifications at the same place are filled
        (from the stream's previous segment's last frames too)."""
        out: list[list[Sighting]] = []
        cuts, proposed = [], []
        tail = self._tail
        self.late = []
        for frame in frames:
            cuts.append(self._cut(frame))
            out.append(self._process(frame))
            proposed.append(self._proposed)
            for ago, sighting in self._confirmed:
                if ago < len(out):
                    out[-1 - ago].append(sighting)
                elif tail is not None:
                    self._add_late(tail, ago - len(out) + 1, sighting)
        if self.config.backtrack and (len(frames) > 1 or tail is not None):
            self._backtrack(frames, cuts, out, proposed)
        if self.config.fill_gaps > 0:
            seen = [[_as_verified(s) for s in found] for found in out]
            filled = fill_gaps(cuts, seen, max_gap=self.config.fill_gaps,
                               decay=self.config.tracker.confidence_decay,
                               before=self._recent)  # fmt: skip
            for sightings, found in zip(out, filled, strict=True):
                sightings.extend(_from_verified(v) for v in found)
            cut_at = max((k for k, cut in enumerate(cuts) if cut), default=None)
            recent = seen[cut_at:] if cut_at is not None else [*self._recent, *seen]
            self._recent = recent[-(self.config.fill_gaps + 1) :]
        keep = self.config.tracker.max_coast if self.config.late else 0
        self._tail = None
        if keep:
            self._tail = _Tail.of(frames[-keep:], self.config.track_width, out[-keep:],
                                  proposed[-keep:], cuts[-keep:])  # fmt: skip
        self.late = [replace(late, sighting=self._reported(late.frame, [late.sighting])[0])
                     for late in self.late]  # fmt: skip
        return [self._reported(frame, found) for frame, found in zip(frames, out, strict=True)]

    def _add_late(self, tail: _Tail, ago: int, sighting: Sighting) -> None:
        """`sighting`, on the frame `ago` frames before the segment's first, as a late one
        (unless that frame is not kept or already has the brand there)."""
        if ago > len(tail.frames):
            return
        there = [*tail.sightings[-ago], *(late.sighting for late in self.late if late.ago == ago)]
        if any(s.brand == sighting.brand and overlaps(s.box, sighting.box) for s in there):
            return
        self.late.append(LateSighting(ago, tail.frames[-ago], sighting))

    def _backtrack(
        self,
        frames: Sequence[Frame],
        cuts: list[bool],
        out: list[list[Sighting]],
        proposed: Sequence[Sequence[Candidate]],
    ) -> None:
        """Add to `out` the backward sightings of the segment's first verifications (a step
        the net's `proposed` brand supports may correlate less), and to `late` those on the
        previous segment's last frames."""
        tail = self._tail or _Tail([], [], [], [], [])
        reached = [*tail.frames, *frames]
        grays = [*tail.grays, *(f.scaled(self.config.track_width, gray=True) for f in frames)]
        scales = [gray.shape[1] / frame.width for gray, frame in zip(grays, reached, strict=True)]
        seen = [
            [_verified(s.brand, s.logo_id, s.box, s.confidence, s.source, scale) for s in found]
            for found, scale in zip([*tail.sightings, *out], scales, strict=True)
        ]
        least = self.config.backtrack_min_score
        supported = [
            [(c.brand, _scaled(c.box, scale)) for c in each if c.score >= least]
            for each, scale in zip([*tail.proposed, *proposed], scales, strict=True)
        ]
        extra = backtrack(grays, [*tail.cuts, *cuts], seen, self._backward, proposed=supported,
                          supported_correlation=self.config.backtrack_supported,
                          first=len(tail.frames))  # fmt: skip
        for k, (found, scale) in enumerate(zip(extra, scales, strict=True)):
            for v in found:
                box = _unscaled(v.box, scale)
                sighting = Sighting(v.brand, v.logo_id, box, _corners(box),
                                    round(v.confidence, 4), v.source)  # fmt: skip
                if k < len(tail.frames):
                    self._add_late(tail, len(tail.frames) - k, sighting)
                else:
                    out[k - len(tail.frames)].append(sighting)

    def process(self, frame: Frame) -> list[Sighting]:
        """The frame's sightings, updating the stream's state (forward only)."""
        self._tail = None
        self._cut(frame)
        return self._reported(frame, self._process(frame))

    def _cut(self, frame: Frame) -> bool:
        """Whether a cut falls between the stream's previous frame and `frame` (the tracks,
        and the OCR channel's memory of lines, are then dropped)."""
        current = colour_histogram(frame.scaled(640))
        previous, self._previous = self._previous, current
        if previous is None or distance(previous, current) <= self.config.cut_threshold:
            return False
        self._tracker.reset()
        self.lines.clear()
        self._read_lines = []
        self._rejected = []
        self._unstarted = []
        self._unread = []
        self._unsure = []
        self._unzoomed = []
        self._shot_frames = 0
        return True

    def _process(self, frame: Frame) -> list[Sighting]:
        cfg = self.config
        gray = frame.scaled(cfg.track_width, gray=True)
        scale = gray.shape[1] / frame.width
        last_of_group = self._frames % cfg.search_every == cfg.search_every - 1
        searched = self._shot_frames == 0 or last_of_group
        self._shot_frames += 1
        proposed = self._propose(frame) if searched else None
        self._proposed = proposed or []
        if proposed is not None:
            assert isinstance(self.matcher, ProposalMatcher)
            matches = self._search(frame, self.matcher.candidates(proposed))
        else:
            matches = self._whole_frame(frame) if searched else []
        verified = [_verified(m.brand, m.logo_id, m.box, m.confidence, "image", scale)
                    for m in matches]  # fmt: skip
        polygons = {id(v): [(float(x), float(y)) for x, y in m.polygon]
                    for v, m in zip(verified, matches, strict=True)}  # fmt: skip
        inliers = {id(v): m.inliers for v, m in zip(verified, matches, strict=True)}
        found = (verified, polygons, inliers)
        if cfg.reverify:
            for zoomed in self._reverify(frame, scale, verified):
                _add_match(found, zoomed, "zoom", scale)
        view = self._zoomed_view(frame, proposed)
        look = self._look(frame, view)
        if proposed and cfg.net_start.enabled:
            verified.extend(self._start(frame, scale, proposed, verified, look))
        else:
            self._unstarted = []
        confirmed: list[Verified] = []
        if self._reader is not None and (self._shot_frames - 1) % cfg.wordmark.every == 0:
            confirmed = self._read(frame, scale, verified)
        else:
            self._veto(self._read_lines, scale, verified)
        if proposed and self._reader is not None and cfg.zoom_read.enabled:
            confirmed.extend(self._zoom_read(frame, scale, proposed, [*verified, *confirmed], look))
        else:
            self._unread = []
        confirmed.extend(self._zoomed(frame, scale, view, found, confirmed))
        self._frames += 1
        out = []
        vouch = self._vouch(frame, scale) if cfg.blurred.enabled else None
        self._confirmed = []
        asked = (
            [(c.brand, _scaled(c.box, scale), c.score) for c in proposed]
            if proposed is not None
            else None
        )
        for tracked in self._tracker.step(gray, verified, confirmed, vouch, asked):
            s = tracked.sighting
            box = _unscaled(s.box, scale)
            self._confirmed.extend((ago, _from_verified(replace(v, box=_unscaled(v.box, scale))))
                                   for ago, v in tracked.confirmed)  # fmt: skip
            if tracked.held:
                continue
            polygon = polygons.get(id(s)) or _corners(box)
            out.append(Sighting(s.brand, s.logo_id, box, polygon, round(s.confidence, 4),
                                s.source, inliers.get(id(s), 0)))  # fmt: skip
        return out

    def _vouch(self, frame: Frame, scale: float) -> Vouch:
        """The blur-tolerant check of a track followed to a box (tracker pixels, `scale` of
        the frame's): the reference of the track's last verification, blurred along a few
        directions and the track's own motion, against the full-resolution frame."""
        logo_ids = self.matcher.logo_ids

        def check(sighting: Verified, box: Box) -> tuple[Box, float] | None:
            if sighting.logo_id not in logo_ids:
                return None  # a wordmark read: no picture to compare
            motion = (box[0] + box[2] / 2 - sighting.box[0] - sighting.box[2] / 2,
                      box[1] + box[3] / 2 - sighting.box[1] - sighting.box[3] / 2)  # fmt: skip
            angle = math.degrees(math.atan2(motion[1], motion[0])) if any(motion) else None
            x, y, w, h = (value / scale for value in box)
            found = blurred_match(frame.scaled(frame.width, gray=True), (x, y, w, h),
                                  self.matcher.region_template(sighting.logo_id),
                                  self.config.blurred, angle)  # fmt: skip
            if found is None:
                return None
            x, y, w, h = found.box
            return (x * scale, y * scale, w * scale, h * scale), found.agreement

        return check

    def _reverify(
        self, frame: Frame, scale: float, verified: Sequence[Verified]
    ) -> list[LogoMatch]:
        """The matcher's sightings of each unconfirmed track's brand on an enlarged crop
        around its last box, mapped back to frame pixels."""
        cfg = self.config
        found = []
        for track in self._tracker.boxes():
            if any(v.brand == track.brand and overlaps(v.box, track.box) for v in verified):
                continue
            x, y, w, h = (value / scale for value in track.box)
            left = max(0, int(x - cfg.reverify_margin * w))
            top = max(0, int(y - cfg.reverify_margin * h))
            right = min(frame.width, int(x + w + cfg.reverify_margin * w) + 1)
            bottom = min(frame.height, int(y + h + cfg.reverify_margin * h) + 1)
            if right - left < 16 or bottom - top < 16:
                continue
            zoom = max(1.0, cfg.reverify_min_width / (right - left))
            crop = frame.image[top:bottom, left:right]
            if zoom > 1.0:
                crop = np.asarray(cv2.resize(crop, None, fx=zoom, fy=zoom,
                                             interpolation=cv2.INTER_CUBIC), np.uint8)  # fmt: skip
            for match in self.matcher.match(np.ascontiguousarray(crop)):
                if match.brand != track.brand:
                    continue
                offset = np.array([left, top], np.float32)
                corners = (match.corners / zoom + offset).astype(np.float32)
                outline = None if match.outline is None else match.outline / zoom + offset
                found.append(LogoMatch(match.brand, match.logo_id, corners, match.inliers,
                                       match.confidence, outline))  # fmt: skip
                break
        return found

    def _search(self, frame: Frame, candidates: Sequence[Candidate]) -> list[LogoMatch]:
        """The matcher's sightings where `candidates` point, the most confident per brand;
        with `skip_rejected`, a candidate at the place of one whose search verified nothing
        on the previous frame is left out (searched again on the next). The regions are
        searched in the frame's grey copy that the starter and the blur check use too (the
        matcher would otherwise convert the whole frame to grey again for every region)."""
        assert isinstance(self.matcher, ProposalMatcher)
        rejected = self._rejected if self.config.skip_rejected else []
        fresh = [c for c in candidates if not any(_same_place(c, r) for r in rejected)]
        found = self.matcher.search(frame.scaled(frame.width, gray=True), fresh)
        self._rejected = [c for c, each in zip(fresh, found, strict=True)
                          if not any(m.brand == c.brand for m in each)]  # fmt: skip
        return most_confident(m for each in found for m in each)

    def _whole_frame(self, frame: Frame) -> list[LogoMatch]:
        """The matcher's whole-frame search (a `ProposalMatcher` without a net for its library
        searches without asking `_propose`'s question again)."""
        if isinstance(self.matcher, ProposalMatcher):
            return self.matcher.match_whole(frame.image)
        return self.matcher.match(frame.image)

    def _propose(self, frame: Frame) -> list[Candidate] | None:
        """The net's proposals in `frame`, None when the matcher has no net for its library
        (the whole frame is then searched): proposed once per frame, for the search and the
        starter both."""
        if not isinstance(self.matcher, ProposalMatcher):
            return None
        return self.matcher.propose(frame.image)

    def _start(
        self,
        frame: Frame,
        scale: float,
        proposed: Sequence[Candidate],
        verified: Sequence[Verified],
        look: Look,
    ) -> list[Verified]:
        """Sightings (tracker pixels) of the net's proposals that start tracks (`net_starts`:
        where the frame has no sighting of the brand, the brand's reference, blurred, fits,
        and the picture measures blurred); with `skip_unstarted`, a sure proposal at the place
        of one that started nothing on the previous frame is left out (tried again on the
        next). A live track of the brand there that no channel verified on this frame does not
        hold the proposal back: the start refreshes it. The tracker's own blur check only looks
        a few sizes around where correlation followed the track, which a blurred logo in a pan
        defeats; the starter searches the net's box, at the track's size (`net_starts`'
        `tracked`). Tune seed 1401 (kit replay, nproc 2): recall 0.785 -> 0.794, precision
        0.989 either way, 40/51; checked at all the starter's sizes and turns instead of the
        track's, +9-27 % CPU on 4d5a283."""
        assert isinstance(self.matcher, ProposalMatcher)
        cfg = self.config.net_start
        held, tracked = (
            [(v.brand, _unscaled(v.box, scale)) for v in sightings]
            for sightings in (verified, self._tracker.boxes())
        )  # fmt: skip
        unstarted = self._unstarted if self.config.skip_unstarted else []
        fresh = [c for c in self.matcher.candidates(proposed)
                 if not any(_same_place(c, u) for u in unstarted)]  # fmt: skip
        starts = net_starts(frame.scaled(frame.width, gray=True), self.matcher, fresh, held, cfg,
                            tracked=tracked, look=look)  # fmt: skip
        self._unstarted = [c for c in fresh if c.score >= cfg.min_score
                           and not any(s.brand == c.brand for s in starts)]  # fmt: skip
        return [replace(_verified(s.brand, s.logo_id, s.found.box,
                                  s.found.agreement * cfg.confidence, VOUCHED, scale),
                        tentative=cfg.confirm and not s.sure) for s in starts]  # fmt: skip

    def _read(self, frame: Frame, scale: float, verified: list[Verified]) -> list[Verified]:
        """Brands the OCR channel reads where no other channel has them in this frame (they
        start a track, or confirm the brand's track they fall on); on the way, sightings and
        tracks on which a look-alike's text is read are vetoed (removed from `verified`,
        tracks ended)."""
        assert self._reader is not None
        with self._reader_lock:
            lines = self._reader.lines(frame, self.lines)
        self._read_lines = lines
        self._veto(lines, scale, verified)
        return self._text(self._reader.sightings(lines, self.matcher.brands), scale, verified)

    def _look(self, frame: Frame, view: ZoomedView | None) -> Look:
        """`ProposalMatcher.second_look` on `frame`, each candidate asked once (the starter
        and the zoomed read both ask it); with `skip_unsure`, a candidate at the place of one
        the net was unsure of on the previous frame keeps that answer (asked on the next).
        On the zoomed net's turn (`view`, at the second look's zoom) its pass over the whole
        frame answers every candidate (`ZoomedView.peak`): the same scale as the crop a
        second look is, without a pass per candidate (~4.6 CPU-ms each)."""
        looks: dict[Candidate, float | None] = {}
        zoom = self.config.net_start.second_look.zoom
        whole = view if view is not None and view.zoom == zoom else None
        sure = min(
            self.config.zoom_read.min_look, self.config.net_start.second_look.min_probability
        )
        unsure = self._unsure if self.config.skip_unsure else []
        self._unsure = []

        def look(candidate: Candidate) -> float | None:
            if candidate not in looks:
                assert isinstance(self.matcher, ProposalMatcher)
                held = [p for c, p in unsure if _same_place(c, candidate)] if whole is None else []
                if whole is not None:
                    found = whole.peak(candidate)
                elif held:
                    found = max(held)
                else:
                    found = self.matcher.second_look(frame.image, candidate, zoom)
                if not held and found is not None and found < sure:
                    self._unsure.append((candidate, found))
                looks[candidate] = found
            return looks[candidate]

        return look

    def _zoom_read(
        self,
        frame: Frame,
        scale: float,
        proposed: Sequence[Candidate],
        held: Sequence[Verified],
        look: Look,
    ) -> list[Verified]:
        """Brands the OCR channel reads on enlarged crops around the net's proposals that no
        sighting in `held` (tracker pixels: the frame's verified and read ones) overlaps and
        the zoomed net (`look`) is sure of, as `_read`'s sightings (`zoom_read.py`); with
        `skip_unread`, a proposal at the place of one read in vain on the previous frame is
        left out (read again on the next)."""
        assert self._reader is not None
        assert isinstance(self.matcher, ProposalMatcher)
        boxes = [_unscaled(v.box, scale) for v in held]
        unread = self._unread if self.config.skip_unread else []
        fresh = [c for c in self.matcher.candidates(proposed)
                 if not any(_same_place(c, u) for u in unread)]  # fmt: skip
        with self._reader_lock:
            reads = zoom_reads(frame, self._reader, fresh, boxes, brands=self.matcher.brands,
                               config=self.config.zoom_read, look=look)  # fmt: skip
        self._unread = reads.empty
        return self._text(reads.sightings, scale, held)

    def _zoomed_view(self, frame: Frame, proposed: Sequence[Candidate] | None) -> ZoomedView | None:
        """On the zoomed net's turn (`ZoomedConfig.every`, frames with net proposals), its
        look at the whole frame (before the starter, whose second looks it answers)."""
        cfg = self.config.zoomed
        turn = (self._shot_frames - 1) % cfg.every == cfg.every - 1
        if proposed is None or not cfg.enabled or not turn:
            return None
        assert isinstance(self.matcher, ProposalMatcher)
        return self.matcher.view_zoomed(frame.image, cfg.zoom)

    def _zoomed(
        self,
        frame: Frame,
        scale: float,
        view: ZoomedView | None,
        found: _Found,
        confirmed: Sequence[Verified],
    ) -> list[Verified]:
        """With the zoomed net's `view` (its turn), the SIFT sightings of `zoomed_finds` over
        what no sighting (`found`'s verified ones, `confirmed`) nor a live track holds, added
        to `found`; returned: the brands its zoomed reads read, as `_read`'s sightings."""
        if view is None:
            return []
        assert isinstance(self.matcher, ProposalMatcher)
        verified = found[0]
        held = [*verified, *confirmed]
        boxes = [_unscaled(v.box, scale) for v in [*held, *self._tracker.boxes()]]
        zoomed = zoomed_finds(frame, self.matcher, self._reader, self._proposed, boxes,
                              self.config.zoomed, self.config.zoom_read,
                              reader_lock=self._reader_lock, seen=view.proposals,
                              skip=self._unzoomed)  # fmt: skip
        self._unzoomed = zoomed.empty
        for match in zoomed.matches:
            _add_match(found, match, "image", scale)
        return self._text(zoomed.reads, scale, [*verified, *confirmed])

    def _text(
        self, reads: Sequence[TextSighting], scale: float, verified: Sequence[Verified]
    ) -> list[Verified]:
        """`reads` (brands read, frame pixels) as sightings in tracker pixels, but for those
        another channel already has there."""
        out = []
        for read in reads:
            confidence = read.score * self.config.text_confidence
            text = word_box(read.text, read.box, fold(read.brand))
            candidate = _verified(read.brand, f"{TEXT_ID}{read.brand}", text, confidence, "text",
                                  scale)  # fmt: skip
            if any(v.brand == read.brand and overlaps(v.box, candidate.box) for v in verified):
                continue
            out.append(candidate)
        return out

    def _reported(self, frame: Frame, sightings: list[Sighting]) -> list[Sighting]:
        """`sightings` as reported: one that follows a brand's text (a wordmark read, logo id
        `text:<brand>`, and the track and gap fills it led to) gets the box of the logo that
        text belongs to (`text_extent`). The pipeline itself keeps following the text, whose
        pixels are all the logo's: a box over a mark above the name holds background too, and
        tracks on it were lost under motion blur (kit seed 1401: 3 bins)."""
        if self._places is None:
            return sightings
        out = []
        for sighting in sightings:
            box = None
            if sighting.logo_id.startswith(TEXT_ID):
                references = self.matcher.references_of(sighting.brand)
                with self._reader_lock:
                    places = self._places.of(sighting.brand, references)
                box = whole_logo(sighting.box, places, (frame.width, frame.height))
            if box is not None:
                sighting = replace(sighting, box=box, polygon=_corners(box))  # noqa: PLW2901
            out.append(sighting)
        return out

    def _veto(self, lines: Sequence[TextSighting], scale: float, verified: list[Verified]) -> None:
        """Remove the sightings (and end the tracks) on which one of `lines` surely reads a
        look-alike's text (only the line's glyphs over the sighting are judged)."""
        similarity = self.config.wordmark.veto_similarity
        for line in lines:
            if line.score < self.config.wordmark.veto_score:
                continue
            box = _verified("", "", line.box, 0.0, "text", scale).box
            for sighting in [*verified, *self._tracker.boxes()]:
                if contradicts(glyphs_over(line.text, box, sighting.box), sighting.brand,
                               similarity):  # fmt: skip
                    if sighting in verified:
                        verified.remove(sighting)
                    self._tracker.veto(sighting.brand, sighting.box)


def _add_match(found: _Found, match: LogoMatch, source: str, scale: float) -> None:
    """`match` (frame pixels) added to a frame's sightings (`found`: tracker pixels), with its
    polygon and inliers."""
    verified, polygons, inliers = found
    verified.append(_verified(match.brand, match.logo_id, match.box, match.confidence, source,
                              scale))  # fmt: skip
    polygons[id(verified[-1])] = [(float(x), float(y)) for x, y in match.polygon]
    inliers[id(verified[-1])] = match.inliers


def _verified(  # noqa: PLR0917 - one sighting's fields and the scale
    brand: str, logo_id: str, box: Box, confidence: float, source: str, scale: float
) -> Verified:
    return Verified(brand, logo_id, _scaled(box, scale), confidence, source)


def _scaled(box: Box, scale: float) -> Box:
    """A frame-pixel `box` in the pixels of the frame scaled by `scale`."""
    x, y, w, h = box
    return x * scale, y * scale, w * scale, h * scale


def _unscaled(box: Box, scale: float) -> Box:
    """A `box` in the pixels of the frame scaled by `scale`, in frame pixels."""
    x, y, w, h = box
    return x / scale, y / scale, w / scale, h / scale


def _from_verified(v: Verified) -> Sighting:
    return Sighting(v.brand, v.logo_id, v.box, _corners(v.box), round(v.confidence, 4), v.source)


def _as_verified(sighting: Sighting) -> Verified:
    return Verified(sighting.brand, sighting.logo_id, sighting.box, sighting.confidence,
                    sighting.source)  # fmt: skip


def _same_place(a: Candidate, b: Candidate) -> bool:
    """Whether two proposals name one brand, each box's centre inside the other."""
    return a.brand == b.brand and same_place(a.box, b.box)


def _corners(box: Box) -> Points:
    x, y, w, h = box
    return [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
