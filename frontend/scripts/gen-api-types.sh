#!/usr/bin/env bash
# Refreshes frontend/openapi.json from the running results-api (when it answers) and generates the
# dashboard's REST types from it with openapi-typescript. The saved document is committed so that
# a build needs no running API; run this after changing results-api's routes or schemas.
# Env: SIGHTLINE_API_URL (default http://127.0.0.1:8000).
set -euo pipefail
FRONTEND="$(cd "$(dirname "$0")/.." && pwd)"
API_URL="${SIGHTLINE_API_URL:-http://127.0.0.1:8000}"
SPEC="$FRONTEND/openapi.json"
OUT="$FRONTEND/src/app/generated/api.ts"
if curl -fsS --max-time 5 "$API_URL/openapi.json" -o "$SPEC.new"; then
  python3 -m json.tool "$SPEC.new" > "$SPEC" && rm "$SPEC.new"  # indented: readable diffs
  echo "openapi: refreshed $SPEC from $API_URL"
else
  rm -f "$SPEC.new"
  echo "openapi: $API_URL not reachable; generating from the saved $SPEC" >&2
fi
"$FRONTEND/node_modules/.bin/openapi-typescript" "$SPEC" --output "$OUT" --alphabetize --default-non-nullable false >/dev/null
sed -i '1i /* Generated from frontend/openapi.json by frontend/scripts/gen-api-types.sh. Do not edit. */' "$OUT"
echo "openapi: TypeScript types written to ${OUT#"$FRONTEND/"}"
