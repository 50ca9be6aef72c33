"""Face analyzer on TensorFlow: MTCNN (weights ship inside the `mtcnn` wheel, runs offline).

Needs the `tensorflow` extra of sightline-analysis; TensorFlow is imported only when this
analyzer is built, so detectors that do not use it never pay for loading it.

By default MTCNN runs once per second of stream time (`every_s`; 2 of a 2-s segment's 4 frames
at 2 fps) and again where the picture changes as at a cut; the frames between report the
detected frame's faces marked `held` (analyzers/cadence.py). `every_s: 0` detects on every
sampled frame.

MTCNN's first network (PNet, run over every level of an image pyramid) was four fifths of the
analyzer's CPU; it runs on OpenCV's DNN module with the wheel's own weights copied in
(`_OpenCvPNet`), which computes the same outputs (within 2e-5) for less CPU than TensorFlow. The
second network (RNet; "face_detection_only" runs no third) sees only PNet's candidates and stays
on TensorFlow: moved to OpenCV the same way it gave the same outputs (within 1e-6) for no less
CPU (faces_mtcnn 0.0475 against 0.0473 CPU-s per stream-second, one process, alternating, load
6.7). Neither did one OpenCV network per pyramid-level shape (0.0472 against 0.0473), nor did
OpenCV's area resize for mtcnn's pyramid (within 4e-5 of TensorFlow's pixels, the same boxes but
one confidence 0.9110 against 0.9109, and no less CPU: 0.0485 against 0.0461, load 4-5.6).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Final, Literal

import cv2
import numpy as np
import numpy.typing as npt
from pydantic import Field

from sightline_analysis.analyzers.base import (
    Analyzer,
    AnalyzerConfig,
    AnalyzerContext,
)
from sightline_analysis.analyzers.cadence import HeldConfig, detection_plan, hold
from sightline_analysis.analyzers.plugins.faces import face_result
from sightline_analysis.frames import Frame, Image
from sightline_common.messages import ResultItem

KEY: Final = "faces_mtcnn"


class MtcnnConfig(HeldConfig):
    """Detection canvas, smallest face (px on it), confidence floor, CPU threads, how often.

    Every frame is letterboxed onto one fixed canvas: MTCNN's image pyramid then has the same
    shape for every input (some input sizes make its smallest pyramid level fail).
    """

    type: Literal["faces_mtcnn"] = KEY
    detect_size: tuple[int, int] = (640, 360)
    # mtcnn 1.0's pyramid fails on this canvas for some values (28, 40 seen); 12..24 work.
    min_face_px: int = Field(20, ge=12, le=24)
    min_confidence: float = 0.9
    threads: int = 1


# PNet as a Caffe network description (what OpenCV's DNN module reads); the weights come from
# mtcnn's Keras model. Keras' 2x2 "same" max-pooling equals Caffe's (which rounds its output up).
_PNET_PROTOTXT = """
input: "data" input_dim: 1 input_dim: 3 input_dim: 12 input_dim: 12
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
  convolution_param { num_output: 10 kernel_size: 3 } }
layer { name: "prelu1" type: "PReLU" bottom: "conv1" top: "conv1" }
layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1"
  pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layer { name: "conv2" type: "Convolution" bottom: "pool1" top: "conv2"
  convolution_param { num_output: 16 kernel_size: 3 } }
layer { name: "prelu2" type: "PReLU" bottom: "conv2" top: "conv2" }
layer { name: "conv3" type: "Convolution" bottom: "conv2" top: "conv3"
  convolution_param { num_output: 32 kernel_size: 3 } }
layer { name: "prelu3" type: "PReLU" bottom: "conv3" top: "conv3" }
layer { name: "conv4-1" type: "Convolution" bottom: "conv3" top: "conv4-1"
  convolution_param { num_output: 4 kernel_size: 1 } }
layer { name: "conv4-2" type: "Convolution" bottom: "conv3" top: "conv4-2"
  convolution_param { num_output: 2 kernel_size: 1 } }
