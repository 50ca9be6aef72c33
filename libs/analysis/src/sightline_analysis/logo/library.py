"""The logo library as a detector sees it: LogoEntry records turned into matcher references."""

from __future__ import annotations

import time

import structlog

from sightline_analysis.engine import SegmentSource
from sightline_analysis.logo.matcher import LogoMatcher
from sightline_analysis.wire import UndecodableImageError, decode_image
from sightline_common.errors import PermanentError, TransientError
from sightline_common.messages import LogoEntry

log = structlog.get_logger(__name__)


class LogoLibrary:
    """Applies logo-library records to a `LogoMatcher`, fetching reference images from storage."""

    def __init__(self, matcher: LogoMatcher, source: SegmentSource) -> None:
        self.matcher = matcher
        self._source = source

    def apply(self, key: str, entry: LogoEntry | None) -> None:
        """Add, replace or (tombstone / `deleted`) remove one reference logo.

        A reference that is missing, unreadable or featureless is logged and skipped.
        """
        if entry is None or entry.deleted:
            self.matcher.remove(entry.logo_id if entry else key)
            log.info("logo.removed", logo_id=entry.logo_id if entry else key)
            return
        try:
            image = decode_image(self._fetch(entry))
            self.matcher.add(entry.logo_id, entry.brand, image)
        except (PermanentError, UndecodableImageError, ValueError) as exc:
            log.warning("logo.skipped", logo_id=entry.logo_id, brand=entry.brand, reason=str(exc))
            return
        log.info("logo.added", logo_id=entry.logo_id, brand=entry.brand)

    def _fetch(self, entry: LogoEntry) -> bytes:
        """The reference image's bytes, retried while storage is unavailable: a library missing
        a logo would analyse blind, so the follower (and readiness) waits instead."""
        backoff = 0.5
        while True:
            try:
                return self._source.get_bytes(entry.bucket, entry.object_key)
            except TransientError as exc:
                log.warning("logo.fetch_retry", logo_id=entry.logo_id, reason=str(exc),
                            backoff=backoff)  # fmt: skip
                time.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
