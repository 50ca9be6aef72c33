#!/usr/bin/env bash
# ruff (lint + format check) and mypy --strict over every Python package in the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
# mypy's cache lives outside the clone, so a fresh clone checks only what changed: mypy revalidates
# an entry by content hash when the path or mtime differs.
export MYPY_CACHE_DIR="${MYPY_CACHE_DIR:-${SIGHTLINE_CACHE_DIR:-$HOME/.cache/sightline}/mypy}"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
packages=()
for src in libs/*/src/* tools/*/src/* services/*/src/*; do
  [ -f "$src/__init__.py" ] && packages+=(-p "$(basename "$src")")
done
.venv/bin/mypy "${packages[@]}"
