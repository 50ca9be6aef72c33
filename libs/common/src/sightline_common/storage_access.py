"""Who may do what in the object store: each service's MinIO user and what its policy grants.

Derived from what each service's code does with the two buckets:

- ingest writes segments and playlists, reads a playlist back and lists a stream's segments
  (the uploader's resume); it never deletes (retention is results-api's);
- a detector (live, replay, and the LAN executors and cloud stand-in that analyse for it) reads
  segments and logo images (and the proposal nets stored beside them), and writes nothing;
- detector-logo's proposal trainer reads logo images and writes the nets it trains under
  `proposals/` of the logos bucket, and nothing else (no segment, no reference image);
- results-api serves segments and playlists, writes and deletes logo images and evidence
  thumbnails, and deletes segments, evidence and trims playlists (retention, erasure, usage);
  its storage meter reads the drives' size and fill (MinIO's admin "server info", read-only);
- the notifier, alerts and the exposure processor never touch the store and get no user.

No user may create or delete buckets or change MinIO: the provisioning (root) does that.
One source for the devstack, the tests, compose and Kubernetes (`storage_users` applies it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# Every S3 client asks a bucket's region (GetBucketLocation) before its first request to it.
_BUCKET_ACTIONS = ("s3:GetBucketLocation",)
LIST = "s3:ListBucket"  # also what HeadBucket (bucket_exists) needs
GET = "s3:GetObject"
PUT = "s3:PutObject"
DELETE = "s3:DeleteObject"
SERVER_INFO = "admin:ServerInfo"
PROPOSALS_PREFIX = "proposals"  # where the proposal nets live in the logos bucket


class Bucket(StrEnum):
    """The deployment's buckets, by role (their names come from the settings)."""

    SEGMENTS = "segments"
    LOGOS = "logos"


@dataclass(frozen=True)
class BucketGrant:
    """What a user may do in one bucket: list it, and these object actions on every key under
    `prefix` (every key when empty)."""

    bucket: Bucket
    objects: tuple[str, ...]
    listing: bool = False
    prefix: str = ""


@dataclass(frozen=True)
class StorageUser:
    """One service's MinIO user: its name (the access key, under a prefix) and its grants."""

    principal: str
    grants: tuple[BucketGrant, ...]
    admin: tuple[str, ...] = ()  # MinIO admin API actions (read-only ones only)

    def access_key(self, prefix: str = "") -> str:
        """The user's access key; `prefix` keeps a test's users apart from the deployment's."""
        return f"{prefix}sightline-{self.principal}"

    def policy_name(self, prefix: str = "") -> str:
        """The name of the canned policy attached to the user."""
        return self.access_key(prefix)

    def policy(self, buckets: Mapping[Bucket, str]) -> dict[str, Any]:
        """The IAM policy document of this user for the deployment's bucket names."""
        statements: list[dict[str, Any]] = []
        for grant in self.grants:
            name = buckets[grant.bucket]
            bucket_actions = [*_BUCKET_ACTIONS, *([LIST] if grant.listing else [])]
            statements.append(
                {
                    "Effect": "Allow",
                    "Action": bucket_actions,
                    "Resource": [f"arn:aws:s3:::{name}"],
                }
            )
            statements.append(
                {
                    "Effect": "Allow",
                    "Action": list(grant.objects),
                    "Resource": [f"arn:aws:s3:::{name}/{grant.prefix}*"],
                }
            )
        if self.admin:
            statements.append({"Effect": "Allow", "Action": list(self.admin)})
        return {"Version": "2012-10-17", "Statement": statements}

    @property
    def secret_variable(self) -> str:
        """The environment variable the provisioning reads this user's secret key from."""
        return f"SIGHTLINE_S3_SECRET_KEY_{self.principal.upper().replace('-', '_')}"

    def dev_secret_key(self, root_secret_key: str) -> str:
        """The secret key the local platform gives this user (derived from its root secret)."""
        return f"{root_secret_key}-{self.principal}"


def _detector(principal: str) -> StorageUser:
    return StorageUser(
        principal, (BucketGrant(Bucket.SEGMENTS, (GET,)), BucketGrant(Bucket.LOGOS, (GET,)))
    )


STORAGE_USERS: tuple[StorageUser, ...] = (
    StorageUser("ingest", (BucketGrant(Bucket.SEGMENTS, (GET, PUT), listing=True),)),
    _detector("detector-logo"),
    _detector("detector-visual"),
    # LAN executors and the cloud stand-in load the logo library's images, never a segment.
    StorageUser("executor", (BucketGrant(Bucket.LOGOS, (GET,)),)),
    # Reads the references it trains on and whether a net is stored; writes nets only
    # (`PROPOSALS_PREFIX`, where `sightline_analysis.logo.learned.weights` stores them).
    StorageUser(
        "detector-logo-trainer",
        (
            BucketGrant(Bucket.LOGOS, (GET,)),
            BucketGrant(Bucket.LOGOS, (PUT,), prefix=f"{PROPOSALS_PREFIX}/"),
        ),
    ),
    StorageUser(
        "results-api",
        (
            BucketGrant(Bucket.SEGMENTS, (GET, PUT, DELETE), listing=True),
            BucketGrant(Bucket.LOGOS, (GET, PUT, DELETE), listing=True),
        ),
        admin=(SERVER_INFO,),
    ),
)

# Which user each workload (process kind) logs in as; the ones not listed use no storage.
WORKLOAD_USERS: dict[str, str] = {
    "ingest": "ingest",
    "detector-logo": "detector-logo",
    "detector-logo-replay": "detector-logo",
    "detector-visual": "detector-visual",
    "detector-visual-replay": "detector-visual",
    "detector-logo-trainer": "detector-logo-trainer",
    "detector-logo-executor": "executor",
    "detector-visual-executor": "executor",
    "cloud-standin": "executor",
    "results-api": "results-api",
}
WITHOUT_STORAGE = frozenset({"exposure", "notifier", "alerts"})


def storage_user(principal: str) -> StorageUser:
    """The user named `principal` (KeyError for an unknown one)."""
    for user in STORAGE_USERS:
        if user.principal == principal:
            return user
    raise KeyError(principal)


def bucket_names(segments: str, logos: str) -> dict[Bucket, str]:
    """The bucket names of a deployment, by role."""
    return {Bucket.SEGMENTS: segments, Bucket.LOGOS: logos}
