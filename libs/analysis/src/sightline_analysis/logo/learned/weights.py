"""Trained nets in object storage, keyed by what they were trained from.

The key is a hash of the library (each reference's brand and decoded pixels, in a fixed order),
the `TrainingRecipe`, the model version and the code that decides the weights (the net's
architecture, the synthesis, the training loop: `training_code_digest`): a detector and a
trainer that see the same library compute the same key, so the detector finds the trainer's
weights without being told, and a changed library (or recipe, or net) simply has no weights
yet. The code is in the key because with the version alone, an experiment that changed the
net's shape under the same `MODEL_VERSION` wrote weights that a later run of other code loaded.
Under `proposals/<key>/` the trainer writes `model.keras` and then `names.json`: the class
names, written last, mark a complete set.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import inspect
import json
import tempfile
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sightline_analysis.logo.learned import clutter, model, sprites, synth, train
from sightline_analysis.logo.learned.model import HeatmapNet
from sightline_analysis.logo.learned.sprites import Image
from sightline_analysis.logo.learned.train import MODEL_VERSION, TrainingRecipe
from sightline_common.errors import MissingObjectError
from sightline_common.storage import ObjectStore
from sightline_common.storage_access import PROPOSALS_PREFIX


def _object_key(key: str, name: str) -> str:
    """Where file `name` of the net stored under `key` lives in the logos bucket: under
    `PROPOSALS_PREFIX`, the one place the trainer's storage user may write."""
    return f"{PROPOSALS_PREFIX}/{key}/{name}"


def reference_digest(image: Image) -> str:
    """A reference's decoded pixels as a short string (shape and SHA-256)."""
    return f"{image.shape}:{hashlib.sha256(np.ascontiguousarray(image).tobytes()).hexdigest()}"


def library_key(digests: Iterable[tuple[str, str]], recipe: TrainingRecipe) -> str:
    """A hash of the library ((brand, `reference_digest`) per reference, in any order),
    `recipe`, the model version and `training_code_digest`."""
    body = json.dumps(
        {
            "references": sorted(digests),
            "recipe": recipe.model_dump(mode="json"),
            "model": MODEL_VERSION,
            "code": training_code_digest(),
        },
        sort_keys=True,
    )
    return hashlib.sha256(body.encode()).hexdigest()[:32]


@functools.cache
def training_code_digest() -> str:
    """`source_digest` of the code a net's weights follow from: the architecture
    (`model.build`), the training loop and the synthesis of its crops. Read from the source
    rather than from a built model, so a detector without TensorFlow computes it too (and
    without the import's seconds); computed once per process."""
    functions = [inspect.getsource(f) for f in (model.build, train.train, train.brand_classes)]
    return source_digest([*functions, *(inspect.getsource(m) for m in (synth, sprites, clutter))])


def source_digest(sources: Iterable[str]) -> str:
    """A hash of Python `sources` as syntax trees without docstrings: a comment, a docstring
    or a reformatting leaves it as it is (no retraining for them); any change to what the
    code does (a layer's width, a synthesis constant) changes it."""
    digest = hashlib.sha256()
    for source in sources:
        tree = _WithoutDocstrings().visit(ast.parse(textwrap.dedent(source)))
        digest.update(ast.dump(tree).encode())
    return digest.hexdigest()[:16]


class _WithoutDocstrings(ast.NodeTransformer):
    """Drops statements that are a bare string (docstrings, attribute docstrings)."""

    def generic_visit(self, node: ast.AST) -> ast.AST:
        super().generic_visit(node)
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and all(isinstance(s, ast.stmt) for s in body):
            kept = [s for s in body if not _is_docstring(s)]
            node.body = kept or [ast.Pass()]  # type: ignore[attr-defined]
        return node


def _is_docstring(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def net_to_bytes(net: HeatmapNet) -> bytes:
    """The net's Keras archive."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        net.model.save(path)
        return path.read_bytes()


def net_from_bytes(data: bytes, names: Sequence[str]) -> HeatmapNet:
    """A net from its Keras archive and class names."""
    import tensorflow as tf  # noqa: PLC0415 - heavy; loaded only when a net is used

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        path.write_bytes(data)
        model: Any = tf.keras.models.load_model(path, compile=False)
    return HeatmapNet(model, names)


class WeightsStore:
    """Nets under `proposals/<key>/` of one bucket."""

    def __init__(self, store: ObjectStore, bucket: str) -> None:
        self._store = store
        self.bucket = bucket

    def save(self, key: str, net: HeatmapNet) -> None:
        """Store `net` under `key` (the archive first, the names last)."""
        self._store.put_bytes(self.bucket, _object_key(key, "model.keras"), net_to_bytes(net))
        names = json.dumps(net.names).encode()
        self._store.put_bytes(
            self.bucket, _object_key(key, "names.json"), names, "application/json"
        )

    def has(self, key: str) -> bool:
        """Whether a complete net is stored under `key`."""
        return self._store.exists(self.bucket, _object_key(key, "names.json"))

    def load(self, key: str) -> HeatmapNet | None:
        """The net stored under `key`, None when there is none (yet); StorageUnavailableError
        when storage cannot be reached."""
        try:
            names = json.loads(self._store.get_bytes(self.bucket, _object_key(key, "names.json")))
            data = self._store.get_bytes(self.bucket, _object_key(key, "model.keras"))
        except MissingObjectError:
            return None
        return net_from_bytes(data, [str(n) for n in names])
