"""Analyzer plugins: registry discovery, shot changes, colours, picture quality."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np
import pytest
from skimage import data

from sightline_analysis.analyzers import AnalyzerContext, AnalyzerRegistry, AnalyzerSet
from sightline_analysis.analyzers.registry import WARM_UP_STREAM, UnknownAnalyzerError
from sightline_analysis.frames import Frame
from sightline_analysis.synthetic import background
from sightline_common.messages import ResultItem

REGISTRY = AnalyzerRegistry.discover()
Analyze = Callable[[str, Sequence[Frame]], list[list[ResultItem]]]
CONTEXT = AnalyzerContext()


def solid(bgr: tuple[int, int, int], offset: float = 0.0) -> Frame:
    return Frame(np.full((360, 640, 3), bgr, np.uint8), offset)


def test_the_registry_discovers_every_plugin_by_key() -> None:
    assert REGISTRY.keys == [
        "colours",
        "faces",
        "faces_mtcnn",
        "logo",
        "people",
        "quality",
        "shots",
        "text",
    ]


def test_an_unknown_key_or_bad_config_is_refused() -> None:
    with pytest.raises(UnknownAnalyzerError):
        REGISTRY.build("nope", CONTEXT)
    with pytest.raises(ValueError, match="extra"):
        REGISTRY.build("shots", CONTEXT, {"threshhold": 0.3})


def test_the_fingerprint_follows_the_configuration() -> None:
    a = REGISTRY.build("shots", CONTEXT)
    assert a.fingerprint() == REGISTRY.build("shots", CONTEXT).fingerprint()
    assert a.fingerprint() != REGISTRY.build("shots", CONTEXT, {"threshold": 0.2}).fingerprint()


def test_a_cut_is_marked_on_the_first_frame_of_the_new_shot() -> None:
    shots = REGISTRY.build("shots", CONTEXT)
    frames = [solid((200, 30, 30)), solid((200, 30, 30), 0.5), solid((20, 200, 40), 1.0)]
    results = shots.analyze("s1", frames)
    assert [len(r) for r in results] == [0, 0, 1]
    assert results[2][0].kind == "shot_change"


def test_shot_state_carries_across_segments_per_stream_and_is_forgotten() -> None:
    shots = REGISTRY.build("shots", CONTEXT)
    shots.analyze("s1", [solid((200, 30, 30))])
    shots.analyze("s2", [solid((20, 200, 40))])
    assert shots.analyze("s1", [solid((20, 200, 40))])[0][0].kind == "shot_change"
    shots.forget("s2")
    assert shots.analyze("s2", [solid((200, 30, 30))]) == [[]]


def test_dominant_colours_report_each_half_of_a_split_frame() -> None:
    image = np.zeros((360, 640, 3), np.uint8)
    image[:, :320] = (0, 0, 220)  # red in BGR
    image[:, 320:] = (210, 70, 30)  # blue
    colours = REGISTRY.build("colours", CONTEXT).analyze("s", [Frame(image, 0.0)])[0]
    names = {c.attributes["name"]: c.confidence for c in colours}
    assert set(names) == {"red", "blue"}
    assert all(share == pytest.approx(0.5, abs=0.05) for share in names.values())


def test_quality_flags_dark_blurry_and_still_frames() -> None:
    quality = REGISTRY.build("quality", CONTEXT)
    sharp = background(3)
    dark = (sharp * 0.1).astype(np.uint8)
    blurred = np.asarray(cv2.GaussianBlur(sharp, (0, 0), 6), np.uint8)
    out = quality.analyze(
        "s", [Frame(sharp, 0), Frame(sharp, 0.5), Frame(dark, 1), Frame(blurred, 1.5)]
    )
    labels = [r[0].label for r in out]
    assert labels[0] == "ok"
    assert "still" in labels[1]
    assert "dark" in labels[2]
    assert "blurry" in labels[3]
    assert out[3][0].attributes["sharpness"] < out[0][0].attributes["sharpness"]
    assert out[2][0].attributes["motion"] > 0


def test_faces_find_nothing_in_a_faceless_frame() -> None:
    assert REGISTRY.build("faces", CONTEXT).analyze("s", [Frame(background(4), 0)]) == [[]]


def test_an_analyzer_set_merges_results_per_frame_in_order() -> None:
    keys = ["shots", "quality"]
    analyzers = AnalyzerSet([REGISTRY.build(k, CONTEXT) for k in keys])
    out = analyzers.analyze("s", [solid((200, 30, 30)), solid((20, 200, 40), 0.5)])
    assert [[r.kind for r in frame] for frame in out] == [["quality"], ["shot_change", "quality"]]


@pytest.fixture(scope="module")
def astronaut_frame() -> Frame:
    """scikit-image's astronaut portrait (one face) on a 720p frame."""
    portrait = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    frame = background(12)
    frame[100:612, 600:1112] = portrait
    return Frame(frame, 0.0)


