"""Trained nets in object storage, keyed by what they were trained from.

The key is a hash of the library (each reference's brand and decoded pixels, in a fixed order),
the `TrainingRecipe` and the model version: a detector and a trainer that see the same library
compute the same key, so the detector finds the trainer's weights without being told, and a
changed library (or recipe) simply has no weights yet. Under `proposals/<key>/` the trainer
writes `model.keras` and then `names.json`: the class names, written last, mark a complete set.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

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
    `recipe` and the model version."""
    body = json.dumps(
        {
            "references": sorted(digests),
            "recipe": recipe.model_dump(mode="json"),
            "model": MODEL_VERSION,
        },
        sort_keys=True,
    )
    return hashlib.sha256(body.encode()).hexdigest()[:32]


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
