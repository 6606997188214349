#!/usr/bin/env bash
# Installs what building, running and testing Recovery Desk needs on Debian/Ubuntu, skipping what
# is already there: system packages, the UI's npm packages, tauri-driver, schemathesis.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
packages=(
  pkg-config build-essential libssl-dev libdbus-1-dev
  libwebkit2gtk-4.1-dev librsvg2-dev libayatana-appindicator3-dev   # building the Tauri app
  xvfb xauth webkit2gtk-driver                                       # end-to-end tests
  dbus dbus-x11 gnome-keyring                                        # the keychain (Secret Service)
  python3 python3-venv                                               # schemathesis, in .tools/venv
)
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$p")
done
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  need_apt+=(nodejs npm)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "==> apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "Node.js 20 or newer is needed for the UI build (found $(node --version))." >&2
  exit 1
fi

if ! command -v cargo >/dev/null; then
  echo "Rust (cargo) is needed: install it with rustup, then run this again." >&2
  exit 1
fi

# The UI's packages, exactly as locked; again only when the lock file changed.
if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "==> npm ci (ui)"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
fi

# The OpenID provider the single-sign-on tests start (oidc-provider, pinned in its lockfile).
if [ ! -f tests/oidc/node_modules/.package-lock.json ] || [ tests/oidc/package-lock.json -nt tests/oidc/node_modules/.package-lock.json ]; then
  echo "==> npm ci (tests/oidc)"
  (cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error)
fi

# tauri-driver 2 (the newest on the registry is a 3.0 alpha).
if ! command -v tauri-driver >/dev/null && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  echo "==> cargo install tauri-driver"
  cargo install tauri-driver --locked --version '^2' --quiet
fi

# schemathesis, pinned, in a virtual environment of the project's own (.tools/venv, not committed).
SCHEMATHESIS_VERSION=4.32.5
if ! .tools/venv/bin/schemathesis --version 2>/dev/null | grep -qx "schemathesis, version $SCHEMATHESIS_VERSION"; then
  echo "==> schemathesis $SCHEMATHESIS_VERSION (.tools/venv)"
  [ -x .tools/venv/bin/pip ] || python3 -m venv .tools/venv
  .tools/venv/bin/pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
