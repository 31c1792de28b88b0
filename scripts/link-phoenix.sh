#!/usr/bin/env bash
# Puts a `phoenix` command on PATH (as ansible-playbook is; `npx phoenix` costs about 0.5 s a call): a link to this
# checkout's bin/phoenix.js, which finds dist/ through the link (Node resolves the main script's real path).
# Usage: link-phoenix.sh [BINDIR]   (default /usr/local/bin as root, else ~/.local/bin; scripts/setup.sh runs it)
# A link to another checkout's bin/phoenix.js is moved to this one (and says so); anything else named phoenix there
# is left alone, with a message saying what to do.
set -euo pipefail
target="$(cd "$(dirname "$0")/.." && pwd)/bin/phoenix.js"
if [ $# -gt 0 ]; then bindir=$1
elif [ "$(id -u)" -eq 0 ]; then bindir=/usr/local/bin
else bindir="$HOME/.local/bin"; fi
link="$bindir/phoenix"
if [ -e "$link" ] && ! [ -L "$link" ]; then
  echo "setup: $link exists and is not a link; leaving it (remove it and run scripts/setup.sh again to get phoenix on PATH)" >&2
  exit 0
fi
if [ -L "$link" ]; then
  current=$(readlink "$link")
  if [ "$current" != "$target" ] && [[ "$current" != */bin/phoenix.js ]]; then
    echo "setup: $link points at $current, not at a phoenix checkout; leaving it (remove it to link phoenix)" >&2
    exit 0
  fi
  [ "$current" = "$target" ] || echo "setup: $link pointed at $current; now at this checkout ($target)"
fi
mkdir -p "$bindir"
ln -sfn "$target" "$link"
case ":$PATH:" in
  *":$bindir:"*) ;;
  *) echo "setup: $bindir is not on your PATH; add it to run phoenix: export PATH=\"$bindir:\$PATH\"" ;;
esac
