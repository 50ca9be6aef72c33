#!/usr/bin/env bash
# docker-compose's Kafka (apache/kafka image) with SCRAM logins from its first start; then the
# container's command (the image's own start-up, /etc/kafka/docker/run).
#
# A KRaft broker keeps SCRAM credentials in its metadata, and its own login between broker and
# itself (the super user `admin`, sightline_common.kafka.scram) must be there before it serves
# anything. The image formats its storage without credentials, so the storage is formatted here
# first with the admin's (`--add-scram`); the image's start-up then finds it formatted and starts
# the broker. The services' users and ACLs come after, from `provision`.
set -euo pipefail
: "${SIGHTLINE_KAFKA_ADMIN_PASSWORD:?the broker super user password (docker-compose.yml)}"
: "${CLUSTER_ID:?}" "${KAFKA_NODE_ID:?}" "${KAFKA_LOG_DIRS:?}" "${KAFKA_CONTROLLER_QUORUM_VOTERS:?}"
kafka_home="${KAFKA_HOME:-/opt/kafka}"
scratch="${TMPDIR:-/tmp}"
umask 077

# The health check's login (docker-compose.yml runs kafka-broker-api-versions.sh with it).
cat >"${scratch}/admin-client.properties" <<PROPERTIES
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${SIGHTLINE_KAFKA_ADMIN_PASSWORD}";
PROPERTIES

if [[ ! -e "${KAFKA_LOG_DIRS}/meta.properties" ]]; then
  # Formatting reads only the node's identity, its quorum and its storage from a configuration.
  cat >"${scratch}/format.properties" <<PROPERTIES
process.roles=broker,controller
node.id=${KAFKA_NODE_ID}
controller.quorum.voters=${KAFKA_CONTROLLER_QUORUM_VOTERS}
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://:0,CONTROLLER://:0
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${KAFKA_LOG_DIRS}
PROPERTIES
  "${kafka_home}/bin/kafka-storage.sh" format --config "${scratch}/format.properties" \
    --cluster-id "${CLUSTER_ID}" \
    --add-scram "SCRAM-SHA-512=[name=admin,password=${SIGHTLINE_KAFKA_ADMIN_PASSWORD}]"
  rm -f "${scratch}/format.properties"
fi
exec "$@"
