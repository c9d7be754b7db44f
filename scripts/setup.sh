#!/usr/bin/env bash
# Installs the system packages the local account needs (Debian): SoftHSM2 for key material, AWS CLI v2 for the
# CLI-compatibility tests, Chromium for the status page's browser tests. Idempotent and quick when everything is there.
set -euo pipefail
missing=()
[ -e "${SOFTHSM2_LIBRARY:-/usr/lib/softhsm/libsofthsm2.so}" ] || missing+=(softhsm2)
[ -x /usr/bin/aws ] || missing+=(awscli)
command -v tmux >/dev/null || missing+=(tmux)
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "Installing ${missing[*]} from Debian's packages..."
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "Missing system packages: ${missing[*]}. Install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
