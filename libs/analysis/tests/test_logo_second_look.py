"""The net starter's second look at a sharp-ish proposal SIFT refused: the zoomed net, the
reference's fit and its window-by-window agreement must all hold."""

from __future__ import annotations

import cv2
import numpy as np

from sightline_analysis.frames import Frame, Image
from sightline_analysis.logo.learned.model import INPUT_WIDTH, Candidate, HeatmapNet, input_rows
from sightline_analysis.logo.learned.proposals import ProposalConfig, ProposalMatcher
from sightline_analysis.logo.learned.synth import STRIDE
from sightline_analysis.logo.net_start import NetStartConfig, SecondLook, net_starts
from sightline_analysis.logo.pipeline import LogoPipeline, PipelineConfig
from sightline_analysis.logo.wordmark import WordmarkConfig
from sightline_analysis.synthetic import Placement, background, composite, make_logo

from .unzoomed import UNZOOMED

ORBITA = make_logo("ORBITA", 3)
LOOK_ALIKE = make_logo("ORBIKO", 3)  # same seed: palette and layout style, not the letters


class _FixedMap(HeatmapNet):
    """A net (no TensorFlow) whose heatmap of any input is `probs`; records what it saw."""

    def __init__(self, probs: np.ndarray, names: list[str]) -> None:
        self.names = names
        self.probs = probs
        self.seen: list[tuple[int, ...]] = []

    def ready(self, rows: int, width: int = INPUT_WIDTH) -> bool:
        return True

    def heatmap(
        self, image: Image, width: int = INPUT_WIDTH
    ) -> tuple[np.ndarray, tuple[float, float]]:
        self.seen.append(image.shape)
        rows = input_rows(image.shape[1], image.shape[0], width)
        return self.probs, (image.shape[1] / width, image.shape[0] / rows)


def test_the_second_look_reads_the_brand_inside_the_box_of_the_frame_enlarged_around_it() -> None:
    frame = np.zeros((720, 1280, 3), np.uint8)
    rows = input_rows(640, 360)
    probs = np.zeros((rows // STRIDE, INPUT_WIDTH // STRIDE, 3), np.float32)
    # The crop is the 640 x 360 around the box's centre (650, 325): it starts at (330, 145),
    # and one cell is 8 input px = 640 / 480 * 8 frame px wide.
    cell = 640 / INPUT_WIDTH * STRIDE
    inside = (int((325 - 145) / cell), int((650 - 330) / cell))
    probs[inside[0], inside[1], 2] = 0.99
    probs[0, 0, 2] = 1.0  # far outside the box
    net = _FixedMap(probs, ["a", "b"])
    matcher = ProposalMatcher()
    matcher.add("b-1", "b", ORBITA)
    matcher.use(net)
    candidate = Candidate("b", (600.0, 300.0, 100.0, 50.0), 0.6, 4)
    assert matcher.second_look(frame, candidate, 2.0) == np.float32(0.99)
    assert net.seen == [(360, 640, 3)]
    other = Candidate("a", candidate.box, 0.6, 4)
    assert matcher.second_look(frame, other, 2.0) == 0.0
    matcher.use(None)
    assert matcher.second_look(frame, candidate, 2.0) is None


def _scene(logo: Image) -> tuple[Image, tuple[float, ...]]:
    """A grey frame with `logo` sharp at (520, 330), 200 px wide, and its box."""
    frame, box = composite(background(9), logo, Placement((520.0, 330.0), 200.0))
    return np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), np.uint8), box


