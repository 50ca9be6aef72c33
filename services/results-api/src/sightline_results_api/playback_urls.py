"""Short-lived signed URLs for HLS playback.

A browser's video player fetches a playlist and its segments without custom headers (Safari's
native player, a `<video src>`), so it cannot send the API token in `Authorization`; putting the
token in the URL would write it to every access log, proxy and browser history. Instead an
authenticated client asks `/api/streams/{id}/playback` for a URL signed with a server key:
HMAC-SHA256 over the URL's path and its expiry. The signature grants that one path (a playlist,
or one segment) until the expiry, and nothing else; leaking it leaks minutes of one stream.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class PlaybackSigner:
    """Signs and verifies `?exp=<unix seconds>&sig=<base64url HMAC>` on HLS paths."""

    key: bytes
    ttl_s: float
    clock: Callable[[], float] = field(default=time.time)

    def expiry(self) -> int:
        """The expiry (unix seconds) of a URL signed now."""
        return int(self.clock() + self.ttl_s)

    def signature(self, path: str, expires: int) -> str:
        """The signature of `path` (no query) valid until `expires`."""
        digest = hmac.new(self.key, f"{path}\n{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def query(self, path: str, expires: int) -> str:
        """The query string that makes `path` playable until `expires`."""
        return f"exp={expires}&sig={self.signature(path, expires)}"

    def verify(self, path: str, expires: str | None, signature: str | None) -> bool:
        """Whether `signature` is this server's for `path` and `expires` has not passed."""
        if not expires or not signature or not expires.isdigit():
            return False
        if int(expires) < self.clock():
            return False
        return hmac.compare_digest(self.signature(path, int(expires)), signature)
