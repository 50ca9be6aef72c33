#!/usr/bin/env bash
# `make test`: lint, then every test suite against the real local platform. The platform is
# brought up if it is not running, and stopped again afterwards only if this run started it.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

started_here=0
if ! $PY -m sightline_devstack status >/dev/null 2>&1; then
  started_here=1
fi
cleanup() {
  if [ "$started_here" = 1 ]; then
    $PY -m sightline_devstack down || true
  fi
}
trap cleanup EXIT

echo "== lint"
bash scripts/lint.sh

echo "== platform"
$PY -m sightline_devstack up

echo "== python tests (unit + integration against the real platform)"
# Integration tests are never skipped: a missing server is a failure, not a skip.
$PY -m pytest libs tools services tests -p no:cacheprovider

for extra in scripts/test.d/*.sh; do
  [ -e "$extra" ] || continue
  echo "== $(basename "$extra" .sh)"
  bash "$extra"
done
