#!/usr/bin/env bash
# Serves the built dashboard on http://127.0.0.1:4200 with /api proxied to results-api (:8000) and
# /ws to the notifier (:8001). Installs dependencies and builds (production) only when missing or
# older than the sources, so a second `make run` starts at once. Env: see scripts/serve.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."
export npm_config_cache="${npm_config_cache:-$HOME/.cache/sightline/npm}"
bash scripts/install-deps.sh
bash scripts/build.sh >&2
exec node scripts/serve.mjs
