#!/usr/bin/env bash
# Runs a command the way the tests need the desktop to be: a private D-Bus session with an
# unlocked gnome-keyring (a real Secret Service for the keychain tests and the app), and an X
# display from Xvfb for the real WebKit window of the end-to-end tests.
set -euo pipefail
if [ "${1:-}" != "--inside" ]; then
  exec dbus-run-session -- "$0" --inside "$@"
fi
shift
scratch=$(mktemp -d)
export XDG_RUNTIME_DIR="$scratch/run" XDG_DATA_HOME="$scratch/data"
mkdir -p "$XDG_RUNTIME_DIR" "$XDG_DATA_HOME" && chmod 700 "$XDG_RUNTIME_DIR"
# A throw-away keyring with a throw-away password.
eval "$(printf 'test-keyring' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL
trap 'rm -rf "$scratch"' EXIT
xvfb-run -a -s "-screen 0 1280x800x24" "$@"
