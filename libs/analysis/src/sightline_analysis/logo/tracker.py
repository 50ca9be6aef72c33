"""Following verified logo sightings through the next sampled frames of a stream.

The image matcher loses a logo it found a moment ago when motion blur, an occluder or a tilt
takes its features away, although the logo is plainly still there: screen time, what a sponsor
pays for, is then under-counted. A `LogoTracker` keeps each verified sighting as a track and
looks for it in the next frame with a cheap local search (normalised cross-correlation of the
sighting's own pixels, a few scales, in a window around the last box). A track only lives on
evidence: it ends when the correlation drops (the logo left, or something else is there), when
it went `max_coast` frames without a fresh verification by the matcher, and at every cut
(`reset`). Tracks never start on their own: only a verified sighting (image or text channel)
starts or refreshes one, so tracking lengthens true sightings and cannot invent a brand.

A sighting of a weaker check (`Verified.tentative`: a net starter's blurred fit the zoomed
net does not back, which clutter fools on one frame) starts a track that is held back: it is
followed and checked as any other, but its sightings are only reported once a later frame
confirms it (a verification, or the net proposing the brand at its place), and then from its
start (`Tracked.confirmed`). The tracker's own blur check (`Vouch`) does not confirm: it is
the starter's check again, and it kept clutter the starter took for a logo (diagonal
stripes, a blotchy background) alive for seconds.

All geometry is in the pixels of the grey frame the caller passes (the pipeline works on a
reduced copy, where correlation costs a few milliseconds a track).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from sightline_analysis.frames import Image

Box = tuple[float, float, float, float]  # x, y, w, h
Proposal = tuple[str, Box, float]
"""A net proposal: brand, box, the net's peak probability of the brand in it."""
VOUCHED = "blur"
"""The `source` of a tracked sighting a second check confirmed (see `Vouch`)."""


class TrackerConfig(BaseModel):
    """How far and how hard a track may follow its logo without the matcher."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    min_correlation: float = Field(default=0.65, gt=0.0, lt=1.0)
    """TM_CCOEFF_NORMED a tracked box must reach against the track's template."""
    hidden_min_whole: float = Field(default=0.45, gt=0.0, le=1.0)
    """A box correlating below `min_correlation` but at least this still follows the track when
    half of the template (left, right, top or bottom) correlates at least `hidden_min_half`
    at the same place: an occluder sliding over part of the logo."""
    hidden_min_half: float = Field(default=0.8, gt=0.0, le=1.0)
    """The correlation half of the template must reach there (see `hidden_min_whole`)."""
    search_margin: float = Field(default=0.6, ge=0.0)
    """Search window around the last box, in box sizes on each side (pans and slides)."""
    scales: tuple[float, ...] = (0.9, 1.0, 1.1)
    """Template scales tried per frame (zooms)."""
    max_coast: int = Field(default=3, ge=0)
    """Frames a track may be followed without a fresh verification."""
    min_template_px: int = Field(default=8, ge=4)
    """Smallest template side (px of the grey frame) worth correlating."""
    confidence_decay: float = Field(default=0.85, gt=0.0, le=1.0)
    """A tracked sighting's confidence is the verified one times decay ** frames coasted."""
    same_sighting_iou: float = Field(default=0.2, ge=0.0, le=1.0)
    """IoU above which a verified sighting refreshes a track of its brand."""
    min_coast_confidence: float = Field(default=0.35, ge=0.0, le=1.0)
    """A track is carried without a verification only while its (decayed) confidence is at
    least this: the matcher's least sure sightings are where its mistakes are, and following
    them would lengthen false positives."""
    confirm_score: float = Field(default=0.5, gt=0.0, le=1.0)
    """A held track (`Verified.tentative`) is confirmed by a net proposal of its brand this
    sure at its place (each box's centre inside the other) on a later frame: the net seeing
    the brand there again, on another picture. Kit replays (tune seeds, 4 training draws):
    the net proposed the blurred logos that the starter started once again at their place at
    0.89-0.999 on the next frames, and the clutter it started on at no score (beside it, up
    to 0.96, but not there)."""
    coast_blurred_where_proposed: bool = True
    """A track last verified by the blur check (`VOUCHED`) is carried without a verification
    only where the net proposes its brand over the box it was followed to (when the caller
    gives the net's proposals): the template of a blurred logo is mostly the background it
    was blurred into, and after the logo vanished it correlated with that background (kit
    replays of the tune seeds, the nets of two training draws: of the sightings so carried,
    4 of the 5 on false bins had no proposal under them, 8 of the 10 on the brand had)."""


@dataclass(frozen=True)
class Verified:
    """A sighting a channel verified in this frame: brand, logo id, box, confidence."""

    brand: str
    logo_id: str
    box: Box
    confidence: float
    source: str
    tentative: bool = False
    """A new track this starts is held back until a later frame confirms it (module
    docstring); refreshing a track, it counts as any verification."""


