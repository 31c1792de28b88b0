#!/bin/sh
# Builds the root filesystem of a Proxmox VE 9 lab node (Debian 13 trixie, minbase), once.
# Usage: build-node-root.sh <cache dir>. Writes <cache dir>/node-trixie/ (the read-only lower layer of every VE 9
# node's overlay root, where a VE 8 node uses this machine's own Debian 12 root) and <cache dir>/node-trixie.stamp
# last: a half-built tree is never left under the final name, and no stamp means "rebuild".
# What a node runs from it: sshd (OpenSSH 10: sshd + sshd-session), lxc + uidmap behind the lab's pct, apt 3 with
# sqv (Debian 13's signature checker), gnupg, curl, zstd (OS templates), sudo (become), kmod/procps/file (the
# stand-in installer and the modules), iproute2, hostname, passwd (useradd for the login account).
set -eu
cache=${1:-/var/cache/phoenix-lab}
suite=trixie
out=$cache/node-$suite
pkgs=openssh-server,lxc,uidmap,systemd,systemd-sysv,apt,gnupg,curl,ca-certificates,zstd,sudo,kmod,procps,file,xz-utils,bzip2,iproute2,hostname,passwd
mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}
# debian-archive-keyring of Debian 12 carries the Debian 13 archive keys debootstrap checks trixie's Release with.
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -s "$keyring" ] || { echo "build-node-root.sh: $keyring missing (apt-get install debian-archive-keyring)" >&2; exit 1; }
mkdir -p "$cache"
work=$(mktemp -d "$cache/build-node.XXXXXX")
trap 'rm -rf "$work"' EXIT
debootstrap --variant=minbase --keyring="$keyring" --include="$pkgs" "$suite" "$work/root" "$mirror" \
  >"$work/debootstrap.log" 2>&1 || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
r=$work/root
# Debian 13's default apt sources: one deb822 file, no /etc/apt/sources.list (what a fresh PVE 9 node has too).
rm -f "$r/etc/apt/sources.list"
printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main contrib non-free-firmware\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
  "$mirror" "$suite" "$suite" >"$r/etc/apt/sources.list.d/debian.sources"
# Each node generates its own host key and hostname; no downloaded .debs or package lists in the image.
rm -f "$r/etc/ssh/ssh_host_"* "$r/var/cache/apt/archives/"*.deb "$r/var/lib/apt/lists/"*_Packages
echo localhost >"$r/etc/hostname"
rm -rf "$out" "$out.stamp"
mv "$r" "$out"
printf '%s minbase %s %s\n' "$suite" "$pkgs" "$mirror" >"$out.stamp"
