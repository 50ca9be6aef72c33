"""Which API tokens are valid now, as followed from the compacted `api-tokens` topic.

results-api issues and revokes tokens and publishes their SHA-256 (see
`sightline_common.api_tokens`); this registry is the notifier's view of that topic, so a
WebSocket client is authenticated without calling results-api or reading its database. A token
published with an expiry is refused from that moment on, as results-api refuses it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sightline_common.api_tokens import hash_token
from sightline_common.messages import ApiToken


class TokenRegistry:
    """The hashes of the tokens that are currently valid, by token id."""

    def __init__(self) -> None:
        self._hash_of: dict[str, str] = {}
        self._valid_hashes: set[str] = set()
        self._expires_at: dict[str, datetime] = {}  # by hash, for tokens issued with an expiry

    def __len__(self) -> int:
        return len(self._hash_of)

    def apply(self, record: ApiToken) -> str | None:
        """Take the latest state of one token (issued, or revoked).

        Returns the token hash that stopped being valid, if any, so its connections can end.
        """
        old = self._hash_of.pop(record.token_id, None)
        if not record.revoked:
            self._hash_of[record.token_id] = record.token_hash
            self._valid_hashes.add(record.token_hash)
            if record.expires_at is not None:
                self._expires_at[record.token_hash] = record.expires_at
            else:
                self._expires_at.pop(record.token_hash, None)
        return self._invalidate(old)

    def forget(self, token_id: str) -> str | None:
        """Remove a token (a tombstone on the compacted topic); returns its hash if it was valid."""
        return self._invalidate(self._hash_of.pop(token_id, None))

    def _invalidate(self, old: str | None) -> str | None:
        if old is None or old in self._hash_of.values():
            return None
        self._valid_hashes.discard(old)
        self._expires_at.pop(old, None)
        return old

    def expiry_of(self, token_hash: str) -> datetime | None:
        """When the token with this hash expires (None: it does not, or is unknown)."""
        return self._expires_at.get(token_hash)

    def accepts(self, token: str | None, now: datetime | None = None) -> bool:
        """Whether `token` is one results-api issued and has neither revoked nor let expire."""
        if not token:
            return False
        digest = hash_token(token)
        if digest not in self._valid_hashes:
            return False
        expires_at = self._expires_at.get(digest)
        return expires_at is None or (now or datetime.now(UTC)) < expires_at
