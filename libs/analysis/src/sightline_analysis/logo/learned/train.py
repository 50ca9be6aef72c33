"""Training the heatmap net on synthetic crops of a library's references, on one CPU thread.

The run is a function of the references and the `TrainingRecipe` only: the same inputs give
the same weights (seeded synthesis, seeded Keras, TensorFlow's deterministic ops), so weights
can be keyed by a hash of the library and the recipe. Measured (session 7, nproc 2): the
default recipe at 6 brands costs ~500 CPU-s (about half synthesis, half fitting).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from sightline_analysis.logo.learned.model import HeatmapNet, build, single_threaded_tensorflow
from sightline_analysis.logo.learned.sprites import Image, library_sprites
from sightline_analysis.logo.learned.synth import dataset

MODEL_VERSION = "heatmap-sep8/1"
"""Changes whenever the net, the synthesis or the training loop changes what a recipe yields."""


class TrainingRecipe(BaseModel):
    """Everything besides the references that decides the trained weights."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    seed: int = 0
    steps: int = Field(default=1875, ge=1)
    """Optimiser steps (batches); crops = steps x batch, synthesised in chunks."""
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
    remaining = recipe.steps * recipe.batch
    chunk = 0
    while remaining > 0:
        if should_stop():
            raise TrainingStopped
        count = min(recipe.chunk_crops, remaining)
        images, maps = dataset(recipe.seed * 1000 + chunk, sprites, count, recipe.crop_size)
        weights = np.where(maps > 0, recipe.positive_weight, 1.0).astype(np.float32)
        model.fit(images, maps, sample_weight=weights, batch_size=recipe.batch, epochs=1,
                  verbose=0, shuffle=True)  # fmt: skip
        remaining -= count
        chunk += 1
    if should_stop():
        raise TrainingStopped
    return HeatmapNet(model, names)


def _deterministic_tensorflow() -> Any:
    """Single-threaded TensorFlow with deterministic ops: the weights must not depend on
    scheduling."""
    tf = single_threaded_tensorflow()
    tf.config.experimental.enable_op_determinism()
    return tf
