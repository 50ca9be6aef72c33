"""Tracks started where the proposal net sees a brand that the matcher could not verify.

A motion-blurred or defocused logo has no SIFT keypoints left, so the matcher never verifies
it and, since tracks only start on a verification, its whole appearance is lost, although the
proposal net (trained on blurred crops too) points at it. Here such a proposal starts a track
when the brand's reference, blurred by a short line kernel (`blurred.py`), fits the picture
there, and the picture measures blurred (`clarity.sharpness`). The second condition is what
makes the fit evidence: blurred, a reference has lost the detail that tells it from a
look-alike or a smooth blob, so on a sharp picture (which the matcher saw and rejected) it
fits those as well as the logo. A blurred picture is what the matcher cannot judge, and only
there does the starter speak.

A sharp-ish logo that SIFT still refuses (a thin-stroked mark in low contrast, clutter over
it, a mild defocus) gets a second look (`SecondLook`) that needs three kinds of evidence at
once, none of them keypoints: the net, shown the frame twice as large around the proposal,
is sure of the brand; the reference fits there; and every textured window of the reference
agrees with the frame where it fits (the region check that rejects look-alikes in the
matcher). Each alone is fooled on the tune seed (a blurred reference fits clutter, the
zoomed net is sure of clutter, a smooth mark's windows agree with smooth background); only
together did they part the brand from look-alikes and clutter there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from sightline_analysis.frames import Image
from sightline_analysis.logo.blurred import BlurConfig, BlurMatch, best_blurred, without_box
from sightline_analysis.logo.clarity import sharpness
from sightline_analysis.logo.learned.model import Candidate
from sightline_analysis.logo.learned.proposals import ProposalMatcher
from sightline_analysis.logo.regions import RegionTemplate, worst_region
from sightline_analysis.logo.tracker import Box, overlaps

_ANY_AGREEMENT = 0.5  # a check's key in `Fitted`: the search is the same at any agreement
Fitted = dict[tuple[Box, str, BlurConfig], BlurMatch | None]
"""`blurred.best_blurred` of a box, reference and check (its `min_agreement` left out), kept
for the frame's other checks of the box (the second look's differs only in that)."""
Look = Callable[[Candidate], float | None]
"""The net's probability of a candidate's brand in its box, the frame enlarged around it
(`ProposalMatcher.second_look`); None when there is no net to ask."""


class SecondLook(BaseModel):
    """When a proposal no other check started starts a track on three kinds of evidence
    (module docstring). Tune seed 1401, every proposal the starter saw and did not start (kit
    replay): the 13 where the brand was shown and missed, 317 where it was not shown at all.
    The three thresholds together kept 4 of the 13 (helix in low contrast, under clutter, at
    the frame's edge, entering a pan) and none of the 317; the nearest of those (quill in
    clutter) reached 0.97 with the zoomed net."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    enabled: bool = True
    zoom: float = Field(default=2.0, ge=1.0)
    """How much larger the net sees the frame around the proposal."""
    min_probability: float = Field(default=0.98, gt=0.0, le=1.0)
    """The zoomed net's peak probability of the brand inside the proposal's box."""
    min_agreement: float = Field(default=0.8, gt=0.0, lt=1.0)
    """The reference's fit (the starter's blurred check) near the proposal."""
    held_agreement: float = Field(default=0.7, gt=0.0, lt=1.0)
    """With `NetStartConfig.confirm`, a fit from this up to `min_agreement` (the zoomed net
    and every window as sure) starts a held track, reported once a later frame confirms it.
    Kit replays (tune seeds, the nets of 4 training draws), proposals the zoomed net was
    sure of that no check started: fits of 0.70-0.80 with every window >= 0.7 were the
    brand 4 times (helix entering at the frame's edge under an occluding word, twice;
    rotated helix; tilted nimbus), never anything else (the best window of those: 0.69)."""
    min_region: float = Field(default=0.7, gt=-1.0, le=1.0)
    """The worst window correlation (`regions.worst_region`) where the reference fits."""
    region_shift: int = Field(default=4, ge=0)
    """Pixels (at the region template's width) each window may shift: the fit's box comes
    from a coarse search, not a homography."""


