#!/usr/bin/env bash
# ruff (lint + format check) and mypy --strict over every Python package in the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
.venv/bin/ruff format --check .
packages=()
for src in libs/*/src/* tools/*/src/* services/*/src/*; do
  [ -f "$src/__init__.py" ] && packages+=(-p "$(basename "$src")")
done
.venv/bin/mypy "${packages[@]}"
