"""The logo library as a detector sees it: LogoEntry records turned into matcher references."""

from __future__ import annotations

import time

import structlog

from sightline_analysis.engine import SegmentSource
from sightline_analysis.logo.matcher import LogoMatcher
from sightline_analysis.metrics import LOGO_REFERENCES
from sightline_analysis.wire import UndecodableImageError, decode_reference
from sightline_common.errors import PermanentError, TransientError
from sightline_common.messages import LogoEntry

log = structlog.get_logger(__name__)


class LogoLibrary:
    """Applies logo-library records to a `LogoMatcher`, fetching reference images from storage."""

    def __init__(self, matcher: LogoMatcher, source: SegmentSource) -> None:
        self.matcher = matcher
        self._source = source
        self.unusable: dict[str, str] = {}
        """References the matcher cannot use, by logo id: the reason."""

    def apply(self, key: str, entry: LogoEntry | None) -> None:
        """Add, replace or (tombstone / `deleted`) remove one reference logo.

        The image is read with its transparency. A reference that is missing, unreadable,
        featureless or fully transparent cannot be matched: it is logged as an error
        (`logo.unusable`), kept in `unusable` and counted in the `sightline_logo_references`
        gauge, so it never goes missing unnoticed. (results-api refuses such uploads; this
        catches references it could not judge, e.g. under a detector's own matcher tuning.)
        """
        logo_id = entry.logo_id if entry else key
        if entry is None or entry.deleted:
            self.matcher.remove(logo_id)
            self.unusable.pop(logo_id, None)
            self._count()
            log.info("logo.removed", logo_id=logo_id)
            return
        reason = None
        try:
            image = decode_reference(self._fetch(entry))
            self.matcher.add(entry.logo_id, entry.brand, image)
        except (PermanentError, UndecodableImageError, ValueError) as exc:
            reason = str(exc)
        if reason is not None:
            self.unusable[logo_id] = reason
            self._count()
            log.error("logo.unusable", logo_id=logo_id, brand=entry.brand, reason=reason)
            return
        self.unusable.pop(logo_id, None)
        self._count()
        log.info("logo.added", logo_id=logo_id, brand=entry.brand,
                 features=sum(self.matcher.features(logo_id)))  # fmt: skip

    def _count(self) -> None:
        LOGO_REFERENCES.labels("usable").set(len(self.matcher.logo_ids))
        LOGO_REFERENCES.labels("unusable").set(len(self.unusable))

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
