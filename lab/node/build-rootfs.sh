#!/bin/sh
# Builds the cached container root filesystem (Debian bookworm, minbase) as a tarball, once.
# Usage: build-rootfs.sh <cache dir>. Writes the directory <cache dir>/rootfs-bookworm/ (an extracted tree, so containers
# use it directly as the read-only lowest overlay layer: no per-container copy) and <cache dir>/rootfs-bookworm.stamp
# last, atomically: a half-built cache is never left under the final name, and no stamp means "rebuild".
set -eu
cache=${1:-/var/cache/phoenix-lab}
out=$cache/rootfs-bookworm
# Everything a lab container needs for the stand-in installer (makeself: sh, tar, gzip), apt with signed repos
# (gpgv comes with apt; gnupg for keys), downloads (curl, ca-certificates), kmod (lsmod/modprobe, asked by the
# installer), tini as PID 1 (reaps zombies, exits on SIGPWR/SIGTERM so `pct shutdown` is clean), procps for ps.
pkgs=kmod,tini,curl,ca-certificates,gnupg,procps,xz-utils,bzip2,file
mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}
mkdir -p "$cache"
work=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
debootstrap --variant=minbase --include="$pkgs" bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
# A container's /etc/hostname and apt lists are per container; keep the image small and neutral.
rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*_Packages
echo localhost >"$work/rootfs/etc/hostname"
rm -rf "$out" "$out.stamp"
mv "$work/rootfs" "$out"
printf 'bookworm minbase %s %s\n' "$pkgs" "$mirror" >"$out.stamp"
