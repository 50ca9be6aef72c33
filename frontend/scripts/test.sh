#!/usr/bin/env bash
# The dashboard's tests: installs what is missing (npm packages from the committed lockfile;
# Debian's Chromium only if absent), runs the vitest unit tests headless and once, then — when
# results-api answers — builds the app and runs the Playwright end-to-end tests against the real
# running stack. Screenshots go to test-artifacts/dashboard/. Env: SIGHTLINE_API_URL,
# SIGHTLINE_E2E_TOKEN (else the demo token of `make run`, else a new one), SIGHTLINE_E2E=0 to skip
# the e2e part, SIGHTLINE_E2E=1 to fail (not skip) when the stack is not up, SIGHTLINE_UNIT=0 to
# skip the unit tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export npm_config_cache="${npm_config_cache:-$HOME/.cache/sightline/npm}"
API_URL="${SIGHTLINE_API_URL:-http://127.0.0.1:8000}"

bash scripts/install-deps.sh

if [ "${SIGHTLINE_UNIT:-1}" != 0 ]; then
  echo "== dashboard unit tests (vitest)"
  npx ng test --watch=false
fi

if [ "${SIGHTLINE_E2E:-auto}" = 0 ]; then
  exit 0
fi
if ! curl -fsS --max-time 3 "$API_URL/readyz" >/dev/null 2>&1; then
  if [ "${SIGHTLINE_E2E:-auto}" = 1 ]; then
    echo "results-api is not ready at $API_URL: cannot run the dashboard e2e tests" >&2
    exit 1
  fi
  echo "== dashboard e2e: skipped, results-api is not ready at $API_URL (start the stack with make run)"
  exit 0
fi

if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
bash scripts/build.sh
echo "== dashboard e2e (Playwright, Chromium, against the running stack)"
npx playwright test
