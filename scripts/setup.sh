#!/usr/bin/env bash
# Installs what phoenix's demo and tests need on a fresh Debian 12 machine, as root:
# the Debian packages of scripts/debian-packages.txt (LXC, sshd, debootstrap, makeself, kmod, apt tooling; the lab
# installs from the same list), the npm packages (npm ci), the build, and a `phoenix` command on PATH.
# scripts/fresh-check.sh runs it on a root that has only what a new machine has.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t packages < <(sed 's/#.*//' scripts/debian-packages.txt | awk 'NF { print $1 }')
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run build --silent

bash scripts/link-phoenix.sh
