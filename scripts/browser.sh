#!/usr/bin/env bash
# The browser the browser tests drive (playwright-core with Debian's chromium, e2e/src/browser).
#
#   scripts/browser.sh ensure    install chromium with apt-get when /usr/bin/chromium is missing; quiet when present
#   scripts/browser.sh path      print the browser's path
#
# CHROMIUM_PATH names another chromium build (then nothing is installed).
set -euo pipefail

chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"

ensure() {
  if [ -x "$chromium" ]; then return; fi
  if [ -n "${CHROMIUM_PATH:-}" ]; then echo "browser: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable" >&2; exit 1; fi
  echo "browser: installing Debian's chromium (apt-get)" >&2
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >&2
  [ -x "$chromium" ] || { echo "browser: chromium was installed but $chromium is missing" >&2; exit 1; }
}

case "${1:-}" in
  ensure) ensure ;;
  path) echo "$chromium" ;;
  *) echo "usage: scripts/browser.sh ensure|path" >&2; exit 2 ;;
esac
