#!/usr/bin/env bash
# Builds the dashboard for production into dist/ unless a build newer than its sources is there.
# `ng build` costs ~30 s of CPU, and CI runs every submission in a fresh clone: so each build is
# kept in ${SIGHTLINE_CACHE_DIR:-~/.cache/sightline}/dashboard-dist/<key>, the key a hash of
# everything the build reads (sources, assets, configs, lockfile, node's version), and a fresh
# clone whose key matches copies it instead of building. Only the newest build is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${SIGHTLINE_CACHE_DIR:-$HOME/.cache/sightline}/dashboard-dist"
OUT=dist/sightline-dashboard/browser/index.html
INPUTS=(src public angular.json package.json package-lock.json tsconfig.json tsconfig.app.json)

if [ -f "$OUT" ] && [ -z "$(find "${INPUTS[@]}" -newer "$OUT" -print -quit)" ]; then
  exit 0
fi
# Paths and contents (sorted, so the order find lists them in does not matter), and node.
key=$({
  node --version
  find "${INPUTS[@]}" -type f -print0 | sort -z | xargs -0 sha256sum
} | sha256sum | cut -c1-16)
kept="$CACHE/$key/sightline-dashboard"
if [ -f "$kept/browser/index.html" ]; then
  # A plain copy: the files get new times, so they are newer than the clone's sources.
  rm -rf dist/sightline-dashboard
  mkdir -p dist
  cp -r "$kept" dist/
  echo "dashboard: production build $key restored from $CACHE"
  exit 0
fi
npx ng build --configuration production
# Kept for the next clone; a failure to keep it (disk full, another build keeping the same key at
# once) costs only the next clone a build, never this one its result.
# Chained with &&: set -e does not apply inside a function called before ||.
keep() {
  mkdir -p "$CACHE" && rm -rf "$CACHE/.incoming" &&
    cp -r dist/sightline-dashboard "$CACHE/.incoming" &&
    find "$CACHE" -mindepth 1 -maxdepth 1 -not -name .incoming -exec rm -rf {} + &&
    mkdir "$CACHE/$key" && mv "$CACHE/.incoming" "$kept"
}
keep || echo "dashboard: could not keep the build in $CACHE" >&2
