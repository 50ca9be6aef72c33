#!/usr/bin/env bash
# docker-compose's Kafka (apache/kafka image) with SCRAM logins from its first start and TLS on
# its EXTERNAL listener; then the container's command (the image's own start-up,
# /etc/kafka/docker/run).
#
# A KRaft broker keeps SCRAM credentials in its metadata, and its own login between broker and
# itself (the super user `admin`, sightline_common.kafka.scram) must be there before it serves
# anything. The image formats its storage without credentials, so the storage is formatted here
# first with the admin's (`--add-scram`); the image's start-up then finds it formatted and starts
# the broker. The services' users and ACLs come after, from `provision`.
#
# EXTERNAL (LAN executor hosts) is SASL_SSL: a CA made here signs the broker's certificate for
# SIGHTLINE_PUBLIC_HOST (and localhost), kept beside the key store (a volume of its own); hosts
# verify the broker with ca.crt (docs/deploy.md). Made again when SIGHTLINE_PUBLIC_HOST changes.
set -euo pipefail
: "${SIGHTLINE_KAFKA_ADMIN_PASSWORD:?the broker super user password (docker-compose.yml)}"
: "${CLUSTER_ID:?}" "${KAFKA_NODE_ID:?}" "${KAFKA_LOG_DIRS:?}" "${KAFKA_CONTROLLER_QUORUM_VOTERS:?}"
: "${SIGHTLINE_PUBLIC_HOST:?}" "${KAFKA_LISTENER_NAME_EXTERNAL_SSL_KEYSTORE_LOCATION:?}"
kafka_home="${KAFKA_HOME:-/opt/kafka}"
scratch="${TMPDIR:-/tmp}"
umask 077

keystore="${KAFKA_LISTENER_NAME_EXTERNAL_SSL_KEYSTORE_LOCATION}"
tls="$(dirname "${keystore}")"
if [[ ! -s "${keystore}" || "$(cat "${tls}/host" 2>/dev/null)" != "${SIGHTLINE_PUBLIC_HOST}" ]]; then
  rm -f "${keystore}" "${tls}/ca.p12" "${tls}/ca.crt" "${tls}/broker.crt"
  password="$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
  printf '%s' "${password}" >"${tls}/password"
  if [[ "${SIGHTLINE_PUBLIC_HOST}" =~ ^[0-9.]+$ ]]; then
    public="ip:${SIGHTLINE_PUBLIC_HOST}"
  else
    public="dns:${SIGHTLINE_PUBLIC_HOST}"
  fi
  store=(-storetype PKCS12 -storepass "${password}")
  key=(-keyalg RSA -keysize 2048 -validity 825)
  keytool -genkeypair -keystore "${tls}/ca.p12" "${store[@]}" "${key[@]}" -alias ca \
    -dname "CN=sightline-kafka-ca" -ext bc:c
  keytool -exportcert -rfc -keystore "${tls}/ca.p12" "${store[@]}" -alias ca -file "${tls}/ca.crt"
  keytool -genkeypair -keystore "${keystore}" "${store[@]}" "${key[@]}" -alias broker \
    -dname "CN=${SIGHTLINE_PUBLIC_HOST}"
  keytool -certreq -keystore "${keystore}" "${store[@]}" -alias broker |
    keytool -gencert -rfc -keystore "${tls}/ca.p12" "${store[@]}" -alias ca -validity 825 \
      -ext "san=${public},dns:localhost,ip:127.0.0.1" -ext eku=serverAuth >"${tls}/broker.crt"
  keytool -importcert -noprompt -keystore "${keystore}" "${store[@]}" -alias ca -file "${tls}/ca.crt"
  keytool -importcert -keystore "${keystore}" "${store[@]}" -alias broker -file "${tls}/broker.crt"
  rm -f "${tls}/ca.p12" # the CA's key signs nothing else: gone
  chmod 644 "${tls}/ca.crt"
  printf '%s' "${SIGHTLINE_PUBLIC_HOST}" >"${tls}/host"
fi
KAFKA_LISTENER_NAME_EXTERNAL_SSL_KEYSTORE_PASSWORD="$(cat "${tls}/password")"
export KAFKA_LISTENER_NAME_EXTERNAL_SSL_KEYSTORE_PASSWORD

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
