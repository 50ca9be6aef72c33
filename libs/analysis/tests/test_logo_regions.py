"""Region-by-region verification: a look-alike that passes the whole-logo appearance check
(most letters, the plate or the icon shared) fails in the region where it differs."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pytest

from sightline_analysis.frames import Image
from sightline_analysis.logo import regions as regions_module
from sightline_analysis.logo.appearance import appearance_score, template
from sightline_analysis.logo.matcher import LogoMatcher, MatcherConfig
from sightline_analysis.logo.reference import prepare_reference
from sightline_analysis.logo.regions import region_template, worst_region
from sightline_analysis.logo_eval.brands import Brand, library_brands, look_alike_brands
from sightline_analysis.synthetic import Placement, background, composite
from sightline_analysis.wire import decode_reference

LIBRARY = {brand.name: brand for brand in library_brands()}
LOOK_ALIKES = {brand.name: brand for brand in look_alike_brands()}
PAIRS = [("aurora", "aurore"), ("volta", "voltex"), ("kestrel", "petrel")]
THRESHOLD = MatcherConfig().min_region_agreement


def _frame(art: Image, width: float, seed: int) -> tuple[Image, tuple[float, ...]]:
    """`art` on a textured background, JPEG-compressed as broadcast is, and the box of its
    opaque part."""
    frame, box = composite(background(seed), art, Placement((500, 300), width))
    encoded = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 70])[1]
    decoded = np.asarray(cv2.imdecode(encoded, cv2.IMREAD_COLOR), np.uint8)
    return np.asarray(cv2.cvtColor(decoded, cv2.COLOR_BGR2GRAY), np.uint8), box


def _matrix(brand: Brand, art: Image, box: tuple[float, ...]) -> tuple[np.ndarray, tuple[int, int]]:
    """The transform putting `brand`'s reference onto the opaque part (`box`) of `art` in
    the frame (the whole canvas for an opaque reference), and the reference's size."""
    ref = prepare_reference(decode_reference(brand.reference))
    x, y, w, h = box
    if not ref.transparent:  # the reference is the whole canvas
        left, top, opaque_w, _ = cv2.boundingRect(np.asarray(art[:, :, 3] >= 128, np.uint8))
        scale = w / opaque_w
        x, y, w, h = x - left * scale, y - top * scale, art.shape[1] * scale, art.shape[0] * scale
    matrix = np.array([[w / ref.width, 0.0, x], [0.0, h / ref.height, y], [0.0, 0.0, 1.0]])
    return matrix, (ref.width, ref.height)


@pytest.mark.parametrize(("target", "other"), PAIRS)
@pytest.mark.parametrize("width", [160.0, 320.0])
def test_the_look_alike_fails_where_it_differs_and_the_logo_agrees_everywhere(
    target: str, other: str, width: float
) -> None:
    brand = LIBRARY[target]
    ref = prepare_reference(decode_reference(brand.reference))
    regions, whole = region_template(ref, 0.33), template(ref, 10.0)
    real, box = _frame(brand.art, width, 3)
    matrix, size = _matrix(brand, brand.art, box)
    assert (worst_region(regions, size, real, matrix, 2) or 0.0) >= THRESHOLD + 0.1
    look_alike = LOOK_ALIKES[other].art
    fake, box = _frame(look_alike, width, 3)
    matrix, size = _matrix(brand, look_alike, box)
    # The whole-logo check cannot tell them apart; the worst region can.
    assert appearance_score(whole, size, fake, matrix) >= 0.7
    assert (worst_region(regions, size, fake, matrix, 2) or 1.0) < THRESHOLD - 0.05


def test_a_featureless_frame_region_cannot_be_compared() -> None:
    ref = prepare_reference(decode_reference(LIBRARY["volta"].reference))
    flat = np.full((720, 1280), 90, np.uint8)
    matrix = np.array([[0.5, 0.0, 300.0], [0.0, 0.5, 200.0], [0.0, 0.0, 1.0]])
    assert worst_region(region_template(ref, 0.33), (ref.width, ref.height), flat, matrix,
                        2) is None  # fmt: skip


