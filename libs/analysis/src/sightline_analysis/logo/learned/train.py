"""Training the heatmap net on synthetic crops of a library's references, on one CPU thread.

The run is a function of the references and the `TrainingRecipe` only: the same inputs give
the same weights (seeded synthesis, seeded Keras, TensorFlow's deterministic ops), so weights
can be keyed by a hash of the library and the recipe. Measured (session 19, nproc 2): the
default recipe at 6 brands costs ~760 CPU-s (1875 steps cost ~380; about half synthesis, half
fitting).

The default recipe (session 19, issue #14) trains 3750 steps and keeps an exponential moving
average of the weights: at 1875 steps and the last weights the kit's figures hung on the seed
(kit replays, 4 shots, carried; appearances over tune seeds 1401+1403, seeds 0-3: 80 / 78 / 75 /
77, precision below 0.97 in 3 of 8 runs; the held-out synthetic loss 0.309-0.331 showed the net
undertrained). At 3750 steps with the average: 82 / 84 / 82 / 83, loss 0.24-0.25, precision
>= 0.984 on seeds 0-2; seed 3 still 0.963 / 0.946 (false tracks on the edges and look-alike
clips), so a bad draw is rarer, not gone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from sightline_analysis.logo.learned.model import HeatmapNet, build, single_threaded_tensorflow
from sightline_analysis.logo.learned.sprites import Image, library_sprites
from sightline_analysis.logo.learned.synth import dataset

MODEL_VERSION = "heatmap-sep8/2"
"""Changes whenever the net, the synthesis or the training loop changes what a recipe yields."""


class TrainingRecipe(BaseModel):
    """Everything besides the references that decides the trained weights."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    seed: int = 0
    steps: int = Field(default=3750, ge=1)
    """Optimiser steps (batches); crops = steps x batch, synthesised in chunks."""
    average: float = Field(default=0.995, ge=0.0, lt=1.0)
    """Decay per step of the moving average of the weights (BatchNorm statistics included)
    that becomes the net; 0 keeps the last weights. It costs nothing at inference."""
    batch: int = Field(default=32, ge=1)
    crop_size: int = Field(default=128, ge=32, multiple_of=16)
    chunk_crops: int = Field(default=3000, ge=1)
    """Crops synthesised and fitted at once (memory: ~50 KB each at 128 px)."""
    width: float = Field(default=1.0, gt=0.0)
    positive_weight: float = Field(default=3.0, gt=0.0)
    """Loss weight of a logo cell against a background cell (logo cells are rare)."""
    learning_rate: float = Field(default=3e-3, gt=0.0)
    eager: bool = False
    """Run steps eagerly instead of tracing a graph: slower per step, but a run of a few
    steps (a test) skips the seconds of tracing."""


class TrainingStopped(Exception):  # noqa: N818 - a request, not a failure
    """`train` was asked to stop before it finished; nothing was trained."""


def brand_classes(references: Sequence[tuple[str, Image]]) -> list[str]:
    """The net's class names: each brand once, sorted (class k+1 is the k-th)."""
    return sorted({brand for brand, _ in references})


def train(
    references: Sequence[tuple[str, Image]],
    recipe: TrainingRecipe,
    should_stop: Callable[[], bool] = lambda: False,
) -> HeatmapNet:
    """A net trained to find the brands of `references` ((brand, decoded reference image));
    raises ValueError without references. `should_stop` is asked before every chunk and at
    the end (a trainer's SIGTERM): when it says so, TrainingStopped is raised within one
    chunk (seconds) instead of at the end of the run (minutes)."""
    if not references:
        raise ValueError("training needs at least one reference")
    tf = _deterministic_tensorflow()
    names = brand_classes(references)
    labelled = [(names.index(brand) + 1, image) for brand, image in references]
    sprites = library_sprites(labelled)
    tf.keras.utils.set_random_seed(recipe.seed)
    model = build(len(names), recipe.width)
    schedule = tf.keras.optimizers.schedules.CosineDecay(
        recipe.learning_rate, recipe.steps, alpha=0.05
    )
    model.compile(optimizer=tf.keras.optimizers.Adam(schedule),
                  loss="sparse_categorical_crossentropy", jit_compile=False,
                  run_eagerly=recipe.eager)  # fmt: skip
    average = _WeightAverage(model, recipe.average)
    callbacks = [tf.keras.callbacks.LambdaCallback(on_train_batch_end=average.update)]
    remaining = recipe.steps * recipe.batch
    chunk = 0
    while remaining > 0:
        if should_stop():
            raise TrainingStopped
        count = min(recipe.chunk_crops, remaining)
        images, maps = dataset(recipe.seed * 1000 + chunk, sprites, count, recipe.crop_size)
        weights = np.where(maps > 0, recipe.positive_weight, 1.0).astype(np.float32)
        model.fit(images, maps, sample_weight=weights, batch_size=recipe.batch, epochs=1,
                  verbose=0, shuffle=True,
                  callbacks=callbacks if recipe.average else None)  # fmt: skip
        remaining -= count
        chunk += 1
    if should_stop():
        raise TrainingStopped
    if recipe.average:
        model.set_weights(average.weights())
    return HeatmapNet(model, names)


class _WeightAverage:
    """The exponential moving average of a model's weights, updated after every step (float64
    sums, so the 1 - decay shares do not round away)."""

    def __init__(self, model: Any, decay: float) -> None:
        self._model = model
        self._decay = decay
        self._sums = [np.array(w, np.float64) for w in model.get_weights()]

    def update(self, *_: Any, **__: Any) -> None:
        """Fold the model's current weights in (a Keras batch-end callback)."""
        for total, current in zip(self._sums, self._model.get_weights(), strict=True):
            np.multiply(total, self._decay, out=total)
            np.add(total, (1 - self._decay) * current, out=total)

    def weights(self) -> list[npt.NDArray[np.float32]]:
        """The averaged weights, as the model holds them."""
        return [np.asarray(total, np.float32) for total in self._sums]


def _deterministic_tensorflow() -> Any:
    """Single-threaded TensorFlow with deterministic ops: the weights must not depend on
    scheduling."""
    tf = single_threaded_tensorflow()
    tf.config.experimental.enable_op_determinism()
    return tf