@dataclass(frozen=True)
class Tracked:
    """Where a track stands after a frame: its sighting, frames since the last verification
    (0 = verified in this frame) and the correlation that carried it (1.0 when verified).
    `held`: the track awaits confirmation, the sighting is not to be reported yet;
    `confirmed`: the sightings held back on earlier frames (frames ago, sighting) that this
    frame's verification confirmed."""

    sighting: Verified
    coasted: int
    correlation: float
    held: bool = False
    confirmed: tuple[tuple[int, Verified], ...] = ()


Vouch = Callable[[Verified, Box], tuple[Box, float] | None]
"""A second check of a track followed to a box (its last sighting, the box it was followed
to): the box it confirms there and how sure it is, or None. A confirmed track counts as
verified in that frame (it does not coast)."""


@dataclass
class _Track:
    sighting: Verified
    template: Image
    coasted: int = 0
    verified_confidence: float = 0.0
    held: list[tuple[int, Verified]] | None = None
    """While the track awaits confirmation: its sightings so far (step, sighting)."""
    blurred: bool = False
    """Its last verification was the blur check (`VOUCHED`)."""


class LogoTracker:
    """The live tracks of one stream (not thread-safe: one stream's frames come in order)."""

    def __init__(self, config: TrackerConfig | None = None) -> None:
        self.config = config or TrackerConfig()
        self._tracks: list[_Track] = []
        self._steps = 0

    def reset(self) -> None:
        """Drop every track (a cut, a gap, a new run)."""
        self._tracks = []

    def veto(self, brand: str, box: Box) -> None:
        """End the tracks of `brand` overlapping `box` (another channel contradicts them)."""
        self._tracks = [
            t
            for t in self._tracks
            if t.sighting.brand != brand or box_iou(t.sighting.box, box) == 0
        ]

    def __len__(self) -> int:
        return len(self._tracks)

    def boxes(self) -> list[Verified]:
        """The live tracks' last sightings."""
        return [t.sighting for t in self._tracks]

    def step(
        self,
        gray: Image,
        verified: Sequence[Verified],
        confirmed: Sequence[Verified] = (),
        vouch: Vouch | None = None,
        proposed: Sequence[Proposal] | None = None,
    ) -> list[Tracked]:
        """Advance every track to `gray` (the next sampled frame): a verified sighting of the
        same brand refreshes a track (template re-cut); a track without one is searched for
        locally and kept when it correlates; new verified sightings start tracks. Returns the
        frame's sightings, one per live track.

        `confirmed` are sightings that vouch for a track without giving its box (a wordmark
        read on part of a logo): a track they overlap that correlates counts as verified in
        this frame (no coasting); one that no longer correlates is replaced by the
        confirmation itself, so a brand read every frame is never dropped.

        `vouch` is asked about each track followed without either: when it confirms the box,
        the track counts as verified there too (source `VOUCHED`, at most as confident as
        its last verification), so a logo the matcher cannot see (blurred) lives on while
        the check holds, not only for `max_coast` frames.

        A `tentative` sighting starts a held track (module docstring); a verified sighting or
        a confirmation on a later frame confirms it, and so does a sure proposal at its place
        (`confirm_score`). `proposed` are the net's proposals on `gray`, if it was asked
        (`coast_blurred_where_proposed`)."""
        cfg = self.config
        confirmations = list(confirmed)
        out: list[Tracked] = []
        survivors: list[_Track] = []
        fresh = list(verified)
        for track in self._tracks:
            partner = _best_partner(track.sighting, fresh, cfg.same_sighting_iou)
            if partner is not None:
                fresh.remove(partner)
                template = template_at(gray, partner.box, cfg.min_template_px)
                track.sighting = partner
                track.coasted = 0
                if template is not None:
                    track.template = template
                track.verified_confidence = partner.confidence
                track.blurred = partner.source == VOUCHED
                survivors.append(track)
                out.append(self._settled(track, Tracked(partner, 0, 1.0), confirms=True))
                continue
            voucher = _voucher(track.sighting, confirmations)
            if voucher is not None:
                confirmations.remove(voucher)
            followed = self._follow(gray, track, voucher, vouch, proposed)
            if followed is None:
                if voucher is not None:
                    fresh.append(voucher)
                continue
            survivors.append(track)
            confirms = voucher is not None or _sure_at(followed.sighting, proposed,
                                                       cfg.confirm_score)  # fmt: skip
            out.append(self._settled(track, followed, confirms=confirms))
        for sighting in [*fresh, *confirmations]:
            held = [(self._steps, sighting)] if sighting.tentative else None
            template = template_at(gray, sighting.box, cfg.min_template_px)
            if template is not None:
                survivors.append(
                    _Track(
                        sighting,
                        template,
                        0,
                        sighting.confidence,
                        held,
                        blurred=sighting.source == VOUCHED,
                    )
                )
            out.append(Tracked(sighting, 0, 1.0, held=held is not None))
        self._tracks = survivors
        self._steps += 1
        return out

    def _settled(self, track: _Track, tracked: Tracked, *, confirms: bool) -> Tracked:
        """`tracked` as reported: a held track's sighting is held back too, unless this
        frame `confirms` the track, which then brings back the sightings held so far."""
        if track.held is None:
            return tracked
        if confirms:
            earlier = tuple((self._steps - step, sighting) for step, sighting in track.held)
            track.held = None
            return replace(tracked, confirmed=earlier)
        track.held.append((self._steps, tracked.sighting))
        return replace(tracked, held=True)

    def _follow(
        self,
        gray: Image,
        track: _Track,
        voucher: Verified | None,
        vouch: Vouch | None,
        proposed: Sequence[Proposal] | None,
    ) -> Tracked | None:
        """`track` followed to `gray` without a verified sighting of its own (see `step`):
        confirmed by `voucher` or `vouch`, or coasting; None when it ends here."""
        cfg = self.config
        spent = track.coasted >= cfg.max_coast or (
            track.sighting.confidence < cfg.min_coast_confidence
        )
        if voucher is None and vouch is None and spent:
            return None
        found = self._search(gray, track)
        if found is None:
            return None
        box, correlation = found
        if voucher is not None:
            track.coasted = 0
            track.blurred = False
            track.sighting = replace(track.sighting, box=box, source=voucher.source)
            return Tracked(track.sighting, 0, correlation)
        checked = vouch(track.sighting, box) if vouch is not None else None
        if checked is not None:
            return self._vouched(gray, track, checked, correlation)
        if spent or (track.blurred and not self._proposed_at(track.sighting.brand, box, proposed)):
            return None
        track.coasted += 1
        confidence = track.sighting.confidence * cfg.confidence_decay**track.coasted
        track.sighting = replace(track.sighting, box=box, confidence=confidence,
                                 source="track")  # fmt: skip
        return Tracked(track.sighting, track.coasted, correlation)

    def _vouched(
        self, gray: Image, track: _Track, checked: tuple[Box, float], correlation: float
    ) -> Tracked:
        """`track` moved to the box a `Vouch` confirmed, as verified in this frame."""
        box, sureness = checked
        confidence = min(track.verified_confidence, sureness)
        track.sighting = replace(track.sighting, box=box, confidence=confidence,
                                 source=VOUCHED)  # fmt: skip
        track.coasted = 0
        track.blurred = True
        template = template_at(gray, box, self.config.min_template_px)
        if template is not None:
            track.template = template
        return Tracked(track.sighting, 0, correlation)

    def _proposed_at(self, brand: str, box: Box, proposed: Sequence[Proposal] | None) -> bool:
        """Whether a proposal of `brand` overlaps `box` (True when the net was not asked or
        `coast_blurred_where_proposed` is off)."""
        if proposed is None or not self.config.coast_blurred_where_proposed:
            return True
        return any(b == brand and overlaps(other, box) for b, other, _ in proposed)

    def _search(self, gray: Image, track: _Track) -> tuple[Box, float] | None:
        """The best-correlating box near the track's last one, if good enough. A track last
        verified by the blur check is not followed onto a partly hidden logo: its template is
        mostly the background the logo was blurred into, and half of that correlates there
        after the logo has gone (kit replay 1403: a blurred quill carried a frame past its
        exit)."""
        return locate(gray, track.template, track.sighting.box, self.config,
                      partly_hidden=not track.blurred)  # fmt: skip


