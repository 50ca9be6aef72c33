#!/usr/bin/env bash
# `make test`: lint, then every test suite against the real local platform. The platform is
# brought up if it is not running, and stopped again afterwards only if this run started it.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
# Python caches compiled bytecode (and pytest its assertion-rewritten test modules) in
# __pycache__ unless PYTHONDONTWRITEBYTECODE is set, as it is in some CI and sandbox
# environments: then every one of the run's hundreds of Python processes (pytest workers,
# services, CLIs) compiles every module it imports from source again. A results-api import
# costs 3.0 CPU-s that way and 1.5 CPU-s from the cache, a pytest worker's collection 15 CPU-s
# and 7. The caches are ignored by git and kept out of image builds (.dockerignore).
unset PYTHONDONTWRITEBYTECODE
# And they are kept outside the clone, in a tree mirroring each source's absolute path: a fresh
# clone's `uv sync` hard-links the venv's files from uv's cache (same inode, same mtime, so the
# bytecode of the last run at this path is still valid) but writes no bytecode, so each run's
# first processes (five pytest workers collecting at once, the first services) compiled the
# venv's packages again. Five workers' collection in a fresh clone (load 7, nproc 2): 16.9 CPU-s
# with bytecode in the clone, 6.0 with this cache warm from an earlier clone at the same path; a
# results-api import 6.9 and 2.1. The tree is ~50 MB per clone path, emptied past 2 GB.
if [ -z "${PYTHONPYCACHEPREFIX:-}" ]; then
  export PYTHONPYCACHEPREFIX="${SIGHTLINE_CACHE_DIR:-$HOME/.cache/sightline}/pycache"
  if [ "$(du -sm "$PYTHONPYCACHEPREFIX" 2>/dev/null | cut -f1)" -gt 2048 ] 2>/dev/null; then
    rm -rf "$PYTHONPYCACHEPREFIX"
  fi
fi

# Phase timings, printed at the end (also after a failure): wall seconds and the CPU seconds
# (user + sys) of the phase's finished child processes, counting their own children; servers
# that were already running are not counted. On a shared machine compare CPU, not wall.
# Beside them, the machine's idle CPU seconds (all CPUs, idle + iowait in /proc/stat) during the
# phase, and for the python tests once a minute: whether a phase leaves CPU another one could use
# (the dashboard's Playwright phase beside the python tests' last minutes?) is read there. The
# niced dashboard preparation counts as busy, and so does other users' load on the machine.
phases=()
phase_name="" phase_wall=0 phase_cpu=0 phase_idle=0
idle_cpu() { awk -v hz="$(getconf CLK_TCK)" '/^cpu / { printf "%.1f", ($5 + $6) / hz; exit }' \
  /proc/stat 2>/dev/null || echo 0; }
idle_trace=$(mktemp) idle_pid=""
times_file=$(mktemp)
# `times` must run in this shell (not a $(...) subshell) to see this shell's children.
children_cpu() { awk 'NR == 2 { gsub("s", ""); split($1, u, "m"); split($2, k, "m")
  printf "%.1f", u[1] * 60 + u[2] + k[1] * 60 + k[2] }' "$times_file"; }
