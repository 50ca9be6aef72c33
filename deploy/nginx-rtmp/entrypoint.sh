#!/bin/sh
# Renders the nginx config from the template into /tmp (the root filesystem may be read-only),
# checks it, then runs nginx in the foreground under tini.
set -eu
: "${SIGHTLINE_RTMP_CALLBACK_URL:?set SIGHTLINE_RTMP_CALLBACK_URL (ingest's /rtmp base URL)}"
: "${SIGHTLINE_HLS_DIR:=/var/lib/sightline/hls}"
export SIGHTLINE_RTMP_CALLBACK_URL SIGHTLINE_HLS_DIR
mkdir -p /tmp/nginx "$SIGHTLINE_HLS_DIR"
envsubst '${SIGHTLINE_RTMP_CALLBACK_URL} ${SIGHTLINE_HLS_DIR}' \
    < /etc/sightline/nginx.conf.template > /tmp/nginx/nginx.conf
nginx -t -q -c /tmp/nginx/nginx.conf
exec nginx -c /tmp/nginx/nginx.conf