@pytest.mark.parametrize("key", ["faces", "faces_mtcnn"])
def test_a_face_in_a_photo_is_found_with_its_box(key: str, astronaut_frame: Frame) -> None:
    found = [r for r in REGISTRY.build(key, CONTEXT).analyze("s", [astronaut_frame])[0]]
    assert len(found) == 1
    box = found[0].box
    assert box is not None
    centre = ((box.x + box.w / 2) * 1280, (box.y + box.h / 2) * 720)
    assert 600 + 170 < centre[0] < 600 + 280  # the face sits at x 170..277, y 64..171 of it
    assert 100 + 64 < centre[1] < 100 + 171


def test_mtcnn_pnet_on_opencv_computes_what_the_keras_pnet_does() -> None:
    """The copied weights keep their meaning: layout (Keras HWIO to Caffe OIHW), PReLU slopes,
    the odd-sized pooling edge and the softmax axis, on pyramid-level shapes with odd sides."""
    import tensorflow as tf  # noqa: PLC0415 - heavy; only the MTCNN tests load it
    from mtcnn import MTCNN  # noqa: PLC0415

    from sightline_analysis.analyzers.plugins.faces_mtcnn import _OpenCvPNet  # noqa: PLC0415

    keras_pnet = MTCNN(stages="face_detection_only").stages[0]._model
    opencv_pnet = _OpenCvPNet(keras_pnet)
    rng = np.random.default_rng(5)
    for shape in [(1, 12, 12, 3), (2, 216, 384, 3), (2, 107, 191, 3), (1, 15, 27, 3)]:
        images = tf.constant(rng.uniform(-1.0, 1.0, shape).astype(np.float32))
        expected = [t.numpy() for t in keras_pnet(images)]
        got = [t.numpy() for t in opencv_pnet(images)]
        for want, have in zip(expected, got, strict=True):
            assert have.shape == want.shape
            np.testing.assert_allclose(have, want, atol=1e-4)


def test_a_person_is_boxed_and_the_person_area_reported(astronaut_frame: Frame) -> None:
    people = REGISTRY.build("people", CONTEXT, {"every_s": 0})  # both frames detected
    found, empty = people.analyze("s", [astronaut_frame, Frame(background(4), 0.0)])
    assert empty == []
    assert len(found) >= 1
    for person in found:
        assert person.kind == "person"
        assert person.box is not None
        assert 600 / 1280 <= person.box.x <= 1112 / 1280  # inside the portrait
        assert 0 < person.attributes["people_area_share"] < 0.5


def test_a_caption_is_read_on_the_first_frame_of_the_segment() -> None:
    caption = background(3)
    cv2.rectangle(caption, (80, 560), (900, 660), (20, 20, 20), -1)
    cv2.putText(
        caption, "BREAKING NEWS 24", (100, 630), cv2.FONT_HERSHEY_DUPLEX, 2.0, (255, 255, 255), 3
    )
    text = REGISTRY.build("text", CONTEXT)
    first, second = text.analyze("s", [Frame(caption, 0.0), Frame(caption, 0.5)])
    assert [r.label for r in first] == ["BREAKING NEWS 24"]
    assert first[0].box is not None
    assert first[0].box.y > 0.7  # the lower third
    assert second == []  # one read per segment by default
    assert text.analyze("s", [Frame(background(4), 0.0)]) == [[]]


def test_a_warm_up_analyses_with_every_analyzer_and_leaves_no_state_behind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shots, quality = REGISTRY.build("shots", CONTEXT), REGISTRY.build("quality", CONTEXT)
    seen: list[tuple[str, str, int]] = []
    for analyzer in (shots, quality):
        analyze = analyzer.analyze

        def recorded(
            stream_id: str, frames: Sequence[Frame], key: str = analyzer.key, run: Analyze = analyze
        ) -> list[list[ResultItem]]:
            seen.append((key, stream_id, len(frames)))
            return run(stream_id, frames)

        monkeypatch.setattr(analyzer, "analyze", recorded)
    AnalyzerSet([shots, quality]).warm_up([solid((200, 30, 30)), solid((200, 30, 30), 0.5)])
    assert seen == [("shots", WARM_UP_STREAM, 2), ("quality", WARM_UP_STREAM, 2)]
    # The warm-up's shot was forgotten: another picture under its id is no cut.
    assert shots.analyze(WARM_UP_STREAM, [solid((20, 200, 40))]) == [[]]