def locate(
    gray: Image, template: Image, box: Box, config: TrackerConfig, *, partly_hidden: bool = True
) -> tuple[Box, float] | None:
    """The box in `gray` near `box` (within `config.search_margin`) where `template`, at one of
    `config.scales` of the box's size, correlates best, with that correlation; None when no
    scale reaches `config.min_correlation`, unless (`partly_hidden`) the best one reaches
    `config.hidden_min_whole` and half of the template `config.hidden_min_half` there (part of
    the logo hidden). Used forward (the next sampled frame) and backward (the frames of a
    segment before a first verification)."""
    best = _best_place(gray, template, box, config)
    if best is None:
        return None
    place, peak, sized = best
    if peak >= config.min_correlation:
        return place, peak
    hidden = partly_hidden and peak >= config.hidden_min_whole
    if hidden and _half_peak(gray, sized, place) >= config.hidden_min_half:
        return place, peak
    return None


def _best_place(
    gray: Image, template: Image, box: Box, config: TrackerConfig
) -> tuple[Box, float, Image] | None:
    """Where `template` correlates best near `box` over `config.scales`: box, correlation and
    the template at that scale; None when no scale fits."""
    x, y, w, h = box
    height, width = gray.shape[:2]
    best: tuple[Box, float, Image] | None = None
    for scale in config.scales:
        tw, th = round(w * scale), round(h * scale)
        if min(tw, th) < config.min_template_px:
            continue
        sized = np.asarray(cv2.resize(template, (tw, th), interpolation=cv2.INTER_AREA), np.uint8)
        mx, my = config.search_margin * w, config.search_margin * h
        left, top = max(0, int(x - mx)), max(0, int(y - my))
        right = min(width, int(x + w + mx) + 1)
        bottom = min(height, int(y + h + my) + 1)
        if right - left < tw or bottom - top < th or float(sized.std()) < 1.0:
            continue
        scores = cv2.matchTemplate(gray[top:bottom, left:right], sized, cv2.TM_CCOEFF_NORMED)
        _, peak, _, at = cv2.minMaxLoc(scores)
        if best is None or peak > best[1]:
            best = ((float(left + at[0]), float(top + at[1]), float(tw), float(th)), peak, sized)
    return best


