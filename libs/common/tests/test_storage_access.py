"""The storage users' policy documents say what `storage_access` grants, for the deployment's
bucket names, and the provisioning finds each user's secret in its variable."""

from __future__ import annotations

from typing import Any

from sightline_common.provision import storage_secret_keys
from sightline_common.storage_access import (
    STORAGE_USERS,
    WITHOUT_STORAGE,
    WORKLOAD_USERS,
    bucket_names,
    storage_user,
)

NAMES = bucket_names("seg", "img")


def actions_on(policy: dict[str, Any], resource: str) -> set[str]:
    return {
        action
        for statement in policy["Statement"]
        if resource in statement.get("Resource", [])
        for action in statement["Action"]
    }


def test_policies_name_the_deployments_buckets_and_grant_no_more_than_the_spec() -> None:
    ingest = storage_user("ingest").policy(NAMES)
    assert actions_on(ingest, "arn:aws:s3:::seg/*") == {"s3:GetObject", "s3:PutObject"}
    assert actions_on(ingest, "arn:aws:s3:::seg") == {"s3:GetBucketLocation", "s3:ListBucket"}
    assert actions_on(ingest, "arn:aws:s3:::img/*") == set()
    detector = storage_user("detector-visual").policy(NAMES)
    assert actions_on(detector, "arn:aws:s3:::seg/*") == {"s3:GetObject"}
    assert actions_on(detector, "arn:aws:s3:::seg") == {"s3:GetBucketLocation"}
    everything = [
        action
        for user in STORAGE_USERS
        for statement in user.policy(NAMES)["Statement"]
        for action in statement["Action"]
    ]
    allowed = {"s3:GetBucketLocation", "s3:ListBucket", "s3:GetObject", "s3:PutObject"}
    allowed |= {"s3:DeleteObject", "admin:ServerInfo"}  # no wildcard, no bucket or IAM change
    assert set(everything) <= allowed
    deleters = [u.principal for u in STORAGE_USERS if "s3:DeleteObject" in str(u.policy(NAMES))]
    assert deleters == ["results-api"]


def test_every_workload_has_a_user_or_uses_no_storage() -> None:
    assert set(WORKLOAD_USERS.values()) == {user.principal for user in STORAGE_USERS}
    assert not WITHOUT_STORAGE & set(WORKLOAD_USERS)


def test_the_provisioning_reads_each_users_secret_from_its_variable() -> None:
    environ = {"SIGHTLINE_S3_SECRET_KEY_INGEST": "a", "SIGHTLINE_S3_SECRET_KEY_RESULTS_API": "b"}
    environ["SIGHTLINE_S3_SECRET_KEY_EXECUTOR"] = ""  # empty: not created
    assert storage_secret_keys(environ) == {"ingest": "a", "results-api": "b"}


def test_the_proposal_trainer_writes_proposal_nets_only_and_detectors_stay_read_only() -> None:
    trainer = storage_user("detector-logo-trainer").policy(NAMES)
    assert actions_on(trainer, "arn:aws:s3:::img/*") == {"s3:GetObject"}
    assert actions_on(trainer, "arn:aws:s3:::img/proposals/*") == {"s3:PutObject"}
    assert actions_on(trainer, "arn:aws:s3:::seg/*") == set()
    assert "s3:ListBucket" not in str(trainer)
    for detector in ("detector-logo", "detector-visual", "executor"):
        assert "s3:PutObject" not in str(storage_user(detector).policy(NAMES)), detector
