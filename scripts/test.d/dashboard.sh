#!/usr/bin/env bash
# The dashboard's unit tests, then its Playwright end-to-end tests against the real stack:
# every service and the built dashboard are started the way `make run` starts them (without the
# background demo source) and stopped again afterwards.
# `dashboard.sh prepare` only installs, builds (production) and runs the unit tests: none of it
# needs the platform or the stack, so `make test` runs it beside the python tests and then runs
# this script with SIGHTLINE_DASHBOARD_PREPARED=1, which skips the unit tests (the build is
# already there, so the stack's dashboard server starts at once).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
LOG=.state/logs/make-test-stack.log
mkdir -p .state/logs

if [ "${1:-}" = prepare ]; then
  bash frontend/scripts/install-deps.sh
  # Built, or restored from the cache when a clone with the same sources built it before.
  bash frontend/scripts/build.sh
  SIGHTLINE_E2E=0 bash frontend/scripts/test.sh
  exit 0
fi

stack_pid=""
stop_stack() {
  if [ -n "$stack_pid" ] && kill -0 "$stack_pid" 2>/dev/null; then
    kill -INT "$stack_pid"
    wait "$stack_pid" || true
  fi
}
trap stop_stack EXIT

if ! curl -fsS --max-time 3 http://127.0.0.1:8000/readyz >/dev/null 2>&1; then
  # No proposal-net trainer: each logo the e2e tests upload would start minutes of training.
  SIGHTLINE_DEMO_SOURCE=0 SIGHTLINE_PROPOSAL_TRAINING=0 setsid $PY -m sightline_devstack run >"$LOG" 2>&1 &
  stack_pid=$!
fi
# The unit tests need no stack: they run while it starts.
if [ "${SIGHTLINE_DASHBOARD_PREPARED:-0}" != 1 ]; then
  SIGHTLINE_E2E=0 bash frontend/scripts/test.sh
fi
if [ -n "$stack_pid" ]; then
  for _ in $(seq 1 900); do
    grep -q "Sightline is running" "$LOG" && break
    kill -0 "$stack_pid" 2>/dev/null || { cat "$LOG"; echo "the stack did not start" >&2; exit 1; }
    sleep 1
  done
  grep -q "Sightline is running" "$LOG" || { tail -50 "$LOG"; echo "stack start timed out" >&2; exit 1; }
fi
SIGHTLINE_UNIT=0 SIGHTLINE_E2E=1 bash frontend/scripts/test.sh
