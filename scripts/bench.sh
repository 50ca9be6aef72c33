#!/usr/bin/env bash
# `make bench`: runs every benchmark in the workspace (any `bench/*.py` with a main) against
# the running local platform and prints its figures. Figures are per machine: the core count
# is printed first and each benchmark reports it beside its results.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
mkdir -p bench-report
echo "sightline bench on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ)" | tee bench-report/summary.txt
shopt -s nullglob
benches=(libs/*/bench/*.py services/*/bench/*.py tests/bench/*.py)
if [ ${#benches[@]} -eq 0 ]; then
  echo "no benchmarks yet" | tee -a bench-report/summary.txt
  exit 0
fi
for bench in "${benches[@]}"; do
  [ "$(basename "$bench")" = "__init__.py" ] && continue
  echo "== $bench" | tee -a bench-report/summary.txt
  $PY "$bench" 2>&1 | tee -a bench-report/summary.txt
done
