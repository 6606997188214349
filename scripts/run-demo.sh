#!/usr/bin/env bash
# Starts the demo service and opens the console against it; stopping the console stops both.
set -euo pipefail
port="$1"; db="$2"
cd "$(dirname "$0")/.."
target/debug/desk-server serve --demo --db "$db" --bind "127.0.0.1:$port" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
cat <<TXT

  Recovery Desk demo service: http://127.0.0.1:$port   (mailbox: http://127.0.0.1:$port/dev/mailbox)
  Agent: agent@demo.test / demo-agent-pass / TOTP secret JBSWY3DPEHPK3PXP
  Lead:  lead@demo.test  / demo-lead-pass  / TOTP secret KRSXG5CTMVRXEZLU
  Admin: admin@demo.test / demo-admin-pass / TOTP secret MFRGGZDFMZTWQ2LK
  Current codes: agent $(target/debug/desk-server totp JBSWY3DPEHPK3PXP)  lead $(target/debug/desk-server totp KRSXG5CTMVRXEZLU)  (run \`target/debug/desk-server totp SECRET\` for a fresh one)
  End-user pages: http://127.0.0.1:$port/recover  /recover-answer  /security-details

TXT
RECOVERY_DESK_SERVER_URL="http://127.0.0.1:$port" target/debug/recovery-desk
