"""Object storage (MinIO / any S3) with errors mapped to the Sightline hierarchy.

A store that does not answer is `StorageUnavailableError` (transient: retried); a missing key is
`MissingObjectError`; a request the store refuses this login (a policy without the permission, a
wrong access key or secret) is `StorageAccessDeniedError`: permanent, because a retry meets the
same policy, and worded so the log names the user, the action and the object.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import urllib3
from minio import Minio
from minio.deleteobjects import DeleteObject
from minio.error import MinioAdminException, MinioException, S3Error

from sightline_common.errors import (
    MissingObjectError,
    SightlineError,
    StorageAccessDeniedError,
    StorageUnavailableError,
)
from sightline_common.settings import ServiceSettings

_MISSING_CODES = {"NoSuchKey", "NoSuchBucket", "NoSuchObject"}
# What MinIO and S3 answer a login whose policy lacks the action, an unknown access key and a
# wrong secret.
_DENIED_CODES = {"AccessDenied", "AllAccessDisabled", "InvalidAccessKeyId", "SignatureDoesNotMatch"}


def refusal(code: str | None, what: str, user: str) -> SightlineError:
    """The error for S3 error `code` answered to `user` on `what` ("get bucket/key"): access
    denied, or the store unavailable."""
    if code in _DENIED_CODES:
        return StorageAccessDeniedError(
            f"storage access denied: {what} as user {user or '?'} ({code}); its policy lacks the "
            "permission or its login is wrong (sightline_common.storage_access)"
        )
    return StorageUnavailableError(f"{what}: {code}")


def admin_refusal(exc: MinioAdminException, what: str, user: str) -> SightlineError:
    """The error for a failed MinIO admin request (its answer's body names the S3 code)."""
    code = next((c for c in sorted(_DENIED_CODES) if c in str(exc)), None)
    return refusal(code, what, user) if code else StorageUnavailableError(f"{what}: {exc}")


class ObjectStore:
    """Puts and gets whole objects; unavailability is transient, a missing key and a refused
    request are permanent."""

    def __init__(self, client: Minio, user: str = "") -> None:
        self._client = client
        self._user = user

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> ObjectStore:
        """A store on the configured endpoint, failing fast so callers can retry or spool."""
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=3.0, read=30.0),
            retries=urllib3.Retry(total=2, backoff_factor=0.2),
            maxsize=16,
        )
        client = Minio(
            settings.s3_endpoint,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key.get_secret_value(),
            secure=settings.s3_secure,
            http_client=http,
        )
        return cls(client, settings.s3_access_key)

    @property
    def client(self) -> Minio:
        """The underlying client, for presigning and listing."""
        return self._client

    @property
    def user(self) -> str:
        """The access key this store logs in with (named when a request is refused)."""
        return self._user

    def _refused(self, code: str | None, what: str) -> SightlineError:
        return refusal(code, what, self._user)

    def ensure_bucket(self, bucket: str) -> None:
        """Create `bucket` if it does not exist."""
        try:
            if not self._client.bucket_exists(bucket):
                self._client.make_bucket(bucket)
        except S3Error as exc:
            if exc.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                raise self._refused(exc.code, f"bucket {bucket}") from exc
        except (MinioException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise StorageUnavailableError(f"bucket {bucket}: {exc}") from exc

    def put_bytes(
        self, bucket: str, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        """Store `data` at `bucket/key`, replacing any object there."""
        try:
            self._client.put_object(
                bucket, key, io.BytesIO(data), length=len(data), content_type=content_type
            )
        except S3Error as exc:
            raise self._refused(exc.code, f"put {bucket}/{key}") from exc
        except (MinioException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise StorageUnavailableError(f"put {bucket}/{key}: {exc}") from exc

    def get_bytes(self, bucket: str, key: str) -> bytes:
        """The whole object at `bucket/key`."""
        try:
            response = self._client.get_object(bucket, key)
        except S3Error as exc:
            if exc.code in _MISSING_CODES:
                raise MissingObjectError(f"object {bucket}/{key} not found") from exc
            raise self._refused(exc.code, f"get {bucket}/{key}") from exc
        except (MinioException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise StorageUnavailableError(f"get {bucket}/{key}: {exc}") from exc
        try:
            return bytes(response.read())
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise StorageUnavailableError(f"read {bucket}/{key}: {exc}") from exc
        finally:
            response.close()
            response.release_conn()

    def exists(self, bucket: str, key: str) -> bool:
        """Whether an object is stored at `bucket/key`."""
        try:
            self._client.stat_object(bucket, key)
        except S3Error as exc:
            if exc.code in _MISSING_CODES:
                return False
            raise self._refused(exc.code, f"stat {bucket}/{key}") from exc
        except (MinioException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise StorageUnavailableError(f"stat {bucket}/{key}: {exc}") from exc
        return True

    def list_keys(self, bucket: str, prefix: str) -> Iterator[str]:
        """Keys under `prefix`, in lexical order."""
        try:
            for obj in self._client.list_objects(bucket, prefix=prefix, recursive=True):
                if obj.object_name is not None:
                    yield obj.object_name
        except S3Error as exc:
            raise self._refused(exc.code, f"list {bucket}/{prefix}") from exc
        except (MinioException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise StorageUnavailableError(f"list {bucket}/{prefix}: {exc}") from exc

    def remove_keys(self, bucket: str, keys: list[str]) -> int:
        """Delete the objects at `keys` (one request per 1000 keys); a key already gone is not
        an error, so a retried deletion succeeds. Returns how many keys were asked for."""
        if not keys:
            return 0
        try:
            errors = list(self._client.remove_objects(bucket, (DeleteObject(key) for key in keys)))
        except S3Error as exc:
            if exc.code == "NoSuchBucket":
                return 0
            raise self._refused(exc.code, f"remove in {bucket}") from exc
        except (MinioException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise StorageUnavailableError(f"remove in {bucket}: {exc}") from exc
        failed = [e for e in errors if e.code not in _MISSING_CODES]
        if failed:
            first = failed[0]
            raise self._refused(
                first.code, f"remove {bucket}/{first.name} (and {len(failed) - 1} more keys)"
            )
        return len(keys)
