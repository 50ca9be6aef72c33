"""ProposalMatcher: a whole frame is searched only where the net proposes; crops, and a
library without weights, go to the plain matcher."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pytest

from sightline_analysis.analyzers import AnalyzerContext, AnalyzerRegistry
from sightline_analysis.frames import Frame, Image
from sightline_analysis.logo import pipeline as pipeline_module
from sightline_analysis.logo.learned import proposals as proposals_module
from sightline_analysis.logo.learned.model import Candidate
from sightline_analysis.logo.learned.proposals import ProposalConfig, ProposalMatcher
from sightline_analysis.logo.learned.train import TrainingRecipe
from sightline_analysis.logo.learned.weights import WeightsStore, library_key
from sightline_analysis.logo.matcher import LogoMatch, LogoMatcher, iou
from sightline_analysis.logo.net_start import Look, NetStart, NetStartConfig, net_starts
from sightline_analysis.logo.pipeline import LogoPipeline, PipelineConfig
from sightline_analysis.logo.tracker import Box
from sightline_analysis.logo.wordmark import WordmarkConfig
from sightline_analysis.synthetic import Placement, background, composite, make_logo
from sightline_common.errors import StorageAccessDeniedError

from .unzoomed import UNZOOMED

ACME = make_logo("ACME", seed=1)
FRAME, _PASTED = composite(background(5, (1280, 720)), ACME, Placement((900, 250), 220, 6))
TRUTH = (_PASTED[0], _PASTED[1], _PASTED[2], _PASTED[3])


@dataclass
class ProposingNet:
    """Stands in for the trained net (pure logic): proposes fixed boxes, counts its calls."""

    proposals: list[Candidate]
    names: list[str] = field(default_factory=lambda: ["acme"])
    calls: int = 0

    def __call__(self, image: Image) -> list[Candidate]:
        self.calls += 1
        return self.proposals


def matcher_with(net: ProposingNet | None) -> ProposalMatcher:
    matcher = ProposalMatcher(proposals=ProposalConfig(max_proposals=2, min_score=0.6))
    matcher.add("acme-1", "acme", ACME)
    if net is not None:
        matcher.use(net)  # type: ignore[arg-type]
    return matcher


def test_a_proposal_on_the_logo_is_verified_there() -> None:
    x, y, w, h = TRUTH
    net = ProposingNet([Candidate("acme", (x + 10, y + 5, w - 20, h - 10), 0.9, 12)])
    (found,) = matcher_with(net).match(FRAME)
    assert found.brand == "acme"
    assert iou(found.box, TRUTH) > 0.7
    assert net.calls == 1


def test_without_a_proposal_there_the_logo_is_not_searched_for() -> None:
    elsewhere = Candidate("acme", (40.0, 400.0, 200.0, 100.0), 0.95, 12)
    weak = Candidate("acme", TRUTH, 0.5, 12)  # below min_score
    narrow = Candidate("acme", (TRUTH[0], TRUTH[1], 30.0, TRUTH[3]), 0.99, 2)  # below min_width
    assert matcher_with(ProposingNet([elsewhere, weak, narrow])).match(FRAME) == []


def test_only_the_best_max_searched_candidates_are_searched_by_sift() -> None:
    """The third candidate is still a candidate (the starter and the zoomed read check it),
    but the region search, which rarely verifies it, leaves it out."""
    elsewhere = [Candidate("acme", (40.0 + 300 * k, 400.0, 200.0, 100.0), 0.99, 12) for k in (0, 1)]
    on_logo = Candidate("acme", TRUTH, 0.9, 12)
    matcher = ProposalMatcher(proposals=ProposalConfig(max_proposals=3))
    matcher.add("acme-1", "acme", ACME)
    proposed = [*elsewhere, on_logo]
    assert matcher.candidates(proposed) == proposed
    assert matcher.search(FRAME, proposed) == [[], [], []]
    assert matcher.search(FRAME, [on_logo])[0][0].brand == "acme"


def test_candidates_are_the_sure_wide_best_proposals_and_logo_ids_name_a_brand() -> None:
    best = Candidate("acme", (40.0, 400.0, 200.0, 100.0), 0.95, 12)
    second = Candidate("acme", (860.0, 230.0, 160.0, 80.0), 0.8, 12)
    third = Candidate("acme", (600.0, 100.0, 120.0, 60.0), 0.7, 12)  # beyond max_proposals
    weak = Candidate("acme", (860.0, 230.0, 160.0, 80.0), 0.5, 12)
    narrow = Candidate("acme", (860.0, 230.0, 30.0, 80.0), 0.99, 2)
    matcher = matcher_with(None)
    assert matcher.candidates([weak, third, narrow, second, best]) == [best, second]
    assert matcher.logo_ids_of("acme") == ["acme-1"]
    assert matcher.logo_ids_of("other") == []


def test_crops_and_a_library_without_weights_use_the_plain_matcher() -> None:
    net = ProposingNet([])
    matcher = matcher_with(net)
    x, y, w, h = (int(v) for v in TRUTH)
    crop = np.ascontiguousarray(FRAME[y - 40 : y + h + 40, x - 60 : x + w + 60])
    assert [m.brand for m in matcher.match(crop)] == ["acme"]
    assert net.calls == 0  # narrower than a frame: never proposed on
    plain = matcher_with(None)
    assert plain.net_key is None
    assert [m.brand for m in plain.match(FRAME)] == ["acme"]


def test_a_changed_library_drops_the_net_until_its_own_weights_are_found() -> None:
    net = ProposingNet([])
    matcher = matcher_with(net)
    key = matcher.library_key
    assert matcher.net_key == key
    assert matcher.match(FRAME) == []  # the net proposes nothing
    matcher.add("volt-1", "volt", make_logo("VOLT", seed=2))
    assert matcher.library_key != key
    # No weights store: nothing to load for the new library, so the frame is searched whole.
    assert [m.brand for m in matcher.match(FRAME)] == ["acme"]
    assert matcher.net_key is None
    matcher.remove("volt-1")
    assert matcher.library_key == key


def test_the_library_key_is_hashed_once_per_library_not_per_frame(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hashed: list[int] = []

    def counted(digests: Iterable[tuple[str, str]], recipe: TrainingRecipe) -> str:
        hashed.append(1)
        return library_key(digests, recipe)

    monkeypatch.setattr(proposals_module, "library_key", counted)
    matcher = matcher_with(ProposingNet([]))
    before = len(hashed)
    for _ in range(3):
        matcher.match(FRAME)
    assert len(hashed) == before
    key = matcher.library_key
    matcher.add("volt-1", "volt", make_logo("VOLT", seed=2))
    assert matcher.library_key != key
    assert len(hashed) == before + 1
    key = matcher.library_key
    matcher.proposals = ProposalConfig(recipe=TrainingRecipe(steps=100))
    assert matcher.library_key != key


def test_turning_learned_proposals_on_changes_the_logo_analyzer_fingerprint() -> None:
    registry = AnalyzerRegistry.discover()
    config = {"pipeline": {"wordmark": {"enabled": False}}}
    plain = registry.build("logo", AnalyzerContext(logo_matcher=LogoMatcher()), config)
    learned = registry.build("logo", AnalyzerContext(logo_matcher=ProposalMatcher()), config)
    retrained = registry.build(
        "logo",
        AnalyzerContext(
            logo_matcher=ProposalMatcher(proposals=ProposalConfig(recipe=TrainingRecipe(steps=100)))
        ),
        config,
    )
    assert "proposals" not in plain.describe()
    assert len({plain.fingerprint(), learned.fingerprint(), retrained.fingerprint()}) == 3


class RefusingStore:
    """Object storage that refuses this login every read (a policy without proposals/)."""

    def get_bytes(self, bucket: str, key: str) -> bytes:
        raise StorageAccessDeniedError(f"get {bucket}/{key}: access denied for sightline-test")


def test_weights_the_login_may_not_read_leave_the_frame_searched_whole() -> None:
    weights = WeightsStore(RefusingStore(), "logos")  # type: ignore[arg-type]
    matcher = ProposalMatcher(proposals=ProposalConfig(), weights=weights)
    matcher.add("acme-1", "acme", ACME)
    assert [m.brand for m in matcher.match(FRAME)] == ["acme"]
    assert matcher.net_key is None


class SlowStore:
    """Stands in for the weights store: hands out `net` once `release` is set, and refuses
    to load on `frames`' thread (the one analysing frames)."""

    def __init__(self, net: ProposingNet, frames: threading.Thread) -> None:
        self.net = net
        self.frames = frames
        self.release = threading.Event()

    def load(self, key: str) -> ProposingNet:
        if threading.current_thread() is self.frames:
            raise AssertionError("the net was loaded on the frame's thread")
        assert self.release.wait(60.0), "the test never released the load"
        return self.net