class NetStartConfig(BaseModel):
    """When a net proposal the matcher did not verify starts a track (only with a
    `ProposalMatcher`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    enabled: bool = True
    min_score: float = Field(default=0.95, gt=0.0, le=1.0)
    """The net's peak probability an unverified proposal needs to be checked."""
    confidence: float = Field(default=0.6, gt=0.0, le=1.0)
    """A started sighting's confidence is the fit times this (below a SIFT verification)."""
    blurred: BlurConfig = BlurConfig(
        lengths=(0.0, 6.0, 12.0, 18.0),
        scales=(0.35, 0.5, 0.7, 0.8, 0.9, 1.0, 1.1, 1.25),
        margin=0.35,
        rotations=(-10.0, 10.0),
    )
    """The check; the net's boxes are coarse, so it searches more sizes and a wider margin
    (down to a third: on tune seed 1401 the net boxed a 189-px blurred logo with its
    surroundings in 576 px). Kernels up to 18 px (the kit's pans blur 8-22 px): on 1401 the
    18-px kernel started the mixed clip's tilted, blurred volta (recall 0.744 -> 0.758, no
    false bin more); up to 24 px fitted clutter in the logo-free clip and, even with the
    sharpness gate, lost recall (0.709 -> 0.677 in session 10). The reference is also tried
    turned by 10 deg either way (the kit rotates logos up to 15 deg, and a rotated blurred
    logo no longer fits the upright reference): kit replay of 1401 0.988/0.758 39/51 ->
    0.989/0.776 40/51 (session 12; the same rotations in the tracker's check added only
    0.004 more recall for ~8 s more CPU over the 273 frames, so they stay there off)."""
    max_sharpness: float = Field(default=0.63, gt=0.0, le=1.0)
    """The picture where the blurred reference fits must measure blurred (`clarity.sharpness`
    below this, the least sharp in-focus logo clarity.py measured on the kit's designs): a
    sharp picture the matcher rejected is a look-alike or clutter that the reference, its
    detail blurred away, fits as well as a blurred logo (tune seed 1401: every false start,
    a sharp look-alike or disc, measured 0.79-0.82; the true ones 0.36-0.61)."""
    fit_sharpness: float = Field(default=0.7, gt=0.0, le=1.0)
    """A sure proposal whose own box (the net's, coarse, with some of the logo's surroundings)
    measures sharper than this (`clarity.sharpness`) is not fitted for a blurred start: the
    fit's box lies inside it and would measure sharp too (`max_sharpness`), so the start is
    refused anyway, after the costliest fit (8 sizes, 2 turns: ~0.1-0.3 CPU-s). Tune seed
    1401 (kit replay, nproc 2): of 86 sure proposals fitted, the sharpest box that started
    measured 0.66 and none of the 24 above 0.72 did; they were a third of the starter's CPU.
    The second look still fits such a proposal when the zoomed net is sure of it. 1 turns
    this off."""
    deep_sharpness: float = Field(default=0.45, ge=0.0, le=1.0)
    """Where no start was found, a proposal whose box measures below this sharpness (blurred
    past what the check models: the kit's pans reach 22 px, the longest kernel is 18, and a
    thin-stroked logo blurred that far is all silhouette) is checked once more with
    `deep_agreement` and `deep_detail`, and starts where the fit's picture is as blurred.
    0 turns this off."""
    deep_agreement: float = Field(default=0.72, gt=0.0, lt=1.0)
    """The fit the deeply blurred check needs."""
    deep_detail: float = Field(default=0.0, ge=0.0, lt=1.0)
    """The detail over the silhouette the deeply blurred check needs (the check's own
    `min_detail` is 0.1)."""
    second_look: SecondLook = SecondLook()
    """A proposal (of any score) that the blurred checks did not start, looked at again."""
    confirm: bool = True
    """A blurred start whose proposal the zoomed net (the second look's, at its
    `min_probability`) is not sure of starts a held track, reported only once a later frame
    confirms it (a verification, another start, or a net proposal at its place: the
    tracker's `confirm_score`), and then from the frame it started on (`tracker.py`); so
    does a second look on a marginal fit (`SecondLook.held_agreement`). On one frame,
    clutter fools the net and the blurred fit together, on the next rarely, while
    the net keeps proposing a blurred logo where it is. The tracker's own blur check does not
    confirm (the same fit). Kit replays of the tune seeds with the nets of four training
    draws: the zoomed net gave the 213 blurred starts on the brand 0.90-1.00 (most >= 0.98)
    and the false ones 0.35-0.75 (diagonal stripes, part of a letter) or had no proposal
    around the fit (a blotchy background); the draw whose net proposes clutter surely had
    17 false bins on 1401 + 1403, 9 with the held starts (and `tracker`'s proposal-bound
    coasting), the same appearances and recall."""


