#!/usr/bin/env bash
# Sets up what the Python side needs, idempotently: uv (cached outside the clone) and the
# workspace venv from the committed lock. Slow things live in ~/.cache so a fresh clone on the
# same machine reuses them.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE_DIR="${SIGHTLINE_CACHE_DIR:-$HOME/.cache/sightline}"
UV_VERSION="0.13.8"
UV_HOME="$CACHE_DIR/uv-$UV_VERSION"
export UV_PYTHON_DOWNLOADS=never
export UV_CACHE_DIR="${UV_CACHE_DIR:-$CACHE_DIR/uv-cache}"

find_python() {
  for candidate in python3.11 "$HOME/.pyenv/versions/3.11"*/bin/python3.11 /usr/bin/python3.11; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null; then
      "$candidate" -c 'import sys; print(sys.executable)'
      return 0
    fi
  done
  echo "bootstrap: Python 3.11 not found (pyenv or Debian's python3.11)" >&2
  return 1
}

PYTHON="$(find_python)"
if [ ! -x "$UV_HOME/bin/uv" ]; then
  echo "bootstrap: installing uv $UV_VERSION into $UV_HOME"
  "$PYTHON" -m venv "$UV_HOME"
  "$UV_HOME/bin/pip" install --quiet "uv==$UV_VERSION"
fi
UV="$UV_HOME/bin/uv"

if [ ! -f uv.lock ]; then
  echo "bootstrap: uv.lock is missing; run 'uv lock' and commit it" >&2
  exit 1
fi
"$UV" sync --frozen --all-packages --python "$PYTHON" --quiet
