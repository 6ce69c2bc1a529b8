#!/usr/bin/env bash
# The API against its own OpenAPI document: a server on a small simulated feed (SQLite), then
# schemathesis (from pip) sends generated requests to every route in /openapi.json, valid and
# not, with the API key, and fails on any 5xx, any response the document does not describe, or
# any malformed body. Run by scripts/test after the Swift tests; needs a release build of funnel.
set -euo pipefail
cd "$(dirname "$0")/../.."
python=${PYTHON:-python3}
if ! "$python" -c "import schemathesis" >/dev/null 2>&1; then
    echo "Installing schemathesis…"
    "$python" -m pip install --quiet --disable-pip-version-check schemathesis \
        || "$python" -m pip install --quiet --disable-pip-version-check --break-system-packages schemathesis
fi
funnel=${FUNNEL:-.build/release/funnel}
[ -x "$funnel" ] || swift build -c release --product funnel
work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

"$funnel" simulate --users 300 --items 600 --authors 60 --days 4 --ends-now --store "$work/api.sqlite" >/dev/null
"$funnel" train ranker --store "$work/api.sqlite" >/dev/null
port=$(( 20000 + RANDOM % 20000 ))
"$funnel" serve --store "$work/api.sqlite" --port "$port" --api-key schemathesis-key >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 120); do
    "$python" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" \
        "http://127.0.0.1:$port/v1/ready" >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.5
done
# Lone UTF-16 surrogates ("\udaa5") are valid JSON escapes but no Unicode text: the server refuses them as
# malformed, so the generated strings are kept to what UTF-8 can carry.
status=0
(cd "$work" && "$python" -m schemathesis.cli run "http://127.0.0.1:$port/openapi.json" --checks all -H "X-API-Key: schemathesis-key" --generation-codec utf-8 --generation-database none \
    --suppress-health-check filter_too_much \
    --max-examples "${SCHEMATHESIS_EXAMPLES:-40}" --seed 1 --no-color) || status=$?
kill -0 "$server" 2>/dev/null || { echo "the server died under schemathesis:"; tail -50 "$work/server.log"; exit 1; }
exit $status
