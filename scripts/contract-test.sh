#!/usr/bin/env bash
# The API description is the contract: schemathesis generates requests from /v1/openapi.json and
# checks every answer of the real service against it (`--checks all`: status codes, content types,
# headers and bodies as documented, schema-valid requests accepted, invalid ones refused, auth
# enforced), in all four phases, signed in as the demo agent and as the demo lead.
#
#   scripts/contract-test.sh CASES    # at least CASES generated cases in all (make test: 2000)
#
# The service is the real desk-server binary (built before) with --demo on a fresh database, its
# mail webhook enabled so that route is exercised too. Sign-out runs last, once per role, since it
# ends the session the other operations use.
set -euo pipefail
cd "$(dirname "$0")/.."

min_cases=${1:-2000}
# Examples per operation and phase (the coverage phase adds its own, about 1,000 per role).
per_operation=${CONTRACT_EXAMPLES:-$((min_cases / 50))}
st=.tools/venv/bin/schemathesis
server=target/debug/desk-server
[ -x "$st" ] || { echo "schemathesis is missing: run scripts/install-deps.sh" >&2; exit 1; }
[ -x "$server" ] || { echo "$server is missing: cargo build -p desk-server first" >&2; exit 1; }

work=$(mktemp -d)
pid=""
cleanup() {
  local rc=$?
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT

secret=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
printf 'mail_webhook_secret = "%s"\n' "$secret" >"$work/desk.toml"
"$server" serve --config "$work/desk.toml" --demo --demo-accounts 500 --db "$work/desk.db" \
  --bind 127.0.0.1:0 >"$work/server.out" 2>"$work/server.log" &
pid=$!
for _ in $(seq 600); do
  url=$(grep -o 'http://[0-9.:]*' "$work/server.out" 2>/dev/null || true)
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "the service did not start" >&2; exit 1; }

# A TOTP code signs in once per agent; the agent and the lead each use their own.
sign_in() {
  .tools/venv/bin/python - "$url" "$1" "$2" "$("$server" totp "$3")" <<'EOF'
import json, sys, urllib.request
url, email, password, code = sys.argv[1:]
body = json.dumps({"email": email, "password": password, "totp": code}).encode()
req = urllib.request.Request(f"{url}/v1/sessions", body, {"Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(req))["token"])
EOF
}
agent=$(sign_in agent@demo.test demo-agent-pass JBSWY3DPEHPK3PXP)
lead=$(sign_in lead@demo.test demo-lead-pass KRSXG5CTMVRXEZLU)

# A seed makes a run repeatable (make test passes one); without it each run explores anew.
seed=()
[ -n "${CONTRACT_SEED:-}" ] && seed=(--seed "$CONTRACT_SEED")

total=0
started=$SECONDS
run() {
  local name=$1 token=$2
  shift 2
  local out="$work/$name.txt"
  echo "==> schemathesis as the $name"
  # Run from the work folder: schemathesis keeps its example database in the current directory.
  if ! (cd "$work" && "$OLDPWD/$st" run "$url/v1/openapi.json" --checks all \
    --phases examples,coverage,fuzzing,stateful --max-examples "$per_operation" \
    -H "Authorization: Bearer $token" -H "X-Webhook-Secret: $secret" \
    --no-color "${seed[@]}" "$@") >"$out" 2>&1; then
    cat "$out"
    echo "schemathesis found failures as the $name; the service's first errors:" >&2
    grep -m 5 -A 4 -E 'panicked|ERROR' "$work/server.log" >&2 || true
    [ -z "${CONTRACT_KEEP:-}" ] || cp "$work/server.log" "$CONTRACT_KEEP"
    exit 1
  fi
  sed -n '/^Test cases:/,/^$/p' "$out"
  local cases
  cases=$(grep -oE '^ +[0-9]+ generated' "$out" | grep -oE '[0-9]+' | head -1)
  total=$((total + ${cases:-0}))
}
run agent "$agent" --exclude-operation-id sign_out
run lead "$lead" --exclude-operation-id sign_out
run agent-sign-out "$agent" --include-operation-id sign_out
run lead-sign-out "$lead" --include-operation-id sign_out

if [ "$total" -lt "$min_cases" ]; then
  echo "schemathesis generated $total cases, fewer than the $min_cases asked for" >&2
  exit 1
fi
echo "contract: $total cases, 0 failures, in $((SECONDS - started)) s"
