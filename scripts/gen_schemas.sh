#!/usr/bin/env bash
# Regenerates the message models from schemas/ (the single source of truth): Python models for
# every service, and TypeScript types for the dashboard when the front end is set up.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=libs/common/src/sightline_common/messages/schema
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
.venv/bin/datamodel-codegen --input schemas --input-file-type jsonschema --output "$TMP/schema" \
  --output-model-type pydantic_v2.BaseModel --target-python-version 3.11 \
  --use-standard-collections --use-union-operator --field-constraints --use-double-quotes \
  --disable-timestamp --use-schema-description --use-title-as-name --strict-nullable \
  --deserialize-default-values enum \
  --formatters black 2>/dev/null
.venv/bin/ruff check --quiet --fix --select I,F401,UP "$TMP/schema" >/dev/null || true
.venv/bin/ruff format --quiet "$TMP/schema"
rm -rf "$OUT"
mv "$TMP/schema" "$OUT"
echo "schemas: Python models written to $OUT"
if [ -x frontend/node_modules/.bin/json2ts ]; then
  bash frontend/scripts/gen-message-types.sh
fi