@dataclass(frozen=True)
class NetStart:
    """A track to start: the brand, its best-fitting reference and where it fits; `sure`:
    the zoomed net is sure of it too (the second look's, or a blurred start's proposal
    looked at again), so no later frame needs to confirm it (`NetStartConfig.confirm`)."""

    brand: str
    logo_id: str
    found: BlurMatch
    sure: bool = False


def net_starts(
    gray: Image,
    matcher: ProposalMatcher,
    candidates: Sequence[Candidate],
    held: Sequence[tuple[str, Box]],
    config: NetStartConfig,
    *,
    tracked: Sequence[tuple[str, Box]] = (),
    look: Look | None = None,
) -> list[NetStart]:
    """The starts among `candidates` (the net's proposals searched in the full-resolution grey
    frame `gray`): sure ones (`min_score`) overlapping no `held` box of their brand (brand,
    frame-pixel box: the frame's verified sightings) nor an earlier start, where a reference
    of the brand, blurred, fits and the picture measures blurred (a proposal whose own box
    measures sharper than `config.fit_sharpness` is not fitted). On a proposal over a
    `tracked` box of its brand (a live track no channel verified on this frame) the track
    gives the logo's size: only that size and its neighbours are tried, upright (a third of
    the sizes, no turns: the check runs on every frame such a track coasts). With `look`,
    any candidate that did not start so gets `config.second_look`."""
    out: list[NetStart] = []
    fitted: Fitted = {}
    looked = config.second_look
    floor = (
        min(looked.held_agreement, looked.min_agreement) if config.confirm else looked.min_agreement
    )
    for candidate in candidates:
        taken = [*held, *((s.brand, s.found.box) for s in out)]
        if any(brand == candidate.brand and overlaps(box, candidate.box) for brand, box in taken):
            continue
        check = _check(config.blurred, candidate, tracked)
        start = None
        sure = candidate.score >= config.min_score
        clarity = sharpness(gray, candidate.box) if sure else None
        if sure and (clarity is None or clarity <= config.fit_sharpness):
            fits = _fits(gray, candidate, matcher, check, fitted)
            start = _start(gray, candidate.brand, fits, config.max_sharpness)
        if start is None and clarity is not None and clarity < config.deep_sharpness:
            deep = check.model_copy(update={"min_agreement": config.deep_agreement,
                                            "min_detail": config.deep_detail})  # fmt: skip
            fits = _fits(gray, candidate, matcher, deep, fitted)
            start = _start(gray, candidate.brand, fits, config.deep_sharpness)
        if start is not None and config.confirm and look is not None:
            probability = look(candidate)
            sure = probability is not None and probability >= config.second_look.min_probability
            start = replace(start, sure=sure)
        if start is None and look is not None and config.second_look.enabled:
            start = _second_look(gray, candidate, matcher, (check, fitted), look, looked,
                                 floor)  # fmt: skip
        if start is not None:
            out.append(start)
    return out


