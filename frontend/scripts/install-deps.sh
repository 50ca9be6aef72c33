#!/usr/bin/env bash
# Installs the dashboard's npm packages when they are missing or older than the lockfile.
# `npm install` takes ~35 s even from a warm npm cache, and CI runs every submission in a fresh
# clone: so the installed tree of each lockfile is kept in ~/.cache/sightline/node_modules/<hash>
# and a fresh clone hard-links it (a few seconds). Hard links are safe here because npm and the
# build tools replace files (write and rename) rather than edit them in place; a cache on another
# filesystem, or any failed link, falls back to npm install.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${SIGHTLINE_CACHE_DIR:-$HOME/.cache/sightline}"
export npm_config_cache="${npm_config_cache:-$CACHE/npm}"

if [ -d node_modules ] && [ ! package-lock.json -nt node_modules ]; then
  exit 0
fi
# `npm ci` fails on this registry's lockfile (other platforms' optional packages are absent);
# `--no-save` keeps npm from rewriting the committed lockfile (and so the cache key) as it installs.
key=$(sha256sum package-lock.json | cut -c1-16)
kept="$CACHE/node_modules/$key"
if [ ! -d node_modules ] && [ -d "$kept/node_modules" ] && cp -al "$kept/node_modules" node_modules 2>/dev/null; then
  touch node_modules
  exit 0
fi
npm install --no-save --no-audit --no-fund --loglevel=error
touch node_modules
# Only the newest lockfile's tree is kept (each is ~400 MB).
mkdir -p "$CACHE/node_modules"
rm -rf "$CACHE/node_modules/.incoming"
if cp -al node_modules "$CACHE/node_modules/.incoming" 2>/dev/null; then
  find "$CACHE/node_modules" -mindepth 1 -maxdepth 1 -not -name .incoming -exec rm -rf {} +
  mkdir "$kept" && mv "$CACHE/node_modules/.incoming" "$kept/node_modules"
else
  rm -rf "$CACHE/node_modules/.incoming"
fi