def test_without_waiting_a_frame_is_searched_whole_while_the_net_loads() -> None:
    net = ProposingNet([])
    store = SlowStore(net, threading.current_thread())
    config = ProposalConfig(wait_for_net=False)
    matcher = ProposalMatcher(proposals=config, weights=store)  # type: ignore[arg-type]
    matcher.add("acme-1", "acme", ACME)
    # The load has not finished: the frame neither waits for it nor goes unsearched.
    assert [m.brand for m in matcher.match(FRAME)] == ["acme"]
    assert net.calls == 0
    store.release.set()
    matcher.wait_until_idle()
    assert matcher.match(FRAME) == []  # the net proposes nothing there
    assert (matcher.net_key, net.calls) == (matcher.library_key, 1)


def test_by_default_the_first_frame_waits_for_the_net() -> None:
    net = ProposingNet([])
    store = SlowStore(net, threading.current_thread())
    store.release.set()
    matcher = ProposalMatcher(weights=store)  # type: ignore[arg-type]
    matcher.add("acme-1", "acme", ACME)
    assert matcher.match(FRAME) == []
    assert (matcher.net_key, net.calls) == (matcher.library_key, 1)


class CountingMatcher(ProposalMatcher):
    """A proposal matcher that counts how often it is asked for the net's proposals."""

    proposed = 0

    def propose(self, frame: Image) -> list[Candidate] | None:
        self.proposed += 1
        return super().propose(frame)