def _second_look(  # noqa: PLR0917 - the candidate, where to look, and how
    gray: Image,
    candidate: Candidate,
    matcher: ProposalMatcher,
    check: tuple[BlurConfig, Fitted],
    look: Look,
    config: SecondLook,
    floor: float,
) -> NetStart | None:
    """The start of `candidate`'s brand where the zoomed net is sure of it, a reference fits
    (`check`, with the frame's fits so far, at `floor`: sure from `config.min_agreement`)
    and every textured window of that reference agrees with the frame there; the zoomed net
    first (one small net pass, against tens of blurred reference views for the fit)."""
    probability = look(candidate)
    if probability is None or probability < config.min_probability:
        return None
    loose = check[0].model_copy(update={"min_agreement": floor})
    for found, logo_id in sorted(_fits(gray, candidate, matcher, loose, check[1]),
                                 key=lambda fit: -fit[0].agreement):  # fmt: skip
        worst = region_agreement(gray, matcher.region_template(logo_id), found.box,
                                 config.region_shift, enough=config.min_region)  # fmt: skip
        if worst is not None and worst >= config.min_region:
            sure = found.agreement >= config.min_agreement
            return NetStart(candidate.brand, logo_id, found, sure=sure)
    return None


def region_agreement(
    gray: Image, reference: RegionTemplate, box: Box, shift: int, *, enough: float | None = None
) -> float | None:
    """`regions.worst_region` of `reference` (its mark alone when it lies on a flat box, as
    the blurred check compares it) stretched over `box` (frame pixels) of the grey frame;
    with `enough`, only whether it reaches that is answered exactly (`worst_region`'s)."""
    template = without_box(reference)
    x, y, w, h = box
    width, height = template.size
    to_frame = np.array([[w / width, 0.0, x], [0.0, h / height, y], [0.0, 0.0, 1.0]])
    return worst_region(template, (width, height), gray, to_frame, shift, enough=enough)


def _fits(
    gray: Image, candidate: Candidate, matcher: ProposalMatcher, check: BlurConfig,
    fitted: Fitted,
) -> list[tuple[BlurMatch, str]]:  # fmt: skip
    """(blurred fit, logo id) for each reference of the proposal's brand that `check` fits,
    each box, reference and search fitted once per frame (`fitted`)."""
    out = []
    search = check.model_copy(update={"min_agreement": _ANY_AGREEMENT})
    for logo_id in matcher.logo_ids_of(candidate.brand):
        key = (candidate.box, logo_id, search)
        if key not in fitted:
            fitted[key] = best_blurred(gray, candidate.box, matcher.region_template(logo_id),
                                       check)  # fmt: skip
        found = fitted[key]
        if found is not None and found.agreement >= check.min_agreement:
            out.append((found, logo_id))
    return out


def _start(
    gray: Image, brand: str, fits: Sequence[tuple[BlurMatch, str]], max_sharpness: float
) -> NetStart | None:
    """The start of `brand` at the best of `fits` (blurred fit, logo id) when the picture
    there measures below `max_sharpness`."""
    if not fits:
        return None
    found, logo_id = max(fits, key=lambda fit: fit[0].agreement)
    clarity = sharpness(gray, found.box)
    if clarity is None or clarity >= max_sharpness:
        return None
    return NetStart(brand, logo_id, found)


def _check(
    config: BlurConfig, candidate: Candidate, tracked: Sequence[tuple[str, Box]]
) -> BlurConfig:
    """`config`, or for a proposal over a tracked box of its brand, `config` at the track's
    size (relative to the proposal's width) and its neighbours, upright."""
    widths = [box[2] for brand, box in tracked
              if brand == candidate.brand and overlaps(box, candidate.box)]  # fmt: skip
    if not widths:
        return config
    relative = max(widths) / max(candidate.box[2], 1.0)
    return config.model_copy(
        update={"scales": (0.9 * relative, relative, 1.1 * relative), "rotations": ()}
    )