_HALF_SLACK_PX = 2
_HALF_MIN_STD = 4.0


def _half_peak(gray: Image, sized: Image, place: Box) -> float:
    """The best correlation of a half of `sized` (left, right, top, bottom) at its own place
    within `place` (a few pixels of slack); halves too flat to correlate do not count."""
    th, tw = sized.shape[:2]
    x, y = round(place[0]), round(place[1])
    halves = (
        (sized[:, : tw // 2], 0, 0),
        (sized[:, tw // 2 :], tw // 2, 0),
        (sized[: th // 2], 0, 0),
        (sized[th // 2 :], 0, th // 2),
    )
    best = -1.0
    for half, dx, dy in halves:
        hh, hw = half.shape[:2]
        if min(hh, hw) < 4 or float(half.std()) < _HALF_MIN_STD:
            continue
        left, top = max(0, x + dx - _HALF_SLACK_PX), max(0, y + dy - _HALF_SLACK_PX)
        right = min(gray.shape[1], x + dx + hw + _HALF_SLACK_PX)
        bottom = min(gray.shape[0], y + dy + hh + _HALF_SLACK_PX)
        if right - left < hw or bottom - top < hh:
            continue
        scores = cv2.matchTemplate(gray[top:bottom, left:right], half, cv2.TM_CCOEFF_NORMED)
        best = max(best, float(scores.max()))
    return best


def template_at(gray: Image, box: Box, min_px: int) -> Image | None:
    """The grey pixels under `box` (clipped to the frame), or None when too small."""
    x, y, w, h = box
    left, top = max(0, round(x)), max(0, round(y))
    right, bottom = min(gray.shape[1], round(x + w)), min(gray.shape[0], round(y + h))
    if right - left < min_px or bottom - top < min_px:
        return None
    return np.ascontiguousarray(gray[top:bottom, left:right])


def _sure_at(sighting: Verified, proposed: Sequence[Proposal] | None, score: float) -> bool:
    """Whether a proposal of the sighting's brand at least `score` sure lies at its place."""
    return any(
        brand == sighting.brand and sure >= score and same_place(box, sighting.box)
        for brand, box, sure in proposed or ()
    )


def same_place(a: Box, b: Box) -> bool:
    """Whether each box's centre lies inside the other."""
    return _centre_in(a, b) and _centre_in(b, a)


def _centre_in(inner: Box, outer: Box) -> bool:
    """Whether `inner`'s centre lies inside `outer`."""
    cx, cy = inner[0] + inner[2] / 2, inner[1] + inner[3] / 2
    return outer[0] <= cx <= outer[0] + outer[2] and outer[1] <= cy <= outer[1] + outer[3]


def _best_partner(
    sighting: Verified, candidates: Sequence[Verified], min_iou: float
) -> Verified | None:
    """The candidate of the same brand overlapping `sighting` most (IoU > `min_iou`)."""
    best, best_iou = None, min_iou
    for candidate in candidates:
        if candidate.brand != sighting.brand:
            continue
        overlap = box_iou(candidate.box, sighting.box)
        if overlap > best_iou:
            best, best_iou = candidate, overlap
    return best


def _voucher(sighting: Verified, confirmations: Sequence[Verified]) -> Verified | None:
    """The first confirmation of the sighting's brand whose centre lies in its box."""
    x, y, w, h = sighting.box
    for candidate in confirmations:
        cx = candidate.box[0] + candidate.box[2] / 2
        cy = candidate.box[1] + candidate.box[3] / 2
        if candidate.brand == sighting.brand and x <= cx <= x + w and y <= cy <= y + h:
            return candidate
    return None


def overlaps(a: Box, b: Box) -> bool:
    """Whether the boxes intersect at all."""
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def box_iou(a: Box, b: Box) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0
