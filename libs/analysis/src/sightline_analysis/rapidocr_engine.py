"""What both users of rapidocr (the text analyzer, the logo channel's wordmark reader) change in
its engine, so that the two read the same way and are measured once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from sightline_analysis.frames import Image


def detector_input(
    image: Image, mean: Sequence[float], std: Sequence[float]
) -> npt.NDArray[np.float32]:
    """The text detector's input for `image` as rapidocr's `DetPreProcess` makes it when it
    does not shrink (sides rounded to multiples of 32, (x / 255 - mean) / std, NCHW float32),
    in one OpenCV call: rapidocr computes it in float64 numpy, 12.7 ms per 640x360 frame
    against 1.5 ms here (92d783e), a tenth of a whole-frame detection. One `std` for every
    channel (`check_uniform_std`)."""
    height, width = image.shape[:2]
    size = (max(32, round(width / 32) * 32), max(32, round(height / 32) * 32))
    offset = tuple(255.0 * m for m in mean)
    return np.asarray(
        cv2.dnn.blobFromImage(image, 1.0 / (255.0 * std[0]), size, offset), np.float32
    )


def check_uniform_std(engine: Any) -> None:
    """Refuse an engine whose detector normalises each channel apart (`detector_input` scales
    all three alike): a rapidocr release that changed it fails at start-up, not in the reads."""
    if len(set(engine.text_det.std)) != 1:
        raise RuntimeError("text detector normalised per channel: detector_input cannot")


def with_memory_arena(session: Any) -> Any:
    """`session`'s model in a session that keeps onnxruntime's CPU memory arena.

    rapidocr turns the arena off, so every inference allocates its activations (megabytes)
    anew and the kernel maps and zeroes their pages again (~1,800-3,800 page faults per 4
    segments of visual_cost_bench's clip, ~1 with the arena); measured in one process,
    alternating: the text analyzer's CPU -5% and -8% in two runs of 6-10 repeats, the same
    lines (the logo channel's reader showed no gain, so it keeps rapidocr's sessions).
    """
    import onnxruntime  # noqa: PLC0415 - optional, comes with rapidocr

    given = session.get_session_options()
    options = onnxruntime.SessionOptions()
    options.log_severity_level = given.log_severity_level
    options.graph_optimization_level = given.graph_optimization_level
    options.intra_op_num_threads = given.intra_op_num_threads
    options.inter_op_num_threads = given.inter_op_num_threads
    options.enable_cpu_mem_arena = True
    return onnxruntime.InferenceSession(
        session._model_path, sess_options=options, providers=session.get_providers()
    )