def test_the_matcher_reports_the_logo_and_not_its_look_alike() -> None:
    matcher = LogoMatcher()
    for name in ("aurora", "volta"):
        matcher.add(name, name, decode_reference(LIBRARY[name].reference))
    for name, other in (("aurora", "aurore"), ("volta", "voltex")):
        real, _ = composite(background(5), LIBRARY[name].art, Placement((640, 360), 360))
        assert name in {m.brand for m in matcher.match(real)}
        fake, _ = composite(background(5), LOOK_ALIKES[other].art, Placement((640, 360), 360))
        assert name not in {m.brand for m in matcher.match(fake)}


@pytest.mark.parametrize(("target", "other"), PAIRS)
def test_asked_only_whether_it_reaches_enough_the_check_answers_alike(
    target: str, other: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With `enough`, the real logo still passes, after fewer of the 25 shifts (at the worst
    correlation of those, never above the full answer), and the look-alike still fails with
    the full answer."""
    brand = LIBRARY[target]
    ref = prepare_reference(decode_reference(brand.reference))
    regions = region_template(ref, 0.33)
    shifts: list[int] = []
    compare = regions_module._window_correlations

    def counted(*args: Any) -> Any:
        shifts.extend(1 for _ in args[0])  # one (weights, patch) pair per shift
        return compare(*args)

    monkeypatch.setattr(regions_module, "_window_correlations", counted)
    for art, passes in ((brand.art, True), (LOOK_ALIKES[other].art, False)):
        frame, box = _frame(art, 240.0, 5)
        matrix, size = _matrix(brand, art, box)
        full = worst_region(regions, size, frame, matrix, 2)
        shifts.clear()
        early = worst_region(regions, size, frame, matrix, 2, enough=THRESHOLD)
        assert full is not None
        assert early is not None
        assert (early >= THRESHOLD) is passes
        if passes:
            assert early <= full
            assert len(shifts) < 25
        else:
            assert early == full


@pytest.mark.parametrize("shift", [1, 2, 4])
def test_correlating_shifts_in_runs_answers_as_one_shift_at_a_time(
    shift: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shifts are correlated in runs (all at once, or ring by ring with `enough`): the
    answers, early ones included, are those of trying one shift at a time, bit for bit, for
    real logos, look-alikes, misplaced transforms, occluders and the frame's edge."""
    rng = np.random.default_rng(11)
    cases = []
    for trial in range(12):
        brand = list(LIBRARY.values())[trial % len(LIBRARY)]
        ref = prepare_reference(decode_reference(brand.reference))
        art = (brand.art, LOOK_ALIKES[PAIRS[trial % 3][1]].art)[trial % 2]
        centre = (int(rng.integers(60, 1220)), int(rng.integers(40, 680)))
        frame, box = composite(
            background(trial), art, Placement(centre, float(rng.integers(120, 360)))
        )
        gray = np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), np.uint8)
        if trial % 3 == 0:  # a flat occluder over part of it
            x, y = int(box[0] + box[2] / 2), int(box[1])
            cv2.rectangle(gray, (x, y - 20), (x + 60, y + 30), 40, -1)
        matrix, size = _matrix(brand, art, box)
        matrix = matrix + np.diag(rng.uniform(-0.03, 0.03, 3)) * [1, 1, 0]
        matrix[:2, 2] += rng.uniform(-3, 3, 2)
        cases.append((region_template(ref, (0.33, 0.25)[trial % 2]), size, gray, matrix))
    enoughs = [None, 0.3, THRESHOLD, 0.95]
    batched = [worst_region(t, size, g, m, shift, enough=e)
               for t, size, g, m in cases for e in enoughs]  # fmt: skip
    monkeypatch.setattr(
        regions_module,
        "_chunks",
        lambda shifts, _early: [slice(i, i + 1) for i in range(len(shifts))],
    )
    alone = [worst_region(t, size, g, m, shift, enough=e)
             for t, size, g, m in cases for e in enoughs]  # fmt: skip
    assert batched == alone
    assert sum(answer is not None for answer in alone) >= len(alone) // 2