def test_a_sharp_proposal_starts_only_where_the_zoomed_net_the_fit_and_every_window_agree() -> None:
    matcher = ProposalMatcher()
    matcher.add("orbita-1", "orbita", ORBITA)
    config = NetStartConfig()
    gray, (x, y, w, h) = _scene(ORBITA)
    # Boxed as coarsely as the kit's net boxes logos; below the blurred checks' score.
    on_logo = Candidate("orbita", (x - 10, y + 6, w * 1.1, h * 0.9), 0.6, 20)
    assert net_starts(gray, matcher, [on_logo], [], config) == []  # no second look asked
    (start,) = net_starts(gray, matcher, [on_logo], [], config, look=lambda c: 0.99)
    assert start.brand == "orbita"
    assert start.sure  # three kinds of evidence: no later frame needs to confirm it
    assert abs(start.found.box[0] - x) < 0.1 * w
    assert abs(start.found.box[2] - w) < 0.15 * w
    unsure = net_starts(gray, matcher, [on_logo], [], config, look=lambda c: 0.9)
    assert unsure == []
    # A fit (0.89) below `min_agreement` but from `held_agreement` starts a held track.
    strict = config.model_copy(update={"second_look": SecondLook(min_agreement=0.95)})
    (held,) = net_starts(gray, matcher, [on_logo], [], strict, look=lambda c: 0.99)
    assert not held.sure
    unheld = strict.model_copy(update={"confirm": False})
    assert net_starts(gray, matcher, [on_logo], [], unheld, look=lambda c: 0.99) == []
    off = config.model_copy(update={"second_look": SecondLook(enabled=False)})
    assert net_starts(gray, matcher, [on_logo], [], off, look=lambda c: 0.99) == []
    # A look-alike (same palette and layout style, other letters and shapes): at a fit loose
    # enough to take it (0.56 here, the logo 0.89), the windows still refuse it (worst 0.10).
    fake, _ = _scene(LOOK_ALIKE)
    assert net_starts(fake, matcher, [on_logo], [], config, look=lambda c: 0.99) == []
    fitting = SecondLook(min_agreement=0.5)
    loose = config.model_copy(update={"second_look": fitting})
    assert net_starts(fake, matcher, [on_logo], [], loose, look=lambda c: 0.99) == []
    windows_off = config.model_copy(
        update={"second_look": fitting.model_copy(update={"min_region": -0.99})}
    )
    assert net_starts(fake, matcher, [on_logo], [], windows_off, look=lambda c: 0.99) != []
    plain = np.asarray(cv2.cvtColor(background(9), cv2.COLOR_BGR2GRAY), np.uint8)
    assert net_starts(plain, matcher, [on_logo], [], config, look=lambda c: 0.99) == []


class _UnsureLooks(ProposalMatcher):
    """A proposal matcher whose zoomed net is unsure (0.5) of every proposal; counts the looks."""

    looks = 0

    def second_look(self, frame: Image, candidate: Candidate, zoom: float) -> float | None:
        self.looks += 1
        return 0.5


class _ProposingNet:
    """Stands in for the trained net (pure logic): proposes one fixed box."""

    def __init__(self) -> None:
        self.names = ["b"]

    def __call__(self, image: Image) -> list[Candidate]:
        return [Candidate("b", (600.0, 300.0, 100.0, 50.0), 0.8, 4)]


def _looks(frames: int, **settings: bool) -> int:
    """How often the zoomed net is asked over `frames` copies of a blank frame where the net
    proposes one box every frame, with the pipeline `settings` (the OCR channel off)."""
    matcher = _UnsureLooks(proposals=ProposalConfig(min_width=0.0))
    matcher.add("b-1", "b", ORBITA)
    matcher.use(_ProposingNet())  # type: ignore[arg-type]
    config = PipelineConfig(wordmark=WordmarkConfig(enabled=False), backtrack=False,
                            fill_gaps=0, zoomed=UNZOOMED).model_copy(update=settings)  # fmt: skip
    pipeline = LogoPipeline(matcher, config)
    image = np.full((720, 1280, 3), 150, np.uint8)
    for k in range(frames):
        assert pipeline.process(Frame(image, k * 0.5)) == []
    return matcher.looks


def test_a_proposal_the_zoomed_net_was_unsure_of_is_looked_at_again_only_on_the_next_frame() -> (
    None
):
    assert _looks(5) == 3  # frames 0, 2, 4
    assert _looks(5, skip_unsure=False) == 5