layer { name: "prob1" type: "Softmax" bottom: "conv4-2" top: "prob1" }
"""


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | 0x80 if value else low)
        if not value:
            return bytes(out)


def _message_field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field (wire type 2): a sub-message, a string, packed values."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _caffe_weights(layers: dict[str, list[npt.NDArray[np.float32]]]) -> bytes:
    """A Caffe binary model (protobuf NetParameter) holding only each named layer's blobs.

    OpenCV builds a Caffe network only with its weights (there is no call that gives a layer
    blobs it was built without), and the protobuf package is not a dependency here; the four
    fields used are stable Caffe schema: NetParameter.layer (100), LayerParameter.name (1) and
    .blobs (7), BlobProto.shape (7: BlobShape.dim, 1) and .data (5, packed little-endian float).
    """
    out = b""
    for name, blobs in layers.items():
        body = _message_field(1, name.encode())
        for blob in blobs:
            shape = _message_field(1, b"".join(_varint(d) for d in blob.shape))
            data = np.ascontiguousarray(blob, "<f4").tobytes()
            body += _message_field(7, _message_field(7, shape) + _message_field(5, data))
        out += _message_field(100, body)
    return out


class _OpenCvPNet:
    """mtcnn's PNet (a Keras model) computed by OpenCV's DNN module: called as the Keras model
    is (an NHWC float tensor batch in, [box regression, face probability] NHWC tensors out).

    A `cv2.dnn.Net` is not safe across threads, so calls are serialised. One network serves
    every pyramid level (one per level's shape was measured no cheaper).
    """

    def __init__(self, keras_pnet: Any) -> None:
        def conv(layer: Any) -> list[npt.NDArray[np.float32]]:
            kernel, bias = layer.get_weights()  # Keras (h, w, in, out); Caffe (out, in, h, w)
            return [np.transpose(kernel, (3, 2, 0, 1)), bias]

        weights = {
            "conv1": conv(keras_pnet.conv1),
            "conv2": conv(keras_pnet.conv2),
            "conv3": conv(keras_pnet.conv3),
            "conv4-1": conv(keras_pnet.conv4_1),
            "conv4-2": conv(keras_pnet.conv4_2),
            **{
                f"prelu{i}": [getattr(keras_pnet, f"prelu{i}").get_weights()[0].reshape(-1)]
                for i in (1, 2, 3)
            },
        }
        self._net = cv2.dnn.readNetFromCaffe(
            np.frombuffer(_PNET_PROTOTXT.encode(), np.uint8),
            np.frombuffer(_caffe_weights(weights), np.uint8),
        )
        self._lock = threading.Lock()

    def __call__(self, images: Any) -> list[Any]:
        import tensorflow as tf  # noqa: PLC0415 - loaded with the analyzer

        batch = np.ascontiguousarray(np.transpose(np.asarray(images, np.float32), (0, 3, 1, 2)))
        with self._lock:
            self._net.setInput(batch)
            regression, probability = self._net.forward(["conv4-1", "prob1"])
        return [
            tf.convert_to_tensor(np.transpose(out, (0, 2, 3, 1)))
            for out in (regression, probability)
        ]


def _load_detector(threads: int) -> Any:
    import mtcnn.utils.images  # noqa: PLC0415
    import tensorflow as tf  # noqa: PLC0415 - heavy; loaded only when this analyzer is used
    from mtcnn import MTCNN  # noqa: PLC0415

    def normalize_once(images: Any) -> Any:
        # mtcnn normalises the batch to a float64 NumPy array, which TensorFlow then copies and
        # converts at every pyramid level and stage (a third of the CPU); one float32 tensor
        # made here is what every level reads (the networks compute in float32 anyway).
        pixels = np.asarray(images, np.float32)
        return tf.convert_to_tensor((pixels - np.float32(127.5)) / np.float32(128.0))

    mtcnn.utils.images.normalize_images = normalize_once

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # TensorFlow already initialised in this process: keep its setting
        pass
    detector = MTCNN(stages="face_detection_only", device="CPU:0")
    # mtcnn runs its Keras networks eagerly, layer by layer from Python: most of a frame's
    # cost was that overhead. Compiled as graphs (tf.function) the same weights gave the same
    # boxes at ~1/3 of the CPU; PNet now runs on OpenCV instead, RNet stays compiled.
    pnet, *later = detector.stages
    pnet._model = _OpenCvPNet(pnet._model)
    for stage in later:
        stage._model = tf.function(stage._model, reduce_retracing=True)
    return detector


def _letterbox(frame: Frame, size: tuple[int, int]) -> tuple[Image, float]:
    """`frame` scaled to fit `size` (width, height), top-left aligned on black, in RGB; and
    the scale. The reduced copy is the frame's shared one (`Frame.scaled`)."""
    width, height = size
    scale = min(width / frame.width, height / frame.height)
    if scale < 1.0:
        resized = frame.scaled(max(1, round(frame.width * scale)))
    else:  # a small stream is enlarged onto the canvas, as before (Frame.scaled never enlarges)
        resized = np.asarray(
            cv2.resize(frame.image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA),
            np.uint8,
        )
    # One OpenCV conversion (numpy's reversed-channel copy cost 10x more); a 16:9 frame fills
    # the canvas, so the converted copy is the canvas.
    rgb = np.asarray(cv2.cvtColor(resized[:height, :width], cv2.COLOR_BGR2RGB), np.uint8)
    if rgb.shape != (height, width, 3):
        canvas = np.zeros((height, width, 3), np.uint8)
        canvas[: rgb.shape[0], : rgb.shape[1]] = rgb
        rgb = canvas
    return rgb, resized.shape[1] / frame.width


class MtcnnFacesAnalyzer(Analyzer):
    """Boxes of faces found by MTCNN's three networks, with their confidence."""

    key = KEY
    config_model = MtcnnConfig

    def __init__(self, config: AnalyzerConfig, context: AnalyzerContext) -> None:
        super().__init__(config, context)
        assert isinstance(config, MtcnnConfig)
        self._cfg = config
        self._detector = _load_detector(config.threads)

    def analyze(self, stream_id: str, frames: Sequence[Frame]) -> list[list[ResultItem]]:
        """Faces per frame (count = number of `face` results): detected as `detection_plan`
        says, held on the frames between."""
        if not frames:
            return []
        plan = detection_plan(frames, self._cfg)
        chosen = sorted(set(plan))
        return hold(plan, dict(zip(chosen, self._detect([frames[i] for i in chosen]), strict=True)))

    def _detect(self, frames: list[Frame]) -> list[list[ResultItem]]:
        canvases = [_letterbox(frame, self._cfg.detect_size) for frame in frames]
        # One batch per segment: every canvas has the same shape, so the networks run once
        # per pyramid level for all frames instead of once per frame (same boxes, less CPU).
        found = self._detector.detect_faces(
            [canvas for canvas, _ in canvases], min_face_size=self._cfg.min_face_px
        )
        out: list[list[ResultItem]] = [[] for _ in frames]
        for slot, frame, (_, scale), faces in zip(out, frames, canvases, found, strict=True):
            for face in faces:
                confidence = float(face["confidence"])
                if confidence < self._cfg.min_confidence:
                    continue
                x, y, w, h = (float(v) / scale for v in face["box"])
                slot.append(face_result((x, y, w, h), frame, confidence, {"model": "mtcnn"}))
        return out
