"""A `LogoMatcher` that searches a full frame only where the heatmap net proposes.

The whole-frame SIFT search is most of the pipeline's cost (~290 ms per 720p frame). Here a
net (~10 ms per frame, nearly independent of the library's size) proposes a few regions, and
each is verified by `LogoMatcher.match_region`, zoomed as the pipeline's own re-verification
is: sightings still pass the matcher's geometric and appearance checks, so precision is the
matcher's. Anything narrower than a frame (the pipeline's zoomed crops, an upload's
detectability check) goes to the plain matcher. Measured on the logo kit's REPORT_SEED 1402
(logo_eval_bench, net trained by `train.train` for the kit's library): pipeline precision
0.992 -> 0.992, recall 0.599 -> 0.623, CPU median 224 -> 144 ms per frame.

The net's weights belong to one library: they are looked up under the key of the references
the matcher holds (`weights.library_key`) after every change of the library, and re-tried
every `retry_seconds` while missing. Until they exist the frame is searched whole, as without
this class: a library without weights costs CPU, never recall.

Loading a net and converting its Lite copy take seconds (more under load), so neither runs on
a frame: a background thread does both, started when the library changes, when `use` is given
a net, and when a frame finds the net missing (at most every `retry_seconds`) or not yet
converted for its shape. What a frame does meanwhile is `ProposalConfig.wait_for_net`'s choice.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import structlog
from pydantic import BaseModel, ConfigDict, Field

from sightline_analysis.frames import Image
from sightline_analysis.logo.learned.model import (
    INPUT_WIDTH,
    Box,
    Candidate,
    HeatmapNet,
    Probabilities,
    input_rows,
)
from sightline_analysis.logo.learned.model import candidates as model_candidates
from sightline_analysis.logo.learned.synth import STRIDE
from sightline_analysis.logo.learned.train import TrainingRecipe
from sightline_analysis.logo.learned.weights import WeightsStore, library_key, reference_digest
from sightline_analysis.logo.matcher import LogoMatch, LogoMatcher, MatcherConfig
from sightline_common.errors import StorageAccessDeniedError, StorageUnavailableError

log = structlog.get_logger(__name__)


class ProposalConfig(BaseModel):
    """How net proposals are turned into regions to verify (tuned on the kit's seed 1401)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    recipe: TrainingRecipe = TrainingRecipe()
    min_score: float = Field(default=0.5, gt=0.0, le=1.0)
    """A proposal's peak probability must reach this."""
    max_proposals: int = Field(default=4, ge=1)
    """The best-scored proposals verified per frame."""
    max_searched: int = Field(default=2, ge=1)
    """Of those, the best-scored searched by SIFT (`search`, ~15 CPU-ms a region); the others
    are left to the pipeline's other checks of a proposal (blurred start, zoomed read). Tune
    seed 1401 (kit replay, every region searched): the first proposal verified its brand in
    101 of 232 searches, the second 18 of 168, the third 1 of 100, the fourth 0 of 54. 4 -> 2
    (one process, alternating per clip, load 5-15, nproc 2): 1401 table identical (0.984 /
    0.807, 42/51), CPU 26.15 -> 23.77 s over 273 frames, median 78.4 -> 77.0 ms; 1403 the
    same bins (1.000 / 0.825, 40/48; one clip's IoU 0.85 -> 0.84), 28.94 -> 27.03 s, median
    102.2 -> 93.2 ms. `max_proposals` 4 -> 2 instead lost 1401's motion-blurred HELIX (the
    starter's third and fourth proposals)."""
    min_width: float = Field(default=42.0, ge=0.0)
    """Proposals narrower than this (frame pixels; 5 heatmap cells at 720p) are noise."""
    margin: float = Field(default=0.3, ge=0.0)
    """A proposal is grown by this share of its size on each side, plus `margin_px`."""
    margin_px: float = Field(default=24.0, ge=0.0)
    min_frame_width: int = Field(default=960, ge=1)
    """Images narrower than this are crops (zoomed re-verification): plain matcher."""
    retry_seconds: float = Field(default=30.0, gt=0.0)
    """How often storage is asked again for weights that were missing."""
    wait_for_net: bool = True
    """Whether a whole frame that arrives while the library's net is being loaded or converted
    (on the background thread) waits for it. True (the default): it waits, so what a stretch
    of footage reports never depends on how loaded the machine was when it was analysed (a
    reanalysis of the same segments finds the same sightings); the thread starts when the
    library changes, so a frame rarely finds it still busy. False: such a frame is searched
    whole, as while weights are missing, at whole-frame CPU (~290 ms per 720p frame), for a
    deployment that would rather not hold a segment back for the conversion's second or two."""


@dataclass(frozen=True)
class ZoomedView:
    """The net's look at a whole frame shown `zoom` times larger (`ProposalMatcher.
    view_zoomed`): its proposals (frame pixels) and, from a `HeatmapNet`, its probabilities
    (per cell, the frame pixels per input pixel, the class names) for `peak`."""

    zoom: float
    proposals: list[Candidate]
    heatmap: tuple[Probabilities, tuple[float, float], list[str]] | None = None

    def peak(self, candidate: Candidate) -> float | None:
        """The net's peak probability of `candidate`'s brand inside its box: what
        `ProposalMatcher.second_look` at this `zoom` asks of a crop around it, without
        another pass. None without probabilities (a stand-in net)."""
        if self.heatmap is None:
            return None
        probs, scale, names = self.heatmap
        return _peak(probs, scale, names.index(candidate.brand) + 1, candidate.box, (0, 0))


class ProposalMatcher(LogoMatcher):
    """A `LogoMatcher` whose whole-frame search is net proposals verified region by region."""

    def __init__(
        self,
        config: MatcherConfig | None = None,
        proposals: ProposalConfig | None = None,
        weights: WeightsStore | None = None,
    ) -> None:
        super().__init__(config)
        self.proposals = proposals or ProposalConfig()
        self._weights = weights
        self._digests: dict[str, tuple[str, str]] = {}
        self._key: tuple[dict[str, tuple[str, str]], TrainingRecipe, str] | None = None
        """`_digests` (the very dict: it is replaced, never changed), the recipe and their
        library key, which every net call asks for (684 calls on 273 kit frames)."""
        self._net: HeatmapNet | None = None
        self._net_key: str | None = None
        self._next_lookup = 0.0
        self._net_lock = threading.Lock()
        self._idle = threading.Condition(self._net_lock)
        """Notified when the background thread has nothing left to do."""
        self._worker: threading.Thread | None = None
        self._lookup: str | None = None
        """A library key whose net the background thread is to load."""
        self._shapes = {(input_rows(16, 9), INPUT_WIDTH)}
        """The input shapes (rows, width) frames asked for (16:9 from the start: most
        streams')."""

    def add(self, logo_id: str, brand: str, image: Image) -> None:
        """As `LogoMatcher.add`; the net's weights are looked up again for the new library."""
        super().add(logo_id, brand, image)
        with self._net_lock:
            self._digests = {**self._digests, logo_id: (brand, reference_digest(image))}
            self._library_changed()

    def remove(self, logo_id: str) -> None:
        """As `LogoMatcher.remove`; the net's weights are looked up again for the new library."""
        super().remove(logo_id)
        with self._net_lock:
            self._digests = {k: v for k, v in self._digests.items() if k != logo_id}
            self._library_changed()

    @property
    def library_key(self) -> str:
        """The key the held references' weights are stored under (hashed once per library)."""
        digests, recipe, known = self._digests, self.proposals.recipe, self._key
        if known is None or known[0] is not digests or known[1] is not recipe:
            known = (digests, recipe, library_key(digests.values(), recipe))
            self._key = known
        return known[2]

    @property
    def net_key(self) -> str | None:
        """The key of the net in use, None while frames are searched whole."""
        return self._net_key if self._net is not None else None

    def use(self, net: HeatmapNet | None, key: str | None = None) -> None:
        """Propose with `net` (weights for the library under `key`, the current one by
        default); None searches frames whole again."""
        with self._net_lock:
            self._net = net
            self._net_key = key or self.library_key
            self._next_lookup = time.monotonic() + self.proposals.retry_seconds
            self._lookup = None
            if net is not None:
                self._start()

    def wait_until_idle(self) -> None:
        """Return once the background thread has loaded and converted what was asked of it."""
        with self._net_lock:
            while self._worker is not None:
                self._idle.wait()

    def match(self, frame: Image) -> list[LogoMatch]:
        """The brands verified in `frame`: where the net proposes when it has weights for the
        library and `frame` is a whole frame, else as `LogoMatcher.match`."""
        proposed = self.propose(frame)
        return super().match(frame) if proposed is None else self.verify(frame, proposed)

    def match_whole(self, frame: Image) -> list[LogoMatch]:
        """`LogoMatcher.match`: `frame` searched whole, without asking for the net (for a
        caller that `propose`d and got None)."""
        return super().match(frame)

    def propose(self, frame: Image) -> list[Candidate] | None:
        """Everything the net sees in `frame` (every candidate, before `min_score`,
        `min_width` and `max_proposals`), or None when `frame` is not searched by the net (a
        crop, a library without weights). A caller that also wants to know where the net
        points (the pipeline's OCR channel) proposes once and `verify`s the result."""
        if frame.shape[1] < self.proposals.min_frame_width:
            return None
        net = self._current_net(input_rows(frame.shape[1], frame.shape[0]))
        return None if net is None else net(frame)

    def verify(self, frame: Image, proposed: Sequence[Candidate]) -> list[LogoMatch]:
        """The brands verified in `frame` where `proposed` (its `propose`) points: the
        best-scored proposals that are sure and wide enough, each of the first `max_searched`
        regions searched by `LogoMatcher.match_region`."""
        return most_confident(m for each in self.search(frame, self.candidates(proposed))
                              for m in each)  # fmt: skip

    def search(self, frame: Image, candidates: Sequence[Candidate]) -> list[list[LogoMatch]]:
        """The sightings `LogoMatcher.match_region` verifies around each of `candidates` (as
        `candidates` returns them), one list per candidate: which proposals held up (none for
        those after the first `max_searched`, which are not searched)."""
        searched = self.proposals.max_searched
        return [self.match_region(frame, self._grown(c.box)) if rank < searched else []
                for rank, c in enumerate(candidates)]  # fmt: skip

    def second_look(self, frame: Image, candidate: Candidate, zoom: float) -> float | None:
        """The net's peak probability of `candidate`'s brand inside its box when the net sees
        `frame` enlarged `zoom` times around it (a crop of 1/`zoom` of the frame, same
        aspect, so the net's converted copy for the frame's shape serves), None without a
        net (or with a stand-in that is no `HeatmapNet`, in tests).
        At the frame's scale a logo is ~22-75 px in the net's input and its detail is mostly
        gone; twice as large, the net sees the letters, and on the kit's tune seed it stays
        sure (>= 0.98) of most proposals that are the brand, while its sure proposals of
        other logos and clutter mostly drop below that (see `net_start.SecondLook`). A frame
        the net saw whole at `zoom` already (`view_zoomed`) answers from that pass instead
        (`ZoomedView.peak`)."""
        height, width = frame.shape[:2]
        net = self._current_net(input_rows(width, height))
        if not isinstance(net, HeatmapNet):
            return None
        crop_w, crop_h = round(width / zoom), round(height / zoom)
        x, y, w, h = candidate.box
        left = int(min(max(0.0, x + w / 2 - crop_w / 2), width - crop_w))
        top = int(min(max(0.0, y + h / 2 - crop_h / 2), height - crop_h))
        probs, scale = net.heatmap(
            np.ascontiguousarray(frame[top : top + crop_h, left : left + crop_w])
        )
        return _peak(probs, scale, net.names.index(candidate.brand) + 1, candidate.box, (left, top))

    def view_zoomed(self, frame: Image, zoom: float) -> ZoomedView | None:
        """What the net sees in `frame` shown `zoom` times larger: the whole frame reduced to
        `zoom` x `INPUT_WIDTH` (rounded to a multiple of 16, which the net's /16 stage needs)
        in one pass, boxes in frame pixels; None without a net.
        At the frame's scale a thin-stroked or small logo is a few cells of the net's input
        and often not proposed at all, while the net shown it twice as large is sure of it
        (see `zoomed.py`). The net is convolutional, so one pass over the frame at 960 px sees
        what nine overlapping tiles of half the frame at 480 px each saw, for the pixels of
        four: kit seed 1403's 267 frames (one process, load ~6, nproc 2), ~22 CPU-ms a frame
        against ~57 for the nine tiles; of the must-find instances it proposed the brand over
        236 against the tiles' 240 of 251 (at `ZoomedConfig.min_score`), and ~25 % fewer
        proposals of the brand-less clutter tile edges cut into strokes (152 at places the
        tiles had none, 532 the other way)."""
        width = round(INPUT_WIDTH * zoom / 16) * 16
        net = self._current_net(input_rows(frame.shape[1], frame.shape[0], width), width)
        if net is None:
            return None
        if not isinstance(net, HeatmapNet):  # a stand-in (tests): its proposals only
            return ZoomedView(zoom, net(frame, width))
        probs, scale = net.heatmap(frame, width)
        proposals = model_candidates(probs, net.names, scale, net.threshold)
        return ZoomedView(zoom, proposals, (probs, scale, net.names))

    def candidates(self, proposed: Sequence[Candidate]) -> list[Candidate]:
        """The proposals checked (`verify` searches the first `max_searched`): the best-scored
        `max_proposals` of those that are sure (`min_score`) and wide (`min_width`) enough,
        best first."""
        cfg = self.proposals
        return sorted(
            (c for c in proposed if c.score >= cfg.min_score and c.box[2] >= cfg.min_width),
            key=lambda c: -c.score,
        )[: cfg.max_proposals]

    def logo_ids_of(self, brand: str) -> list[str]:
        """The held references of `brand` (a net proposal names a brand, not a reference)."""
        return sorted(k for k, (b, _) in self._digests.items() if b == brand)

    def _grown(self, box: Box) -> Box:
        x, y, w, h = box
        dx = w * self.proposals.margin + self.proposals.margin_px
        dy = h * self.proposals.margin + self.proposals.margin_px
        return x - dx, y - dy, w + 2 * dx, h + 2 * dy

    def _current_net(self, rows: int, width: int = INPUT_WIDTH) -> HeatmapNet | None:
        """The net for the library as it is now, ready for `rows` x `width` inputs
        (`input_rows`); None while there is none (looked up again every `retry_seconds`) and,
        unless `wait_for_net`, while the background thread loads or converts it."""
        with self._net_lock:
            if not self._digests:
                return None
            key = self.library_key
            if key != self._net_key:
                self._library_changed()
            now = time.monotonic()
            if self._net is None and self._weights is not None and now >= self._next_lookup:
                self._next_lookup = now + self.proposals.retry_seconds
                self._lookup = key
                self._start()
            if self._net is not None and not _ready(self._net, rows, width):
                self._shapes.add((rows, width))
                self._start()
            if self.proposals.wait_for_net:
                while self._worker is not None:
                    self._idle.wait()
            net = self._net if self._net_key == key else None
            return net if net is not None and _ready(net, rows, width) else None

    def _library_changed(self) -> None:
        """Drop the net of the previous library and have the new one's looked up (under
        `_net_lock`)."""
        self._net, self._net_key = None, self.library_key
        self._next_lookup = time.monotonic() + self.proposals.retry_seconds
        if self._weights is not None and self._digests:
            self._lookup = self._net_key
            self._start()

    def _start(self) -> None:
        """Have the background thread run (under `_net_lock`; one at a time)."""
        if self._worker is None:
            self._worker = threading.Thread(target=self._prepare, name="logo-net", daemon=True)
            self._worker.start()

    def _prepare(self) -> None:
        """The background thread: load the net of the key asked for (the newest, when the
        library changed several times meanwhile) and convert the net in use for every input
        shape asked for, until nothing is left to do."""
        try:
            while True:
                with self._net_lock:
                    key, self._lookup = self._lookup, None
                    net, weights, shapes = self._net, self._weights, sorted(self._shapes)
                    todo = [] if net is None else [s for s in shapes if not _ready(net, *s)]
                    if key is None and not todo:
                        self._worker = None
                        self._idle.notify_all()
                        return
                if key is None:
                    assert net is not None
                    for rows, width in todo:
                        net.prepare(rows, width)
                    continue
                loaded = None if weights is None else self._load(weights, key)
                if loaded is not None:
                    for rows, width in (s for s in shapes if not _ready(loaded, *s)):
                        loaded.prepare(rows, width)
                with self._net_lock:
                    if key == self._net_key:
                        self._net = loaded
        finally:
            with self._net_lock:
                if self._worker is threading.current_thread():
                    self._worker = None
                    self._idle.notify_all()

    def _load(self, weights: WeightsStore, key: str) -> HeatmapNet | None:
        """The stored net for `key`, None when missing or unusable (logged; the frame is then
        searched whole, and storage asked again later)."""
        try:
            net = weights.load(key)
        except StorageUnavailableError as exc:
            log.warning("logo.proposals_unavailable", key=key, reason=str(exc))
            return None
        except StorageAccessDeniedError as exc:  # a login without read access to proposals/
            log.exception("logo.proposals_refused", key=key, reason=str(exc))
            return None
        except (ValueError, OSError) as exc:  # a stored archive Keras cannot read
            log.exception("logo.proposals_unreadable", key=key, reason=str(exc))
            return None
        except ImportError as exc:  # an image without the `tensorflow` extra: stop asking
            log.exception("logo.proposals_off", reason=str(exc))
            self._weights = None
            return None
        if net is None:
            log.info("logo.proposals_missing", key=key, fallback="whole-frame search")
        else:
            log.info("logo.proposals_loaded", key=key, brands=len(net.names))
        return net


def _ready(net: HeatmapNet, rows: int, width: int) -> bool:
    """Whether `net` runs `rows` x `width` inputs without converting first (a stand-in for a
    net that is no `HeatmapNet`, in tests, needs no conversion)."""
    return net.ready(rows, width) if isinstance(net, HeatmapNet) else True


def _peak(
    probs: Probabilities,
    scale: tuple[float, float],
    channel: int,
    box: Box,
    origin: tuple[int, int],
) -> float | None:
    """The peak of `probs`' `channel` over the cells under `box` (frame pixels) of a heatmap
    of the image whose top-left corner is `origin` in the frame (`scale`: frame pixels per
    input pixel); None when the box covers no cell."""
    cell_x, cell_y = scale[0] * STRIDE, scale[1] * STRIDE
    x, y, w, h = box
    left, top = origin
    rows = slice(max(0, int((y - top) / cell_y)), max(0, math.ceil((y + h - top) / cell_y)))
    cols = slice(max(0, int((x - left) / cell_x)), max(0, math.ceil((x + w - left) / cell_x)))
    inside = probs[rows, cols, channel]
    return float(inside.max()) if inside.size else None


def most_confident(matches: Iterable[LogoMatch]) -> list[LogoMatch]:
    """The most confident of `matches` per brand (several proposals may verify one brand)."""
    best: dict[str, LogoMatch] = {}
    for match in matches:
        if match.brand not in best or match.confidence > best[match.brand].confidence:
            best[match.brand] = match
    return list(best.values())
