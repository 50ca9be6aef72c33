"""Stream keys: minted once, stored only as a SHA-256 hash, compared in constant time.

A key is also the folder name nginx-rtmp writes HLS into (`hls_nested`), so only keys made of
URL-safe characters are ever used as paths.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading

_SAFE_KEY = re.compile(r"^[A-Za-z0-9_-]{8,128}$")


def new_key() -> str:
    """A fresh random stream key (192 bits, URL-safe)."""
    return secrets.token_urlsafe(24)


def hash_key(key: str) -> str:
    """The SHA-256 hex digest stored in place of the key."""
    return hashlib.sha256(key.encode()).hexdigest()


def key_matches(key: str, key_hash: str) -> bool:
    """Whether `key` hashes to `key_hash`, in time independent of where they differ."""
    return hmac.compare_digest(hash_key(key), key_hash)


def is_safe_key(name: str) -> bool:
    """Whether `name` may be a stream key (and so a folder name under the HLS directory)."""
    return bool(_SAFE_KEY.match(name))


class SourceKeys:
    """Keys ingest mints for its own source adapters (test, file, webcam), one per stream.

    They never leave the process: an adapter pushes to nginx-rtmp with one, and the publish
    callback recognises it like an operator's key, so every source is an ordinary RTMP stream.
    """

    def __init__(self) -> None:
        self._hashes: dict[str, str] = {}
        self._lock = threading.Lock()

    def mint(self, stream_id: str) -> str:
        """A new key for `stream_id`'s adapter (replacing any earlier one)."""
        key = new_key()
        with self._lock:
            self._hashes[stream_id] = hash_key(key)
        return key

    def revoke(self, stream_id: str) -> None:
        """Forget the adapter key of a stream."""
        with self._lock:
            self._hashes.pop(stream_id, None)

    def stream_of(self, key: str) -> str | None:
        """The stream whose adapter holds `key`, comparing every entry in constant time."""
        with self._lock:
            entries = list(self._hashes.items())
        found: str | None = None
        for stream_id, digest in entries:
            if key_matches(key, digest) and found is None:
                found = stream_id
        return found
