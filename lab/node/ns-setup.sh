#!/bin/sh
# Runs ONCE inside a lab node's fresh, persistent mount namespace (made by `unshare --mount=<state>/ns/mnt
# --propagation private`) and turns it into the node's world. Nothing here is visible outside the namespace.
#   /        overlay: the node's root (read-only lower: this machine's Debian 12 root for a VE 8 node, the cached
#            Debian 13 root of build-node-root.sh for a VE 9 node) + <state>/upper, so whatever the node does (apt,
#            the stand-in driver installer, /etc/pve, users) stays in the node and `lab down` removes it with the state.
#   /dev     overlay: the real /dev + <state>/dev-upper holding the fake NVIDIA nodes made with mknod.
#   /proc/devices        bind of the fixture from a real H100 host (nvidia-uvm 238, nvidia-caps 241).
#   /proc/driver         bind of <state>/shared/proc-driver: empty until the stand-in installer writes
#                        nvidia/version ("loads the kernel module"), as on a fresh node.
#   /proc/sys/kernel/random/boot_id      bind of <state>/shared/boot_id (changed by a simulated reboot).
#   <state>/shared, <state>/lxc and the rootfs cache are bound at the same path, so the lab sees them from outside.
# Usage: ns-setup.sh <state dir> <cache dir> <node name> [<lower root>, default /] [<cluster dir>]   (also in a fresh
# UTS namespace: the node's hostname)
set -eu
S=$1 C=$2 R=$1/root L=${4:-/} K=${5:-}
hostname "$3"
mount -t overlay overlay -o "lowerdir=$L,upperdir=$S/upper,workdir=$S/work" "$R"
mount --rbind /proc "$R/proc"
mount --rbind /sys "$R/sys"
mount -t overlay overlay -o "lowerdir=/dev,upperdir=$S/dev-upper,workdir=$S/dev-work" "$R/dev"
for sub in pts shm mqueue hugepages; do
  if mountpoint -q "/dev/$sub"; then mount --rbind "/dev/$sub" "$R/dev/$sub"; fi
done
for d in "$S/shared" "$S/lxc"; do mkdir -p "$R$d"; mount --bind "$d" "$R$d"; done
mkdir -p "$R$C"; mount --bind "$C" "$R$C"; mount -o remount,bind,ro "$R$C"
# The node's cluster ($K, node.ts clusterDir): its nodes/ is /etc/pve/nodes of every member (pmxcfs's shared view;
# /etc/pve/lxc and /etc/pve/local stay this node's links), its storage/ the shared storage, at the same path.
if [ -n "$K" ]; then
  mkdir -p "$R/etc/pve/nodes" "$R$K/storage"
  mount --bind "$K/nodes" "$R/etc/pve/nodes"
  mount --bind "$K/storage" "$R$K/storage"
fi
mount --bind "$S/shared/proc-devices" "$R/proc/devices"
mount --bind "$S/shared/proc-driver" "$R/proc/driver"
# The node's own boot_id: a simulated reboot (node/reboot) changes it, as reboot-detection expects.
mount --bind "$S/shared/boot_id" "$R/proc/sys/kernel/random/boot_id"
cd "$R"
mkdir -p .lab-oldroot
pivot_root . .lab-oldroot
umount -l /.lab-oldroot
rmdir /.lab-oldroot
