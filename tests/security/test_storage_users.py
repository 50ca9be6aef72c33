"""Each service logs in to MinIO as its own user, and MinIO refuses it outside its grants.

The users and policies are made by the code the provisioning runs (`storage_users` from
`storage_access`), for the test's own buckets, on the real MinIO of the local platform.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable

import pytest
from minio import Minio, MinioAdmin
from minio.error import MinioAdminException, S3Error
from sqlalchemy import create_engine

from sightline_common.errors import StorageAccessDeniedError
from sightline_common.storage import ObjectStore
from sightline_common.storage_access import (
    DELETE,
    GET,
    PUT,
    STORAGE_USERS,
    Bucket,
    StorageUser,
    storage_user,
)
from sightline_common.storage_users import admin_client
from sightline_results_api.storage_lifecycle.erase import Eraser, stream_prefix
from sightline_testkit.plugin import Isolated

from .conftest import StorageLogins

# MinIO users and policies: one topic partition each is enough (testkit).
pytestmark = [pytest.mark.integration, pytest.mark.topic_partitions(1)]

ACTIONS = ("get", "put", "delete", "list")


def granted(user: StorageUser, bucket: Bucket, action: str) -> bool:
    """What the spec says `user` may do in `bucket`."""
    for grant in user.grants:
        if grant.bucket is bucket:
            if action == "list":
                return grant.listing
            return {"get": GET, "put": PUT, "delete": DELETE}[action] in grant.objects
    return False


def outcome(attempt: Callable[[], object]) -> str:
    """ "ok" when MinIO performs the request, else the error code it answers."""
    try:
        attempt()
    except S3Error as exc:
        return str(exc.code)
    return "ok"


def allowed(attempt: Callable[[], object]) -> bool:
    """True when MinIO performs the request, False when it answers AccessDenied (any other
    answer fails the test: a refusal must be the policy's, not a missing object's)."""
    answer = outcome(attempt)
    assert answer in {"ok", "AccessDenied"}, answer
    return answer == "ok"


def attempts(client: Minio, bucket: str, tag: str) -> dict[str, Callable[[], object]]:
    """One request per action on `bucket`, against objects the root user put there."""
    return {
        "get": lambda: client.get_object(bucket, "probe/readable").read(),
        "put": lambda: client.put_object(bucket, f"probe/by-{tag}", io.BytesIO(b"x"), 1),
        "delete": lambda: client.remove_object(bucket, f"probe/victim-{tag}"),
        "list": lambda: list(client.list_objects(bucket, prefix="probe/")),
    }


def test_each_service_user_may_do_exactly_what_its_grants_say(
    isolated: Isolated, storage_logins: StorageLogins
) -> None:
    root = ObjectStore.from_settings(isolated.settings())
    buckets = {
        Bucket.SEGMENTS: isolated.env["SIGHTLINE_SEGMENTS_BUCKET"],
        Bucket.LOGOS: isolated.env["SIGHTLINE_LOGOS_BUCKET"],
    }
    other = f"{buckets[Bucket.SEGMENTS]}-other"  # a bucket no policy names
    root.ensure_bucket(other)
    try:
        for name in [*buckets.values(), other]:
            root.put_bytes(name, "probe/readable", b"segment bytes")
            for user in STORAGE_USERS:
                root.put_bytes(name, f"probe/victim-{user.principal}", b"keep me")

        seen: dict[tuple[str, str, str], bool] = {}
        for user in STORAGE_USERS:
            client = storage_logins.store(isolated, user.principal).client
            for role, name in buckets.items():
                for action, attempt in attempts(client, name, user.principal).items():
                    seen[(user.principal, role.value, action)] = allowed(attempt)
                    expected = granted(user, role, action)
                    assert seen[(user.principal, role.value, action)] == expected, (
                        user.principal,
                        name,
                        action,
                    )
            # Outside both buckets nothing is allowed, nor creating or removing a bucket.
            for action, attempt in attempts(client, other, user.principal).items():
                assert not allowed(attempt), (user.principal, other, action)
            assert not allowed(lambda: client.make_bucket(f"{other}-new"))  # noqa: B023
            assert not allowed(lambda: client.remove_bucket(other))  # noqa: B023

        # The brief's cases, spelled out: a detector reads segments but cannot write or delete
        # one; ingest cannot delete (retention is results-api's) nor touch the logos; a LAN
        # executor reads logo images only; only results-api deletes.
        for detector in ("detector-logo", "detector-visual"):
            assert seen[(detector, "segments", "get")]
            assert not seen[(detector, "segments", "put")]
            assert not seen[(detector, "segments", "delete")]
        assert not seen[("ingest", "segments", "delete")]
        assert not any(seen[("ingest", "logos", action)] for action in ACTIONS)
        assert not seen[("executor", "segments", "get")]
        assert seen[("executor", "logos", "get")]
        deleters = {p for (p, _, action), ok in seen.items() if action == "delete" and ok}
        assert deleters == {"results-api"}
        # Only results-api reads the drives' fill (its storage meter); nobody else uses the
        # admin API.
        for user in STORAGE_USERS:
            settings = isolated.settings(**storage_logins.env_of(user.principal))
            admin = admin_client(
                settings.s3_endpoint,
                settings.s3_access_key,
                settings.s3_secret_key.get_secret_value(),
                settings.s3_secure,
            )
            assert may_read_server_info(admin) == (user.principal == "results-api")
            with pytest.raises(MinioAdminException, match="AccessDenied"):
                admin.user_list()
        # A refused delete removed nothing.
        for user in STORAGE_USERS:
            kept = root.exists(buckets[Bucket.SEGMENTS], f"probe/victim-{user.principal}")
            assert kept == (user.principal != "results-api"), user.principal
    finally:
        root.remove_keys(other, list(root.list_keys(other, "")))
        root.client.remove_bucket(other)


def may_read_server_info(admin: MinioAdmin) -> bool:
    """Whether MinIO answers `admin`'s server info request (False: AccessDenied)."""
    try:
        admin.info()
    except MinioAdminException as exc:
        refusal = str(exc)
    else:
        return True
    assert "AccessDenied" in refusal, refusal
    return False


