"""The logo library: reference images in object storage, listed here, announced on
`logo-library` for the detectors."""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import Sequence

import structlog
from minio.error import MinioException
from sqlmodel import Session, col, select
from urllib3.exceptions import HTTPError

from sightline_common.storage import ObjectStore
from sightline_results_api.events import StatePublisher
from sightline_results_api.models import Logo, utcnow
from sightline_results_api.uploads import sniff_image

log = structlog.get_logger(__name__)


class LogoNotFoundError(LookupError):
    """No logo has this id."""


class LogoLibrary:
    """Adds, lists, reads and removes logos; storage, database and topic kept in step."""

    def __init__(
        self, session: Session, store: ObjectStore, bucket: str, publisher: StatePublisher
    ) -> None:
        self._session = session
        self._store = store
        self._bucket = bucket
        self._publisher = publisher

    def add(self, brand: str, image: bytes) -> Logo:
        """Store an image for `brand`; raises NotAnImageError for bytes that are no image.

        The object is stored first and removed again if the database or the topic fails, so a
        failure leaves nothing behind.
        """
        image_type = sniff_image(image)
        logo_id = str(uuid.uuid4())
        logo = Logo(
            id=logo_id,
            brand=brand,
            bucket=self._bucket,
            object_key=f"logos/{logo_id}.{image_type.extension}",
            sha256=hashlib.sha256(image).hexdigest(),
            content_type=image_type.content_type,
            size_bytes=len(image),
            created_at=utcnow(),
        )
        self._store.put_bytes(self._bucket, logo.object_key, image, image_type.content_type)
        try:
            self._session.add(logo)
            self._session.flush()
            self._publisher.logo_entry(logo)
            self._session.commit()
        except Exception:
            self._session.rollback()
            self._remove_object(logo.object_key)
            raise
        log.info("logo.added", logo_id=logo.id, brand=brand, bytes=len(image))
        return logo

    def list(self) -> Sequence[Logo]:
        """Every logo, by brand then age."""
        return self._session.exec(
            select(Logo).order_by(col(Logo.brand), col(Logo.created_at))
        ).all()

    def get(self, logo_id: str) -> Logo:
        """The logo with this id; raises LogoNotFoundError."""
        logo = self._session.get(Logo, logo_id)
        if logo is None:
            raise LogoNotFoundError(logo_id)
        return logo

    def image(self, logo: Logo) -> bytes:
        """The logo's stored image bytes."""
        return self._store.get_bytes(logo.bucket, logo.object_key)

    def remove(self, logo_id: str) -> None:
        """Delete the logo and announce it; the stored image goes after the commit."""
        logo = self.get(logo_id)
        self._session.delete(logo)
        self._session.flush()
        self._publisher.logo_entry(logo, deleted=True)
        self._session.commit()
        log.info("logo.removed", logo_id=logo_id)
        self._remove_object(logo.object_key)

    def _remove_object(self, key: str) -> None:
        # Best effort: an orphaned image costs storage, never correctness.
        with contextlib.suppress(MinioException, HTTPError, OSError):
            self._store.client.remove_object(self._bucket, key)