def test_the_pipeline_asks_for_proposals_once_a_frame_while_the_net_is_missing() -> None:
    matcher = CountingMatcher()
    matcher.add("acme-1", "acme", ACME)
    config = PipelineConfig(wordmark=WordmarkConfig(enabled=False), backtrack=False, fill_gaps=0)
    (found,) = LogoPipeline(matcher, config).process_segment([Frame(FRAME, 0.0)])
    assert [s.brand for s in found] == ["acme"]  # searched whole, as without a net
    assert matcher.proposed == 1


class SearchCountingMatcher(ProposalMatcher):
    """A proposal matcher that counts the proposal regions it searches."""

    searched = 0

    def match_region(self, frame: Image, box: tuple[float, float, float, float]) -> list[LogoMatch]:
        self.searched += 1
        return super().match_region(frame, box)


def _run(net: ProposingNet, frames: int, **settings: bool) -> tuple[list[list[str]], int]:
    """The sources of each frame's sightings over `frames` copies of FRAME, and the regions
    searched, with the net's proposals and the pipeline `settings`."""
    matcher = SearchCountingMatcher(proposals=ProposalConfig(max_proposals=2, min_score=0.6))
    matcher.add("acme-1", "acme", ACME)
    matcher.use(net)  # type: ignore[arg-type]
    config = PipelineConfig(wordmark=WordmarkConfig(enabled=False), backtrack=False,
                            fill_gaps=0, zoomed=UNZOOMED).model_copy(update=settings)  # fmt: skip
    pipeline = LogoPipeline(matcher, config)
    found = [pipeline.process(Frame(FRAME, k * 0.5)) for k in range(frames)]
    return [[s.source for s in each] for each in found], matcher.searched


def test_a_proposal_the_matcher_rejected_is_searched_again_only_on_the_next_frame() -> None:
    clutter = ProposingNet([Candidate("acme", (40.0, 400.0, 200.0, 100.0), 0.9, 12)])
    assert _run(clutter, 5) == ([[]] * 5, 3)  # frames 0, 2, 4
    assert _run(clutter, 5, skip_rejected=False) == ([[]] * 5, 5)


def test_a_proposal_the_matcher_verified_is_searched_on_every_frame() -> None:
    x, y, w, h = TRUTH
    on_logo = ProposingNet([Candidate("acme", (x + 10, y + 5, w - 20, h - 10), 0.9, 12)])
    assert _run(on_logo, 3) == ([["image"]] * 3, 3)


def test_a_sure_proposal_that_started_nothing_is_fitted_again_on_the_next_frame_unless_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fitted: list[int] = []

    def counting(
        gray: Image,
        matcher: ProposalMatcher,
        candidates: Sequence[Candidate],
        held: Sequence[tuple[str, Box]],
        config: NetStartConfig,
        *,
        tracked: Sequence[tuple[str, Box]] = (),
        look: Look | None = None,
    ) -> list[NetStart]:
        """`net_starts`, recording how many proposals it was given."""
        fitted.append(len(candidates))
        return net_starts(gray, matcher, candidates, held, config, tracked=tracked, look=look)

    monkeypatch.setattr(pipeline_module, "net_starts", counting)
    sure_clutter = ProposingNet([Candidate("acme", (40.0, 400.0, 200.0, 100.0), 0.99, 12)])
    assert _run(sure_clutter, 5, skip_unstarted=True)[0] == [[]] * 5
    assert fitted == [1, 0, 1, 0, 1]
    fitted.clear()
    assert _run(sure_clutter, 5)[0] == [[]] * 5
    assert fitted == [1] * 5  # by default fitted on every frame: a blurred logo may fit on any
