"""PP-OCR's models as the text analyzer and the logo channel's wordmark reader run them: the
ONNX files inside the rapidocr wheel with their scalar affine steps folded into the
convolutions and their hard-swish spelled as onnxruntime fuses it.

The models (PP-LCNet backbones) follow every convolution with a learnable scalar affine step
(`x * s + b`, two Mul/Add nodes onnxruntime does not fold: the scale is the Mul's first input,
its ConvMulFusion looks at the second) and spell hard-swish as `x * clip(x + 3, 0, 6) / 6` (four
nodes onnxruntime does not recognise). Each of those nodes is a pass over the activations and
forces a layout change out of and back into onnxruntime's blocked (NCHWc) convolution format.
Folded here, the same arithmetic runs as fused convolutions: measured in one process,
alternating, on 28 frames and 157 lines of the logo kit (seed 1401, two runs, load 6-9,
nproc 2), the detector 37.9 / 39.3 -> 30.7 / 33.4 ms CPU a call on a 512x288 frame and
420 / 422 -> 352 / 349 ms at 1280x736, the recogniser 18.2 / 17.9 -> 13.4 / 13.6 ms a line
(160 px or its own width), the same boxes and the same 157 texts (folding reorders float
rounding only). In use, one process alternating A/B per clip: the logo channel's whole-frame
read (`WordmarkReader.lines` with a stream's memory, every 2nd frame of seed 1401, load 10-14)
102.9 -> 85.3 ms per read frame, lines identical on 138/138 frames; the text analyzer on the
kit's 4-frame segments 452.5 -> 350.2 ms a segment (1401) and 587.0 -> 445.3 (1403), results
identical on all 143 segments (load 4-11).
The scalar step before a padded convolution was also tried: as an explicit Pad (value -b/s) and
an unpadded convolution it reads the same for no gain (det 32.2 -> 32.0, rec 13.3 -> 14.0 ms);
folded as if unpadded it is wrong at the borders and the recogniser reads nothing.
int8 quantisation was measured first (same frames, one process, alternating; this CPU has AVX2,
no VNNI) and not taken: the detector as static QDQ / QOperator int8 (per-channel, calibrated on
seed 1403's frames) 40.0 -> 36.9 / 35.7 ms on 512x288 (424 -> 270 / 250 ms at 1280x736), but
13 and 14 of the 28 frames found other boxes (157 -> 155 / 154); the recogniser with its MatMuls
dynamically quantised 17.1 -> 16.8 ms (its time is in the convolutions), 3 of 157 texts
changed ("TICKETS" read "TICKET").

The folded models are built from the wheel's own files on first use (a second or two) and
cached under `~/.cache/sightline/ocr-models/` (`SIGHTLINE_CACHE_DIR`), keyed by the source
model's hash and `_REWRITE`: nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

_REWRITE = 1
"""Version of the rewrite below, part of the cache key: bump it when the rewrite changes."""
_BINARY = ("Mul", "Add")


def folded_model_paths() -> dict[str, str]:
    """RapidOCR keyword arguments naming the folded detector and recogniser (the models the
    installed rapidocr's config names), building them on first use."""
    import rapidocr_onnxruntime  # noqa: PLC0415 - optional, the `ocr` extra
    import yaml  # noqa: PLC0415 - comes with rapidocr

    root = Path(rapidocr_onnxruntime.__file__).parent
    config = yaml.safe_load((root / "config.yaml").read_text())
    return {
        "det_model_path": str(folded_model(root / config["Det"]["model_path"])),
        "rec_model_path": str(folded_model(root / config["Rec"]["model_path"])),
    }


def cache_dir() -> Path:
    """Where folded models are kept (the project's cache, as bootstrap.sh sets it)."""
    base = os.environ.get("SIGHTLINE_CACHE_DIR", str(Path.home() / ".cache" / "sightline"))
    return Path(base) / "ocr-models"


def folded_model(source: Path, directory: Path | None = None) -> Path:
    """The folded copy of the ONNX model `source`, built into `directory` (default
    `cache_dir()`) unless a copy of the same source bytes is there. Written to a temporary
    file and renamed, so processes starting together never read a half-written model."""
    import onnx  # noqa: PLC0415 - optional, the `ocr` extra

    directory = directory or cache_dir()
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    target = directory / f"{source.stem}-{digest}-folded{_REWRITE}.onnx"
    if target.exists():
        return target
    model = onnx.load(str(source))
    fold(model)
    directory.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    onnx.save(model, str(temporary))
    os.replace(temporary, target)
    return target


def fold(model: Any) -> dict[str, int]:
    """Rewrite `model` (an `onnx.ModelProto`, in place) to compute the same with fewer nodes:
    hard-swish `x * clip(x + 3, 0, 6) / 6` becomes `x * HardSigmoid(x)` (onnxruntime fuses that
    into the convolution before it); a scalar Mul/Add after a convolution (its only reader)
    goes into the convolution's weights and bias; a scalar Mul/Add before an unpadded
    convolution (its only reader) too. A scalar step before a padded convolution stays: the
    padding's zeros are not scaled or shifted, so folding would change the borders.
    Returns how many of each were rewritten."""
    graph = _Graph(model.graph)
    counts = {
        "hardswish": graph.hardswish(),
        "after_conv": graph.repeat(graph.fold_after_conv),
        "before_conv": graph.repeat(graph.fold_before_conv),
    }
    graph.drop_unused_constants()
    return counts


class _Graph:
    """An ONNX graph with the look-ups the rewrite needs (rebuilt after each change)."""

    def __init__(self, graph: Any) -> None:
        self.graph = graph
        self.initializers = {item.name: item for item in graph.initializer}
        self.outputs = {item.name for item in graph.output}
        self._index()

    def _index(self) -> None:
        self.producer = {name: node for node in self.graph.node for name in node.output}
        self.readers: dict[str, list[Any]] = {}
        for node in self.graph.node:
            for name in node.input:
                self.readers.setdefault(name, []).append(node)

    def constant(self, name: str) -> npt.NDArray[np.float32] | None:
        """The value of `name` if it is an initializer or a Constant node's output."""
        from onnx import numpy_helper  # noqa: PLC0415

        if name in self.initializers:
            return np.asarray(numpy_helper.to_array(self.initializers[name]), np.float32)
        node = self.producer.get(name)
        if node is not None and node.op_type == "Constant" and node.attribute[0].name == "value":
            return np.asarray(numpy_helper.to_array(node.attribute[0].t), np.float32)
        return None

    def scalar(self, name: str) -> float | None:
        value = self.constant(name)
        return float(value.ravel()[0]) if value is not None and value.size == 1 else None

    def scalar_step(self, node: Any) -> tuple[str, float] | None:
        """(tensor input, scalar) of a Mul/Add with one scalar constant input."""
        if node.op_type not in _BINARY or len(node.input) != 2:
            return None
        for k in (0, 1):
            value = self.scalar(node.input[k])
            if value is not None and self.constant(node.input[1 - k]) is None:
                return node.input[1 - k], value
        return None

    def only_reader(self, name: str) -> Any:
        """The one node reading `name`, if exactly one does and it is no graph output."""
        readers = self.readers.get(name, [])
        return readers[0] if len(readers) == 1 and name not in self.outputs else None

    def hardswish(self) -> int:
        from onnx import helper  # noqa: PLC0415

        done = 0
        for div in list(self.graph.node):
            found = self._hardswish_input(div)
            if found is None:
                continue
            x, chain = found
            gate = helper.make_node(
                "HardSigmoid", [x], [div.output[0] + "_gate"], alpha=1.0 / 6.0, beta=0.5
            )
            product = helper.make_node("Mul", [x, gate.output[0]], [div.output[0]])
            position = list(self.graph.node).index(div)  # after x's producer: order holds
            self.graph.node.insert(position, product)
            self.graph.node.insert(position, gate)
            for node in chain:
                self.graph.node.remove(node)
            done += 1
        self._index()
        return done

    def _hardswish_input(self, div: Any) -> tuple[str, list[Any]] | None:
        """(x, the four nodes) when `div` ends `x * clip(x + 3, 0, 6) / 6`."""
        if div.op_type != "Div" or self.scalar(div.input[1]) != 6.0:
            return None
        mul = self.producer.get(div.input[0])
        if mul is None or mul.op_type != "Mul" or self.only_reader(mul.output[0]) is not div:
            return None
        for x, clipped in ((mul.input[0], mul.input[1]), (mul.input[1], mul.input[0])):
            clip = self.producer.get(clipped)
            if (
                clip is None
                or clip.op_type != "Clip"
                or len(clip.input) != 3
                or self.scalar(clip.input[1]) != 0.0
                or self.scalar(clip.input[2]) != 6.0
                or self.only_reader(clip.output[0]) is not mul
            ):
                continue
            add = self.producer.get(clip.input[0])
            if (
                add is not None
                and self.scalar_step(add) == (x, 3.0)
                and self.only_reader(add.output[0]) is clip
            ):
                return x, [add, clip, mul, div]
        return None

    def repeat(self, rewrite: Any) -> int:
        """Apply `rewrite` (one change per call, False when none is left) until done."""
        done = 0
        while rewrite():
            done += 1
            self._index()
        return done

    def fold_after_conv(self) -> bool:
        """Fold one `conv(x) * s` or `conv(x) + b` into the convolution."""
        for conv in self.graph.node:
            if conv.op_type != "Conv":
                continue
            step = self.only_reader(conv.output[0])
            found = None if step is None else self.scalar_step(step)
            weights = None if found is None else self._weights(conv)
            if step is None or found is None or weights is None:
                continue
            weight, bias = weights
            value = found[1]
            if step.op_type == "Mul":
                weight, bias = weight * value, bias * value
            else:
                bias = bias + value
            self._set_weights(conv, weight, bias)
            self._bypass(step, conv.output[0])
            return True
        return False

    def fold_before_conv(self) -> bool:
        """Fold one `x * s` or `x + b` read only by an unpadded convolution into it."""
        for step in self.graph.node:
            found = self.scalar_step(step)
            if found is None:
                continue
            conv = self.only_reader(step.output[0])
            if (
                conv is None
                or conv.op_type != "Conv"
                or conv.input[0] != step.output[0]
                or not _unpadded(conv)
            ):
                continue
            weights = self._weights(conv)
            if weights is None:
                continue
            weight, bias = weights
            value = found[1]
            if step.op_type == "Mul":
                weight = weight * value
            else:
                bias = bias + value * weight.sum(axis=(1, 2, 3))
            self._set_weights(conv, weight, bias)
            self._bypass(step, found[0])
            return True
        return False

    def _weights(self, conv: Any) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]] | None:
        weight = self.constant(conv.input[1])
        if weight is None or weight.ndim != 4:
            return None
        if len(conv.input) > 2 and conv.input[2]:
            bias = self.constant(conv.input[2])
            if bias is None:
                return None
            return weight, bias
        return weight, np.zeros(weight.shape[0], np.float32)

    def _set_weights(
        self, conv: Any, weight: npt.NDArray[np.float32], bias: npt.NDArray[np.float32]
    ) -> None:
        from onnx import numpy_helper  # noqa: PLC0415

        names = []
        for part, value in (("w", weight), ("b", bias)):
            name = f"{conv.output[0]}_folded_{part}"
            tensor = numpy_helper.from_array(np.asarray(value, np.float32), name)
            if name in self.initializers:
                self.initializers[name].CopyFrom(tensor)
            else:
                self.graph.initializer.append(tensor)
                self.initializers[name] = self.graph.initializer[-1]
            names.append(name)
        del conv.input[1:]
        conv.input.extend(names)

    def _bypass(self, node: Any, source: str) -> None:
        """Remove `node`; what read its output reads `source` instead."""
        for reader in self.readers.get(node.output[0], []):
            for k, name in enumerate(reader.input):
                if name == node.output[0]:
                    reader.input[k] = source
        self.graph.node.remove(node)

    def drop_unused_constants(self) -> None:
        """Remove the Constant nodes and initializers nothing reads any more."""
        self._index()
        for node in list(self.graph.node):
            if node.op_type == "Constant" and node.output[0] not in self.readers:
                self.graph.node.remove(node)
        for item in list(self.graph.initializer):
            if item.name not in self.readers and item.name not in self.outputs:
                self.graph.initializer.remove(item)


def _unpadded(conv: Any) -> bool:
    """Whether `conv` reads no padding (every output sums real inputs only)."""
    from onnx import helper  # noqa: PLC0415

    for attribute in conv.attribute:
        value = helper.get_attribute_value(attribute)
        if attribute.name == "pads" and any(value):
            return False
        if attribute.name == "auto_pad" and value not in (b"NOTSET", b"VALID"):
            return False
    return True
