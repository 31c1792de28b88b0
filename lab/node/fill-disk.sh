#!/bin/sh
# Fault injection: makes a directory behave like a full disk, where it runs (a lab node or, via pct exec, a CT).
# fill: an overlay over <dir> whose upper layer is a tiny tmpfs filled to the last byte, so existing files stay
# readable but creating or growing anything fails with ENOSPC ("No space left on device"), like a real full disk.
# Usage: fill-disk.sh fill <dir> <size KiB> | fill-disk.sh free <dir>
set -eu
action=$1 dir=$2
spare=/run/phoenix-lab-full$(printf '%s' "$dir" | tr '/' '_')
case $action in
  fill)
    if grep -q " $dir overlay " /proc/self/mounts 2>/dev/null && [ -d "$spare" ]; then exit 0; fi
    mkdir -p "$dir" "$spare"
    mount -t tmpfs -o "size=${3:-64}k" phoenix-lab-full "$spare"
    mkdir "$spare/upper" "$spare/work"
    mount -t overlay phoenix-lab-full -o "lowerdir=$dir,upperdir=$spare/upper,workdir=$spare/work" "$dir"
    dd if=/dev/zero of="$spare/filler" bs=1k 2>/dev/null || true
    ;;
  free)
    if [ -d "$spare" ]; then umount "$dir" 2>/dev/null || umount -l "$dir"; umount -l "$spare"; rmdir "$spare"; fi
    ;;
  *) echo "usage: fill-disk.sh fill <dir> [KiB] | free <dir>" >&2; exit 2 ;;
esac