phase_end() {
  [ -n "$phase_name" ] || return 0
  local wall cpu idle
  times >"$times_file"
  wall=$(awk -v a="$phase_wall" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
  cpu=$(awk -v a="$phase_cpu" -v b="$(children_cpu)" 'BEGIN { printf "%.0f", b - a }')
  idle=$(awk -v a="$phase_idle" -v b="$(idle_cpu)" 'BEGIN { printf "%.0f", b - a }')
  phases+=("$(printf '%-22s %6s s wall %7s CPU-s %7s idle CPU-s' "$phase_name" "$wall" "$cpu" \
    "$idle")")
  phase_name=""
}
phase() {
  phase_end
  echo "== $1"
  times >"$times_file"
  phase_name=$1 phase_wall=$(date +%s.%N) phase_cpu=$(children_cpu) phase_idle=$(idle_cpu)
}
# Samples the machine's idle CPU seconds once a minute into $idle_trace until stopped.
idle_trace_start() {
  # The sleep is waited on, so that stopping the sampler stops its sleep too.
  (
    trap 'kill "$nap" 2>/dev/null; exit 0' TERM
    while :; do idle_cpu; echo; sleep 60 & nap=$!; wait "$nap"; done
  ) >"$idle_trace" &
  idle_pid=$!
}
idle_trace_stop() {
  [ -n "$idle_pid" ] || return 0
  kill "$idle_pid" 2>/dev/null || true
  wait "$idle_pid" 2>/dev/null || true
  idle_pid=""
  idle_cpu >>"$idle_trace"
  echo >>"$idle_trace"
}
report_phases() {
  idle_trace_stop
  phase_end
  phase_name="all" phase_wall=$all_wall phase_cpu=0 phase_idle=$all_idle
  phase_end
  echo "== phase timings ($(nproc) CPUs)"
  printf '%s\n' "${phases[@]}"
  if [ -s "$idle_trace" ]; then
    echo "python tests, idle CPU-s in each minute (the last one partial):"
    awk 'NR > 1 { printf "%s%.0f", (NR > 2 ? " " : ""), $1 - prev } { prev = $1 } END { print "" }' \
      "$idle_trace"
  fi
  if [ -n "$platform_cpu" ]; then
    echo "platform servers this run started, CPU-s each (counted in no phase above):"
    echo "$platform_cpu"
  fi
  rm -f "$times_file" "$idle_trace"
}

started_here=0 platform_cpu=""
if ! $PY -m sightline_devstack status >/dev/null 2>&1; then
  started_here=1
fi
lint_pid="" prep_pid=""
cleanup() {
  # A lint still running when the platform start failed is stopped with the run, and so is the
  # dashboard's preparation when the python tests failed.
  if [ -n "$lint_pid" ]; then kill "$lint_pid" 2>/dev/null || true; fi
  if [ -n "$prep_pid" ]; then kill -- "-$prep_pid" 2>/dev/null || true; fi
  # The servers run detached, so `times` never sees them: read from /proc before they stop.
  if [ "$started_here" = 1 ]; then
    platform_cpu=$($PY -m sightline_devstack cpu 2>/dev/null || true)
  fi
  report_phases
  if [ "$started_here" = 1 ]; then
    $PY -m sightline_devstack down || true
  fi
}
# Waits for a job run in the background (pid, its log, what it is), prints its output, and
# ends the run with its exit status if it failed.
finish_background() {
  local status=0
  wait "$1" || status=$?
  cat "$2"
  rm -f "$2"
  if [ "$status" != 0 ]; then
    echo "$3 failed (exit $status)" >&2
    exit "$status"
  fi
}
all_wall=$(date +%s.%N) all_idle=$(idle_cpu)
trap cleanup EXIT

phase "lint + platform"
# Side by side: lint needs no platform, and starting the platform mostly waits (the broker's
# JVM, Postgres, MinIO). A lint failure still fails the run, once the platform is up.
lint_log=$(mktemp)
bash scripts/lint.sh >"$lint_log" 2>&1 &
lint_pid=$!
$PY -m sightline_devstack up
finish_background "$lint_pid" "$lint_log" "lint"
lint_pid=""

phase "deployment tools"
# Installed here once, before the parallel test workers would each try to.
bash scripts/ensure_deploy_tools.sh >/dev/null

phase "python tests"
echo "(unit + integration against the real platform)"
# The dashboard's install, production build and unit tests need neither the platform nor the
# stack: they run beside the python tests, niced, on the CPU those leave idle while they wait
# on real-time streams and service start-ups and in their last minutes on one or two workers.
# Their output and status are reported before the dashboard phase; in a group of its own so
# that a failed run stops all of it.
prep_log=$(mktemp)
setsid -w nice -n 10 bash scripts/test.d/dashboard.sh prepare >"$prep_log" 2>&1 &
prep_pid=$!
# Integration tests are never skipped: a missing server is a failure, not a skip.
# pytest-xdist, two workers per CPU and one more: most integration tests wait on streams pushed
# in real time and on services starting (ingest's SIGKILL test: 54 s wall for 14 CPU-s, Kafka's
# included; the suite used ~1 of 2 CPUs with one worker per CPU). Fresh-clone CI runs, idle,
# nproc 2: 4 workers, python phase 688 s with 192 CPU-s idle; 5 workers, 616 s with 100 idle.
# Tests sharing a fixed resource carry the same xdist_group and run on one worker (the testkit
# plugin makes that hold under pytest 9.2); the testkit hands out the longest tests first.
# SIGHTLINE_TEST_WORKERS=N sets the count, 0 runs serially. SIGHTLINE_TEST_CPU=<file> writes the
# CPU-s of each test module (the workers' own and their reaped children's) to <file> and prints
# the top 15 (tools/testkit's cpu_by_module).
idle_trace_start
$PY -m pytest libs tools services tests -p no:cacheprovider \
  -n "${SIGHTLINE_TEST_WORKERS:-$(($(nproc) * 2 + 1))}" --dist loadgroup --durations=40
idle_trace_stop

phase "dashboard prep (wait)"
finish_background "$prep_pid" "$prep_log" "dashboard build or unit tests"
prep_pid=""
export SIGHTLINE_DASHBOARD_PREPARED=1

for extra in scripts/test.d/*.sh; do
  [ -e "$extra" ] || continue
  phase "$(basename "$extra" .sh)"
  bash "$extra"
done