def test_a_wrong_secret_is_refused(isolated: Isolated, storage_logins: StorageLogins) -> None:
    store = ObjectStore.from_settings(
        isolated.settings(
            SIGHTLINE_S3_ACCESS_KEY=storage_logins.access_key("results-api"),
            SIGHTLINE_S3_SECRET_KEY=f"wrong-{uuid.uuid4().hex}",
        )
    )
    with pytest.raises(StorageAccessDeniedError, match="SignatureDoesNotMatch"):
        store.get_bytes(isolated.env["SIGHTLINE_SEGMENTS_BUCKET"], "anything")


def test_segments_flow_from_ingest_to_a_detector_and_only_results_api_erases_them(
    isolated: Isolated, storage_logins: StorageLogins
) -> None:
    bucket = isolated.env["SIGHTLINE_SEGMENTS_BUCKET"]
    stream_id = f"cam-{uuid.uuid4().hex[:8]}"
    prefix = stream_prefix(stream_id)
    ingest = storage_logins.store(isolated, "ingest")
    ingest.ensure_bucket(bucket)  # what ingest's uploader does first: the bucket exists
    keys = [f"{prefix}segments/{n:06d}.ts" for n in range(3)]
    for key in keys:
        ingest.put_bytes(bucket, key, b"\x47" * 188, "video/mp2t")
    ingest.put_bytes(bucket, f"{prefix}index.m3u8", b"#EXTM3U\n", "application/vnd.apple.mpegurl")
    assert sorted(ingest.list_keys(bucket, prefix)) == sorted([*keys, f"{prefix}index.m3u8"])

    detector = storage_logins.store(isolated, "detector-logo")
    assert detector.get_bytes(bucket, keys[0]) == b"\x47" * 188
    with pytest.raises(StorageAccessDeniedError, match=storage_user("ingest").access_key()):
        ingest.remove_keys(bucket, keys)
    with pytest.raises(StorageAccessDeniedError, match="AccessDenied"):
        detector.remove_keys(bucket, keys)
    assert sorted(ingest.list_keys(bucket, f"{prefix}segments/")) == keys

    # results-api's retention and erasure code, logged in as results-api.
    eraser = Eraser(
        engine=create_engine("sqlite://"),
        store=storage_logins.store(isolated, "results-api"),
        bucket=bucket,
        batch=2,
    )
    eraser.mark_removed(stream_id, [(0, 1)])
    assert eraser.delete_objects(prefix, lambda key: key in keys) == 3
    assert list(ingest.list_keys(bucket, f"{prefix}segments/")) == []
