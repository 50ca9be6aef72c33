#!/usr/bin/env bash
# `make bench`: runs every benchmark in the workspace (any `bench/*.py` with a main) against
# the running local platform, then writes bench-report/report.md with PNG plots.
#
# Each benchmark prints its figures (collected in bench-report/summary.txt) and writes
# bench-report/results/<name>.json through sightline_benchkit (the results contract); its stderr
# (progress bars, warnings) goes to the terminal and bench-report/logs/. A failing benchmark does
# not stop the others: the report lists it and this script exits 1 at the end.
# `BENCH_ONLY=e2e,sink make bench` runs only the benchmarks whose path contains one of the words
# and reports them beside the results the last full run left.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
OUT=bench-report
export SIGHTLINE_BENCH_RESULTS="$PWD/$OUT/results"
# A full run starts clean; a BENCH_ONLY run keeps the other benchmarks' results for the report.
if [ -z "${BENCH_ONLY:-}" ]; then
  rm -rf "$OUT/results" "$OUT/logs" "$OUT/runs.tsv"
fi
rm -f "$OUT"/*.png "$OUT/report.md"
mkdir -p "$OUT/results" "$OUT/logs"
touch "$OUT/runs.tsv"
echo "sightline bench on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ), load $(cut -d' ' -f1-3 /proc/loadavg)" \
  | tee "$OUT/summary.txt"

selected() {
  [ -z "${BENCH_ONLY:-}" ] && return 0
  local word
  for word in ${BENCH_ONLY//,/ }; do
    [[ "$1" == *"$word"* ]] && return 0
  done
  return 1
}

shopt -s nullglob
failed=0
for bench in libs/*/bench/*.py services/*/bench/*.py tests/bench/*.py; do
  name="$(basename "$bench" .py)"
  [[ "$name" == _* ]] && continue  # __init__.py, shared helpers such as _common.py
  selected "$bench" || continue
  echo "== $bench" | tee -a "$OUT/summary.txt"
  started=$(date +%s)
  grep -v "^$bench"$'\t' "$OUT/runs.tsv" > "$OUT/runs.tsv.new" || true
  mv "$OUT/runs.tsv.new" "$OUT/runs.tsv"
  $PY "$bench" 2> >(tee "$OUT/logs/$name.stderr" >&2) | tee -a "$OUT/summary.txt"
  code=${PIPESTATUS[0]}
  printf '%s\t%s\t%s\n' "$bench" "$code" "$(($(date +%s) - started))" >> "$OUT/runs.tsv"
  if [ "$code" -ne 0 ]; then
    echo "!! $bench exited $code (stderr: $OUT/logs/$name.stderr)" | tee -a "$OUT/summary.txt"
    failed=1
  fi
done
$PY -m sightline_benchkit.report --results "$OUT/results" --out "$OUT" | tee -a "$OUT/summary.txt"
exit "$failed"
