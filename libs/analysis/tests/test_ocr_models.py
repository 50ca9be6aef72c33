"""The folded OCR models compute what the originals compute, with fewer nodes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
onnxruntime = pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from sightline_analysis.ocr_models import fold, folded_model  # noqa: E402


def _constant(name: str, value: float) -> Any:
    tensor = numpy_helper.from_array(np.array([value], np.float32), name)
    return helper.make_node("Constant", [], [name], value=tensor)


def _affine(x: str, tag: str, scale: float, shift: float) -> list[Any]:
    """`x * scale + shift` as the PP-OCR exports spell it (the scale as the Mul's first input)."""
    return [
        _constant(f"{tag}_s", scale),
        helper.make_node("Mul", [f"{tag}_s", x], [f"{tag}_m"]),
        _constant(f"{tag}_b", shift),
        helper.make_node("Add", [f"{tag}_m", f"{tag}_b"], [f"{tag}_out"]),
    ]


def _hardswish(x: str, tag: str) -> list[Any]:
    """`x * clip(x + 3, 0, 6) / 6`, four nodes as in the PP-OCR exports."""
    return [
        _constant(f"{tag}_3", 3.0),
        helper.make_node("Add", [x, f"{tag}_3"], [f"{tag}_a"]),
        _constant(f"{tag}_0", 0.0),
        _constant(f"{tag}_6", 6.0),
        helper.make_node("Clip", [f"{tag}_a", f"{tag}_0", f"{tag}_6"], [f"{tag}_c"]),
        helper.make_node("Mul", [x, f"{tag}_c"], [f"{tag}_m"]),
        helper.make_node("Div", [f"{tag}_m", f"{tag}_6"], [f"{tag}_out"]),
    ]


def _block_model() -> Any:
    """Three PP-LCNet-like steps: padded conv, unpadded 1x1 conv, padded depthwise conv, each
    followed by an affine step, hard-swish and another affine step."""
    rng = np.random.default_rng(7)
    weights = {
        "w1": rng.normal(size=(8, 3, 3, 3)),
        "b1": rng.normal(size=8),
        "w2": rng.normal(size=(8, 8, 1, 1)),
        "b2": rng.normal(size=8),
        "w3": rng.normal(size=(8, 1, 3, 3)),
    }
    initializers = [
        numpy_helper.from_array(value.astype(np.float32), name) for name, value in weights.items()
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        *_affine("c1", "a1", 0.9, 0.2),
        *_hardswish("a1_out", "h1"),
        *_affine("h1_out", "l1", 0.5, -0.3),
        helper.make_node("Conv", ["l1_out", "w2", "b2"], ["c2"]),
        *_affine("c2", "a2", 1.7, -0.4),
        *_hardswish("a2_out", "h2"),
        *_affine("h2_out", "l2", 0.6, 0.8),
        helper.make_node("Conv", ["l2_out", "w3"], ["y"], pads=[1, 1, 1, 1], group=8),
    ]
    graph = helper.make_graph(
        nodes,
        "blocks",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 20])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 16, 20])],
        initializers,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 12)])


def _run(model: Any, x: np.ndarray) -> np.ndarray:
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    return np.asarray(session.run(None, {"x": x})[0])


def test_folding_computes_the_same_with_fewer_nodes() -> None:
    model = _block_model()
    x = np.random.default_rng(1).normal(size=(1, 3, 16, 20)).astype(np.float32) * 4
    before = _run(model, x)

    counts = fold(model)
    onnx.checker.check_model(model)

    assert counts == {"hardswish": 2, "after_conv": 4, "before_conv": 2}
    ops = Counter(node.op_type for node in model.graph.node if node.op_type != "Constant")
    # The affine step before the padded depthwise conv stays (its padding is not shifted).
    assert ops == Counter({"Conv": 3, "HardSigmoid": 2, "Mul": 3, "Add": 1})
    np.testing.assert_allclose(_run(model, x), before, rtol=1e-4, atol=1e-4)


def test_a_folded_model_is_built_once_per_source(tmp_path: Path) -> None:
    source = tmp_path / "blocks.onnx"
    onnx.save(_block_model(), str(source))
    cache = tmp_path / "cache"

    first = folded_model(source, cache)
    built = first.stat().st_mtime_ns
    assert folded_model(source, cache) == first
    assert first.stat().st_mtime_ns == built

    changed = _block_model()
    changed.graph.name = "other"  # other bytes, another key
    onnx.save(changed, str(source))
    assert folded_model(source, cache) != first
    assert sorted(path.suffix for path in cache.iterdir()) == [".onnx", ".onnx"]


def test_the_wheels_models_folded_read_a_line_as_the_originals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rapidocr = pytest.importorskip("rapidocr_onnxruntime")
    from sightline_analysis.ocr_models import folded_model_paths  # noqa: PLC0415

    monkeypatch.setenv("SIGHTLINE_CACHE_DIR", str(tmp_path))
    image = np.full((120, 560, 3), 235, np.uint8)
    cv2.putText(image, "Kestrel Air 2026", (16, 78), cv2.FONT_HERSHEY_DUPLEX, 1.6,
                (30, 30, 30), 3)  # fmt: skip
    options: dict[str, Any] = {"use_cls": False, "intra_op_num_threads": 1}

    original, _ = rapidocr.RapidOCR(**options)(image)
    folded, _ = rapidocr.RapidOCR(**folded_model_paths(), **options)(image)

    assert [line[1] for line in original] == ["Kestrel Air 2026"]
    assert [line[1] for line in folded] == [line[1] for line in original]
    np.testing.assert_allclose(folded[0][0], original[0][0], atol=1.0)
    assert abs(folded[0][2] - original[0][2]) < 1e-3
