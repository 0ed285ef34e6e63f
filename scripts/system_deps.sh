#!/usr/bin/env bash
# The Debian packages Remu needs outside Python: installs the missing ones when run as root,
# else stops at once with the exact command to run (never a failure deep in the test suite).
#   scripts/system_deps.sh pdf   what printing needs (WeasyPrint: Pango, HarfBuzz-Subset, a font)
#   scripts/system_deps.sh test  the same plus Debian's Chromium for the browser tests
# SYSTEM_DEPS_ROOT prefixes the file checks (tests point it at an empty directory).
set -euo pipefail
want=${1:-pdf}
case "$want" in
  pdf | test) ;;
  *) echo "usage: $0 pdf|test" >&2; exit 2 ;;
esac
root=${SYSTEM_DEPS_ROOT:-}
# ldconfig lives in /sbin, which is not on a Debian user's PATH.
PATH="$PATH:/usr/sbin:/sbin"

libraries=$(ldconfig -p 2>/dev/null || true)
has_library() { grep -q "$1" <<<"$libraries"; }

missing=()
has_library 'libpango-1\.0\.so' || missing+=(libpango-1.0-0)
has_library 'libpangoft2-1\.0\.so' || missing+=(libpangoft2-1.0-0)
# Without HarfBuzz-Subset WeasyPrint warns at every PDF, and the suite turns warnings into errors.
has_library 'libharfbuzz-subset\.so' || missing+=(libharfbuzz-subset0)
[ -e "$root/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf" ] || missing+=(fonts-dejavu-core)
if [ "$want" = test ]; then
  # The browser tests drive Debian's Chromium, never a downloaded browser build.
  [ -x "$root/usr/bin/chromium" ] || missing+=(chromium)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "Remu needs Debian packages that are not installed: ${missing[*]}" >&2
  echo "Run this command, then start again:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "Remu needs these Debian packages (or your system's equivalent): ${missing[*]}" >&2
  exit 1
fi
echo "Installing the Debian packages Remu needs: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
