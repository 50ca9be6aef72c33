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

echo "== deployment tools"
# Installed here once, before the parallel test workers would each try to.
bash scripts/ensure_deploy_tools.sh >/dev/null

echo "== python tests (unit + integration against the real platform)"
# Integration tests are never skipped: a missing server is a failure, not a skip.
# Two workers (pytest-xdist); tests sharing a fixed resource carry the same xdist_group and run
# on one worker (see the markers in pyproject.toml). SIGHTLINE_TEST_WORKERS=0 runs serially.
$PY -m pytest libs tools services tests -p no:cacheprovider \
  -n "${SIGHTLINE_TEST_WORKERS:-2}" --dist loadgroup --durations=25

for extra in scripts/test.d/*.sh; do
  [ -e "$extra" ] || continue
  echo "== $(basename "$extra" .sh)"
  bash "$extra"
done
