"""Creates what a deployment needs before its services start: each service's SCRAM user on the
broker with its ACLs (`kafka.acl_spec`, `kafka.scram`; a principal's password is read from its
`SIGHTLINE_KAFKA_PASSWORD_<PRINCIPAL>` variable, and none are created when no such variable is
set, as on Kubernetes where Strimzi owns them), every topic (with its dead-letter topic) as
`topics.TOPIC_SPECS` shapes it, the object-store buckets, and each service's MinIO user and
policy (`storage_access`; a user's secret key is read from its `SIGHTLINE_S3_SECRET_KEY_<USER>`
variable, and a user without one is not created).

`python -m sightline_common.provision` is the one-shot init of docker-compose (and of a Kubernetes
Job for the buckets; there Strimzi owns the topics). Taking the shapes from the same specs the
services use means a compose deployment cannot drift from the code. Idempotent: what exists is
left as it is.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Mapping, Sequence

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from sightline_common.kafka.scram import principal_passwords, provision_principals
from sightline_common.kafka.security import admin_config
from sightline_common.logging import configure_logging
from sightline_common.settings import ServiceSettings
from sightline_common.storage import ObjectStore
from sightline_common.storage_access import STORAGE_USERS, bucket_names
from sightline_common.storage_users import admin_client, ensure_storage_users
from sightline_common.topics import TopicNames


def new_topics(
    names: TopicNames, replication_factor: int, max_partitions: int | None = None
) -> list[NewTopic]:
    """One `NewTopic` per topic and dead-letter topic under `names.prefix`, each with at most
    `max_partitions` partitions when given (a test's throwaway set: partitions cost the broker)."""
    cap = max_partitions if max_partitions is not None else sys.maxsize
    return [
        NewTopic(
            name,
            num_partitions=min(int(spec["partitions"]), cap),
            replication_factor=replication_factor,
            config={key: str(value) for key, value in spec.items() if key != "partitions"},
        )
        for name, spec in names.all_names().items()
    ]


def ensure_topics(
    bootstrap: str,
    names: TopicNames,
    replication_factor: int = 1,
    max_partitions: int | None = None,
) -> list[str]:
    """Create every missing topic (see `new_topics`); returns the names created (empty when all
    existed).

    Raises `KafkaException` when the broker refuses a topic for any reason but its existence.
    """
    admin = AdminClient(admin_config(bootstrap))
    created: list[str] = []
    topics = new_topics(names, replication_factor, max_partitions)
    futures = admin.create_topics(topics, operation_timeout=30)
    for name, future in futures.items():
        try:
            future.result()
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise
        else:
            created.append(name)
    return created


def ensure_buckets(store: ObjectStore, buckets: Iterable[str]) -> None:
    """Create every missing bucket (`StorageUnavailableError` when the store cannot be reached)."""
    for bucket in buckets:
        store.ensure_bucket(bucket)


def storage_secret_keys(environ: Mapping[str, str]) -> dict[str, str]:
    """principal -> secret key of every storage user whose variable is set (and not empty)."""
    return {
        user.principal: environ[user.secret_variable]
        for user in STORAGE_USERS
        if environ.get(user.secret_variable)
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Provision topics and buckets from `SIGHTLINE_*` settings; exit 0 when all exist."""
    parser = argparse.ArgumentParser(prog="python -m sightline_common.provision")
    parser.add_argument("--replication-factor", type=int, default=1)
    parser.add_argument("--skip-topics", action="store_true", help="topics are managed elsewhere")
    parser.add_argument("--skip-buckets", action="store_true", help="buckets are managed elsewhere")
    args = parser.parse_args(argv)

    settings = ServiceSettings(service_name="provision")
    log = configure_logging("provision", settings.log_level)
    secret_keys = storage_secret_keys(os.environ)
    kafka_passwords = principal_passwords(os.environ)
    settings.refuse_dev_credentials(
        storage_secret_keys=secret_keys.values(), kafka_passwords=kafka_passwords.values()
    )
    if kafka_passwords:
        broker = AdminClient(admin_config(settings.kafka_bootstrap))
        principals = provision_principals(broker, settings.topics, kafka_passwords)
        log.info("kafka_principals_ready", principals=principals)
    if not args.skip_topics:
        created = ensure_topics(settings.kafka_bootstrap, settings.topics, args.replication_factor)
        log.info("topics_ready", created=created, prefix=settings.topic_prefix)
    if not args.skip_buckets:
        buckets = (settings.segments_bucket, settings.logos_bucket)
        ensure_buckets(ObjectStore.from_settings(settings), buckets)
        log.info("buckets_ready", buckets=buckets)
        admin = admin_client(
            settings.s3_endpoint,
            settings.s3_access_key,
            settings.s3_secret_key.get_secret_value(),
            settings.s3_secure,
        )
        names = bucket_names(settings.segments_bucket, settings.logos_bucket)
        users = ensure_storage_users(admin, STORAGE_USERS, secret_keys, names)
        log.info("storage_users_ready", users=users)
    return 0


if __name__ == "__main__":
    sys.exit(main())
