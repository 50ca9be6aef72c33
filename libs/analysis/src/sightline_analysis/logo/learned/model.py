"""The heatmap net and how its output becomes candidate boxes.

A fully convolutional net of depthwise-separable layers (~53k parameters at 6 brands): stem /2,
stages at /4, /8 and /16, two dilated layers at /16 (so a cell sees more than a large logo's
parts), upsampled and joined to the /8 features. Per stride-8 cell: softmax over background +
one class per brand. Its cost barely depends on the number of brands (only the last 1x1
convolution grows). TensorFlow is imported when a net is built or loaded, never at import.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import structlog

from sightline_analysis.logo.learned.synth import STRIDE

log = structlog.get_logger(__name__)

Box = tuple[float, float, float, float]  # x, y, w, h in frame pixels
Probabilities = npt.NDArray[np.float32]  # rows x cols x (1 + brands)
INPUT_WIDTH = 480
"""Width a frame is resized to before the net sees it (the training crops' scale)."""
LITE_TOLERANCE = 1e-3
"""Largest difference of a probability between the TensorFlow Lite copy of a net and the net
itself on a check image; a copy that differs more is not used (see `HeatmapNet`)."""


@dataclass(frozen=True)
class Candidate:
    """A region where the net sees a brand: box in frame pixels, peak probability, cells."""

    brand: str
    box: Box
    score: float
    cells: int


def build(classes: int, width: float = 1.0) -> Any:
    """An untrained net for `classes` brands (+ background); `width` scales every layer."""
    import tensorflow as tf  # noqa: PLC0415 - heavy; loaded only when a net is used

    layers = tf.keras.layers

    def size(n: int) -> int:
        return max(8, int(n * width))

    def separable(x: Any, filters: int, stride: int = 1, dilation: int = 1) -> Any:
        x = layers.DepthwiseConv2D(3, strides=stride, padding="same", dilation_rate=dilation,
                                   use_bias=False)(x)  # fmt: skip
        x = layers.BatchNormalization()(x)
        x = layers.ReLU(6.0)(x)
        x = layers.Conv2D(filters, 1, use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        return layers.ReLU(6.0)(x)

    inputs = tf.keras.Input((None, None, 3), dtype="uint8")
    x = layers.Rescaling(1 / 127.5, offset=-1.0)(inputs)
    x = layers.Conv2D(size(16), 3, strides=2, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU(6.0)(x)
    x = separable(x, size(32), 2)
    x = separable(x, size(32))
    x = separable(x, size(64), 2)
    x8 = separable(x, size(64))
    x = separable(x8, size(96), 2)
    x = separable(x, size(96), dilation=2)
    x = separable(x, size(96), dilation=4)
    x = layers.UpSampling2D(2)(x)
    x = layers.Concatenate()([x, x8])
    x = separable(x, size(64))
    outputs = layers.Conv2D(classes + 1, 1, activation="softmax")(x)
    return tf.keras.Model(inputs, outputs)


def candidates(
    probs: Probabilities, names: Sequence[str], scale: tuple[float, float],
    threshold: float = 0.5, min_cells: int = 1,
) -> list[Candidate]:  # fmt: skip
    """Per brand (channel k+1 is `names[k]`), each 8-connected group of cells whose probability
    reaches `threshold`, as a box in frame pixels (`scale`: frame pixels per input pixel, x
    and y) scored by its peak; groups of fewer than `min_cells` cells are dropped."""
    found = []
    sx, sy = scale
    for index, name in enumerate(names, start=1):
        plane = probs[:, :, index]
        mask = (plane >= threshold).astype(np.uint8)
        if not mask.any():
            continue
        count, parts, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        for part in range(1, count):
            x, y, w, h, area = (int(v) for v in stats[part])
            if area < min_cells:
                continue
            score = float(plane[parts == part].max())
            box = (x * STRIDE * sx, y * STRIDE * sy, w * STRIDE * sx, h * STRIDE * sy)
            found.append(Candidate(name, box, score, area))
    return found


def single_threaded_tensorflow() -> Any:
    """TensorFlow on one intra-op and one inter-op thread: the net shares the machine with the
    rest of the detector (and training with live analysis), and ~10 ms per frame needs no more.
    A process whose TensorFlow is already initialised keeps its setting."""
    import tensorflow as tf  # noqa: PLC0415 - heavy; loaded only when a net is used

    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass
    return tf


class HeatmapNet:
    """A trained net and its class names: frame in, candidate boxes out (one CPU thread).

    With `lite` (the default) the net runs as a TensorFlow Lite copy (XNNPACK kernels, from
    the `tensorflow` wheel), converted once per input shape (~1 CPU-s for the kit's net) and checked
    against the net on a test image before use; a copy that fails to convert or differs by
    more than `LITE_TOLERANCE` is replaced by the TensorFlow graph (logged). Logo kit seed
    1401 frames (720p, 480 x 272 input, one thread): 4.7 ms per call against 56 ms for the
    traced graph in the same process (load 7, nproc 2), probabilities within 1.5e-6. An
    interpreter is not safe to share, so each thread holds its own.
    """

    def __init__(
        self, model: Any, names: Sequence[str], threshold: float = 0.5, lite: bool = True
    ) -> None:
        tf = single_threaded_tensorflow()
        self.model = model
        self.names = list(names)
        self.threshold = threshold
        self.lite = lite
        # A graph traced once per input shape: eager Keras calls cost several times more.
        self._run = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
        self._tensor = tf.constant
        self._lite_models: dict[tuple[int, int], bytes | None] = {}
        """The Lite copy per input shape (rows, width); None where it is unusable."""
        self._lite_lock = threading.Lock()
        self._per_thread = threading.local()

    def heatmap(
        self, image: npt.NDArray[np.uint8], width: int = INPUT_WIDTH
    ) -> tuple[Probabilities, tuple[float, float]]:
        """The net's per-cell probabilities for a BGR frame reduced to `width` (a multiple of
        16; wider than `INPUT_WIDTH` shows the net the frame larger than it was trained at)
        and the frame-per-input scale."""
        height, frame_width = image.shape[:2]
        rows = input_rows(frame_width, height, width)
        small = _reduced(image, width, rows)
        interpreter = self._interpreter(rows, width) if self.lite else None
        probs = self._graph(small) if interpreter is None else _invoke(interpreter, small)
        return probs, (frame_width / width, height / rows)

    def __call__(self, image: npt.NDArray[np.uint8], width: int = INPUT_WIDTH) -> list[Candidate]:
        """Candidate boxes (frame pixels) for every brand the net sees in `image` reduced to
        `width` (see `heatmap`)."""
        probs, scale = self.heatmap(image, width)
        return candidates(probs, self.names, scale, self.threshold)

    def ready(self, rows: int, width: int = INPUT_WIDTH) -> bool:
        """Whether a frame whose input is `rows` high (`input_rows`) and `width` wide runs
        without first converting the net's Lite copy for that shape (which `prepare` does
        ahead)."""
        return not self.lite or (rows, width) in self._lite_models

    def prepare(self, rows: int, width: int = INPUT_WIDTH) -> None:
        """Convert (and check) the Lite copy for `rows` x `width` inputs now, so the first
        frame of that shape does not pay for it (~1 CPU-s for the kit's net at 480 px wide,
        seconds under load); a frame arriving meanwhile waits for this conversion rather
        than running its own."""
        if self.lite:
            with self._lite_lock:
                if (rows, width) not in self._lite_models:
                    self._lite_models[rows, width] = self._checked_copy(rows, width)

    def _graph(self, small: npt.NDArray[np.uint8]) -> Probabilities:
        """The TensorFlow graph's probabilities for an input-sized image."""
        return np.asarray(self._run(self._tensor(small[None]))[0], np.float32)

    def _interpreter(self, rows: int, width: int) -> Any | None:
        """This thread's interpreter of the Lite copy for `rows` x `width` inputs, None when
        there is no usable copy."""
        held: dict[tuple[int, int], Any] = self._per_thread.__dict__.setdefault("interpreters", {})
        if (rows, width) not in held:
            self.prepare(rows, width)
            flat = self._lite_models[rows, width]
            held[rows, width] = None if flat is None else _interpreter(flat)
        return held[rows, width]

    def _checked_copy(self, rows: int, width: int) -> bytes | None:
        """The Lite copy of the net for `rows` x `width` inputs, if it converts and gives the
        net's probabilities on a check image (a gradient with texture) within
        `LITE_TOLERANCE`."""
        from tensorflow.lite.python.convert_phase import ConverterError  # noqa: PLC0415

        tf = single_threaded_tensorflow()
        try:
            flat = _frozen_lite(tf, self._run, rows, width)
            check = _check_image(rows, width)
            difference = float(
                np.max(np.abs(_invoke(_interpreter(flat), check) - self._graph(check)))
            )
        except (ConverterError, ImportError, RuntimeError, ValueError) as exc:
            log.warning("logo.net_lite_unusable", rows=rows, width=width, reason=str(exc))
            return None
        if not difference <= LITE_TOLERANCE:  # NaN fails too
            log.warning("logo.net_lite_unusable", rows=rows, width=width, difference=difference)
            return None
        return flat


def _reduced(image: npt.NDArray[np.uint8], width: int, rows: int) -> npt.NDArray[np.uint8]:
    """`image` area-averaged to `width` x `rows`, halved first while half of it is still
    wider: OpenCV averages an exact halving on a fast path, and the last, fractional step
    then reads a quarter of the pixels (720p to 480 x 272: 5.7-6.4 -> 2.6-3.1 ms process CPU,
    load ~10, nproc 2; pixels within 4 grey levels of one area average, mean 0.6)."""
    while image.shape[1] // 2 > width:
        half = (image.shape[1] // 2, image.shape[0] // 2)
        image = np.asarray(cv2.resize(image, half, interpolation=cv2.INTER_AREA), np.uint8)
    return np.asarray(cv2.resize(image, (width, rows), interpolation=cv2.INTER_AREA), np.uint8)


def input_rows(width: int, height: int, input_width: int = INPUT_WIDTH) -> int:
    """The height of the net's input for a `width` x `height` frame (`input_width` wide, the
    frame's aspect, a multiple of 16): 272 for any 16:9 frame at `INPUT_WIDTH`."""
    return max(16, round(height * input_width / width / 16) * 16)


def _frozen_lite(tf: Any, run: Any, rows: int, width: int) -> bytes:
    """The Lite flatbuffer of the net's function `run` for `rows` x `width` uint8 inputs,
    with the weights folded into constants. A concrete function converted with its variables
    gives NaN (they become resources the copy never fills), and `from_keras_model` exports a
    SavedModel first: 3.6-3.8 CPU-s against 0.8-0.9 for the kit's net (same process,
    alternating, same probabilities within 5.4e-7; nproc 2, idle). Traced afresh for the
    shape: `run` reduces retracing, so its trace for a second shape has free dimensions, and
    a copy converted from that takes no input (its input is 1 x 1 x 1 x 3)."""
    from tensorflow.python.framework.convert_to_constants import (  # noqa: PLC0415
        convert_variables_to_constants_v2,
    )

    spec = tf.TensorSpec((1, rows, width, 3), tf.uint8)
    traced = tf.function(run.python_function).get_concrete_function(spec)
    frozen = convert_variables_to_constants_v2(traced)
    return bytes(tf.lite.TFLiteConverter.from_concrete_functions([frozen]).convert())


def _interpreter(flat: bytes) -> Any:
    """A one-thread TensorFlow Lite interpreter of the converted net `flat`."""
    import tensorflow as tf  # noqa: PLC0415 - heavy; loaded only when a net is used

    interpreter = tf.lite.Interpreter(model_content=flat, num_threads=1)
    interpreter.allocate_tensors()
    return interpreter


def _invoke(interpreter: Any, small: npt.NDArray[np.uint8]) -> Probabilities:
    """The interpreter's probabilities for an input-sized image (a copy: the interpreter
    reuses its output buffer)."""
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], small[None])
    interpreter.invoke()
    output = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    return np.array(output[0], np.float32)


def _check_image(rows: int, width: int) -> npt.NDArray[np.uint8]:
    """A deterministic textured input-sized image (gradients and a checkerboard)."""
    y, x = np.mgrid[0:rows, 0:width]
    board = ((x // 12 + y // 12) % 2) * 120
    image = np.stack([x * 255 // width, y * 255 // rows, board], axis=-1)
    return np.ascontiguousarray(image, np.uint8)
