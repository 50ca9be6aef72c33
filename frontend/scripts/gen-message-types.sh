#!/usr/bin/env bash
# Generates the dashboard's TypeScript message types from schemas/ (the single source of truth,
# shared with the Python models), one .ts file per schema plus an index. Called by the root
# scripts/gen_schemas.sh; never hand-edit src/app/generated/messages/.
set -euo pipefail
FRONTEND="$(cd "$(dirname "$0")/.." && pwd)"
SCHEMAS="$FRONTEND/../schemas"
OUT="$FRONTEND/src/app/generated/messages"
JSON2TS="$FRONTEND/node_modules/.bin/json2ts"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

for schema in "$SCHEMAS"/*.schema.json; do
  name="$(basename "$schema" .schema.json)"
  # --cwd resolves cross-file refs such as stream-config.schema.json#/$defs/ExecutorKind.
  "$JSON2TS" --input "$schema" --output "$TMP/$name.ts" --cwd "$SCHEMAS" \
    --no-additionalProperties --unknownAny \
    --bannerComment "/* Generated from schemas/$name.schema.json by frontend/scripts/gen-message-types.sh. Do not edit. */"
  echo "export * from './$name';" >> "$TMP/index.ts"
done
rm -rf "$OUT"
mkdir -p "$(dirname "$OUT")"
mv "$TMP" "$OUT"
trap - EXIT
echo "schemas: TypeScript types written to ${OUT#"$FRONTEND/../"}"
