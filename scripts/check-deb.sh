#!/usr/bin/env bash
# Installs the .deb that `make dist` made the way an IT department would (apt resolves what it
# Depends on), then checks what it put in place: the binary, a valid .desktop entry with its icon,
# the deep-link scheme, and that the declared Depends cover every shared library the binary needs
# (as dpkg-shlibdeps computes them), so it also starts on a machine without the -dev packages.
set -euo pipefail
deb=$(realpath "$1")
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
pkg=$(dpkg-deb -f "$deb" Package)
echo "==> apt-get install $deb"
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --reinstall "$deb" >/dev/null

fail() { echo "check-deb: $*" >&2; exit 1; }
bin=/usr/bin/recovery-desk
[ -x "$bin" ] || fail "$bin is not installed"
desktop=$(dpkg -L "$pkg" | grep '^/usr/share/applications/.*\.desktop$' || true)
[ -n "$desktop" ] || fail "no .desktop entry in /usr/share/applications"
desktop-file-validate "$desktop" || fail "$desktop is not a valid desktop entry"
grep -q '^Exec=recovery-desk' "$desktop" || fail "$desktop does not start recovery-desk"
grep -q '^MimeType=.*x-scheme-handler/recovery-desk' "$desktop" || fail "$desktop does not take recovery-desk:// links"
icon=$(sed -n 's/^Icon=//p' "$desktop")
for size in 32x32 128x128; do
  [ -f "/usr/share/icons/hicolor/$size/apps/$icon.png" ] || fail "no $size icon named $icon"
done

depends=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/[(|].*//; s/ //g' | grep -v '^$')
closure=$(apt-cache depends --recurse --installed --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances $depends | grep -v '^ ' | sed 's/:.*//' | sort -u)
scratch=$(mktemp -d); trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/debian" && printf 'Source: x\n\nPackage: x\nArchitecture: any\n' >"$scratch/debian/control"
needed=$(cd "$scratch" && dpkg-shlibdeps -O "$bin" 2>/dev/null | sed 's/^shlibs:Depends=//' | tr ',' '\n' |
  sed 's/[(|].*//; s/ //g' | grep -v '^$')
missing=()
for p in $needed; do
  grep -qx "$p" <<<"$closure" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] || fail "the binary needs ${missing[*]}, which Depends ($depends) does not bring"
echo "check-deb: $pkg $(dpkg-deb -f "$deb" Version) installed; Depends: $(echo $depends); needs: $(echo $needed)"
