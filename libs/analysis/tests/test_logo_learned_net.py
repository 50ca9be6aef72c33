"""The heatmap net: boxes read off a probability map, a tiny training run that repeats
bitwise, weights that survive their archive, a key that follows the library."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from structlog.testing import capture_logs

from sightline_analysis.logo.learned import model, weights
from sightline_analysis.logo.learned.model import (
    HeatmapNet,
    build,
    candidates,
    input_rows,
)
from sightline_analysis.logo.learned.train import TrainingRecipe, TrainingStopped, train
from sightline_analysis.logo.learned.weights import (
    library_key,
    net_from_bytes,
    net_to_bytes,
    reference_digest,
    source_digest,
)
from sightline_analysis.synthetic import make_logo, make_transparent_logo

TINY = TrainingRecipe(
    seed=3, steps=2, batch=8, crop_size=64, chunk_crops=16, width=0.25, eager=True
)


def test_cells_above_the_threshold_become_one_box_per_brand_and_group() -> None:
    probs = np.zeros((6, 10, 3), np.float32)
    probs[:, :, 0] = 1.0
    probs[1:3, 2:6, 1] = 0.7  # brand "a": 2 x 4 cells
    probs[2, 3, 1] = 0.9  # its peak
    probs[5, 9, 2] = 0.6  # brand "b": one cell in the corner
    probs[0, 9, 2] = 0.4  # below the threshold
    found = candidates(probs, ["a", "b"], scale=(2.0, 3.0), threshold=0.5)
    assert [(c.brand, c.box, c.cells) for c in found] == [
        ("a", (2 * 8 * 2.0, 1 * 8 * 3.0, 4 * 8 * 2.0, 2 * 8 * 3.0), 8),
        ("b", (9 * 8 * 2.0, 5 * 8 * 3.0, 8 * 2.0, 8 * 3.0), 1),
    ]
    assert [c.score for c in found] == pytest.approx([0.9, 0.6])
    assert candidates(probs, ["a", "b"], scale=(1.0, 1.0), min_cells=2)[0].brand == "a"
    assert len(candidates(probs, ["a", "b"], scale=(1.0, 1.0), min_cells=2)) == 1


def test_a_tiny_training_run_repeats_bitwise_and_its_archive_keeps_it() -> None:
    references = [("acme", make_logo("ACME", seed=1)), ("volt", make_transparent_logo("VOLT", 2))]
    first = train(references, TINY)
    second = train(references, TINY)
    assert first.names == ["acme", "volt"]
    for a, b in zip(first.model.get_weights(), second.model.get_weights(), strict=True):
        assert np.array_equal(a, b)
    frame = np.random.default_rng(0).integers(0, 255, (360, 640, 3), np.uint8)
    probs, scale = first.heatmap(frame)
    assert probs.shape == (272 // 8, 480 // 8, 3)
    assert scale == pytest.approx((640 / 480, 360 / 272))
    restored = net_from_bytes(net_to_bytes(first), first.names)
    assert np.array_equal(restored.heatmap(frame)[0], probs)


def test_the_net_is_the_moving_average_of_its_weights_unless_averaging_is_off() -> None:
    import tensorflow as tf  # noqa: PLC0415 - heavy; only this test needs the initial net

    references = [("acme", make_logo("ACME", seed=1)), ("volt", make_transparent_logo("VOLT", 2))]
    last = train(references, TINY.model_copy(update={"average": 0.0})).model.get_weights()
    averaged = train(references, TINY).model.get_weights()
    tf.keras.utils.set_random_seed(TINY.seed)
    initial = build(2, TINY.width).get_weights()

    def moved(weights: list[np.ndarray]) -> float:
        return float(sum(np.abs(w - i).sum() for w, i in zip(weights, initial, strict=True)))

    # Two steps at decay 0.995 leave ~99 % of the initial weights in the average.
    assert 0 < moved(averaged) < 0.05 * moved(last)


def test_a_training_asked_to_stop_ends_after_the_chunk_in_progress_without_a_net() -> None:
    references = [("acme", make_logo("ACME", seed=1))]
    asked: list[int] = []

    def stop_after_first_chunk() -> bool:
        asked.append(1)
        return len(asked) > 1

    with pytest.raises(TrainingStopped):
        train(references, TINY.model_copy(update={"chunk_crops": 8}), stop_after_first_chunk)
    assert len(asked) == 2  # before the first chunk (go on), before the second (stop)
    with pytest.raises(TrainingStopped):
        train(references, TINY, lambda: True)


def test_the_library_key_follows_brands_pixels_and_recipe_not_order() -> None:
    acme = reference_digest(make_logo("ACME", seed=1))
    volt = reference_digest(make_logo("VOLT", seed=2))
    key = library_key([("acme", acme), ("volt", volt)], TINY)
    assert key == library_key([("volt", volt), ("acme", acme)], TINY)
    assert key != library_key([("acme", acme)], TINY)
    assert key != library_key([("acme", acme), ("volta", volt)], TINY)
    assert key != library_key([("acme", acme), ("volt", acme)], TINY)
    assert key != library_key([("acme", acme), ("volt", volt)], TINY.model_copy(update={"seed": 4}))


ARCHITECTURE = '''
def build(classes: int) -> Any:
    """An untrained net."""
    x = stem(16)  # the stem
    return head(x, classes + 1)
'''


def test_the_code_digest_follows_what_the_code_does_not_comments_docstrings_or_layout() -> None:
    digest = source_digest([ARCHITECTURE])
    reworded = ARCHITECTURE.replace("An untrained net.", "A net.").replace("# the stem", "")
    assert source_digest(["    " + reworded.replace("\n", "\n    ")]) == digest
    assert source_digest([ARCHITECTURE.replace("stem(16)", "stem(32)")]) != digest
    assert source_digest([ARCHITECTURE, ARCHITECTURE]) != digest


def test_the_library_key_follows_the_training_code(monkeypatch: pytest.MonkeyPatch) -> None:
    acme = [("acme", reference_digest(make_logo("ACME", seed=1)))]
    key = library_key(acme, TINY)
    assert len(weights.training_code_digest()) == 16
    monkeypatch.setattr(weights, "training_code_digest", lambda: "another net")
    assert library_key(acme, TINY) != key


def test_the_lite_copy_gives_the_nets_probabilities_and_a_refused_copy_leaves_the_graph(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    untrained = build(2, width=0.25)
    frame = np.random.default_rng(4).integers(0, 255, (360, 640, 3), np.uint8)
    graph_net = HeatmapNet(untrained, ["a", "b"], lite=False)
    rows = input_rows(640, 360)
    assert graph_net.ready(rows)  # nothing to convert
    graph, scale = graph_net.heatmap(frame)
    net = HeatmapNet(untrained, ["a", "b"])
    assert not net.ready(rows)
    net.prepare(rows)  # converted ahead of the first frame
    assert net.ready(rows)
    lite, lite_scale = net.heatmap(frame)
    assert lite_scale == scale
    assert not np.isnan(lite).any()
    assert np.abs(lite - graph).max() <= model.LITE_TOLERANCE
    monkeypatch.setattr(model, "LITE_TOLERANCE", -1.0)  # no copy can pass the check
    with capture_logs() as logs:
        refused = HeatmapNet(untrained, ["a", "b"]).heatmap(frame)[0]
    assert np.array_equal(refused, graph)
    assert [entry["event"] for entry in logs] == ["logo.net_lite_unusable"]


def test_each_input_shape_gets_its_own_usable_lite_copy() -> None:
    untrained = build(2, width=0.25)
    frame = np.random.default_rng(5).integers(0, 255, (720, 1280, 3), np.uint8)
    graph_net = HeatmapNet(untrained, ["a", "b"], lite=False)
    net = HeatmapNet(untrained, ["a", "b"])
    with capture_logs() as logs:
        for width in (model.INPUT_WIDTH, 2 * model.INPUT_WIDTH):  # the second shape traced too
            lite, scale = net.heatmap(frame, width)
            graph, graph_scale = graph_net.heatmap(frame, width)
            assert scale == graph_scale
            assert lite.shape == graph.shape == (input_rows(1280, 720, width) // 8, width // 8, 3)
            assert np.abs(lite - graph).max() <= model.LITE_TOLERANCE
    assert logs == []  # no copy refused


def test_a_wide_frame_is_reduced_for_the_net_as_one_area_average_would() -> None:
    for width, height in ((1280, 720), (1920, 1080)):
        noise = np.random.default_rng(6).integers(0, 255, (height, width, 3), np.uint8)
        frame = np.asarray(cv2.GaussianBlur(noise, (0, 0), 2.0), np.uint8)
        rows = input_rows(width, height)
        direct = cv2.resize(frame, (model.INPUT_WIDTH, rows), interpolation=cv2.INTER_AREA)
        reduced = model._reduced(frame, model.INPUT_WIDTH, rows)
        assert reduced.shape == direct.shape
        difference = np.abs(reduced.astype(np.int16) - direct.astype(np.int16))
        assert difference.max() <= 8
        assert difference.mean() < 1.0
