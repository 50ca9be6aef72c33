#!/usr/bin/env bash
# The dashboard's unit tests, then its Playwright end-to-end tests against the real stack:
# every service and the built dashboard are started the way `make run` starts them (without the
# background demo source, and without the proposal trainer: the tests upload logos, and each
# library change would cost minutes of training CPU) and stopped again afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=.venv/bin/python
LOG=.state/logs/make-test-stack.log
mkdir -p .state/logs

stack_pid=""
stop_stack() {
  if [ -n "$stack_pid" ] && kill -0 "$stack_pid" 2>/dev/null; then
    kill -INT "$stack_pid"
    wait "$stack_pid" || true
  fi
}
trap stop_stack EXIT

if ! curl -fsS --max-time 3 http://127.0.0.1:8000/readyz >/dev/null 2>&1; then
  SIGHTLINE_DEMO_SOURCE=0 SIGHTLINE_PROPOSAL_TRAINING=0 setsid $PY -m sightline_devstack run >"$LOG" 2>&1 &
  stack_pid=$!
fi
# The unit tests need no stack: they run while it starts.
SIGHTLINE_E2E=0 bash frontend/scripts/test.sh
if [ -n "$stack_pid" ]; then
  for _ in $(seq 1 900); do
    grep -q "Sightline is running" "$LOG" && break
    kill -0 "$stack_pid" 2>/dev/null || { cat "$LOG"; echo "the stack did not start" >&2; exit 1; }
    sleep 1
  done
  grep -q "Sightline is running" "$LOG" || { tail -50 "$LOG"; echo "stack start timed out" >&2; exit 1; }
fi
SIGHTLINE_UNIT=0 SIGHTLINE_E2E=1 bash frontend/scripts/test.sh
