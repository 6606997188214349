#!/usr/bin/env bash
# `make bench-console`: the release console's size, start time and memory beside the same UI in
# Chromium. Needs Debian's chromium and chromium-driver (installed here when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
for p in chromium chromium-driver; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || {
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
    break
  }
done
# The same build as `make test`s (one feature set: no rebuild of tauri for this).
cargo build -q --workspace --all-targets
scripts/with-test-session.sh target/debug/bench-console
