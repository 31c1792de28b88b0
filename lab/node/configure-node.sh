#!/bin/sh
# Runs inside a lab node (its namespace, as root) at every `lab up`; idempotent. Everything it writes lands in the
# node's overlay (<state>/upper), never on this machine's real /etc or /usr.
# Usage: configure-node.sh <state dir> <node name> <login account>
set -eu
S=$1 NAME=$2 ACCOUNT=$3
# Only ever inside the node: its / must be the overlay with <state>/upper. A namespace whose set-up failed half-way
# shares this machine's root, and everything below would land on the machine itself (it once did: reboot links,
# pct and the login account in the real /usr/sbin and /etc).
awk -v u="upperdir=$S/upper," '$5 == "/" && index($0 ",", u) { found = 1 } END { exit !found }' /proc/self/mountinfo || {
  echo "configure-node.sh: / is not node $NAME's overlay (upperdir=$S/upper): refusing to write to this machine's root" >&2
  exit 3
}
mkdir -p /etc/phoenix-lab /run/sshd /run/lock/lxc "/etc/pve/nodes/$NAME/lxc"
# As on Proxmox: /etc/pve/lxc and /etc/pve/local point at this node's directory.
ln -sfn "nodes/$NAME/lxc" /etc/pve/lxc
ln -sfn "nodes/$NAME" /etc/pve/local
install -m 0644 "$S/shared/node.env" /etc/phoenix-lab/node.env
install -m 0755 "$S/shared/pct" /usr/sbin/pct
# reboot & co. simulate a node reboot inside the namespace instead of reaching this machine's init.
install -m 0755 "$S/shared/reboot" /usr/sbin/phoenix-lab-reboot
for cmd in reboot shutdown poweroff halt; do ln -sfn phoenix-lab-reboot "/usr/sbin/$cmd"; done
# A uid-0 alias with /bin/sh: a Proxmox node is administered as root, but root's ~/.bashrc on this machine runs
# `pyenv init` (+0.66 s per command). '*' = no password but not locked (sshd refuses '!' accounts without PAM).
if ! getent passwd "$ACCOUNT" >/dev/null; then
  useradd -o -u 0 -g 0 -M -d /root -s /bin/sh -c "phoenix lab root alias" "$ACCOUNT"
fi
usermod -p '*' "$ACCOUNT"
# OS templates: the lab's pct create ignores the template and lays the cached rootfs; each template file holds that
# rootfs's package database and os-release, which is what phoenix reads from a template in check mode.
. /etc/phoenix-lab/node.env
for t in ${OS_TEMPLATES:-}; do
  [ -s "$t" ] && continue
  mkdir -p "$(dirname "$t")"
  tar -C "$ROOTFS_CACHE" --zstd -cf "$t.tmp" ./var/lib/dpkg/status ./etc/os-release ||
    { echo "configure-node.sh: cannot make the OS template $t (is zstd installed? scripts/debian-packages.txt)" >&2; exit 4; }
  mv -f "$t.tmp" "$t"
done
# Unprivileged containers, as on Proxmox: root owns the id range 100000-165535 (LXC insists on it while
# newuidmap exists), and a proc mount with nothing mounted over it. The kernel lets a user namespace mount a
# new proc only when the mount namespace already shows one proc fully (mount_too_revealing): the node's own
# /proc has the fixture /proc/devices, /proc/driver and boot_id mounted over it, so this one is kept beside it.
for f in /etc/subuid /etc/subgid; do
  grep -qx "root:100000:65536" "$f" 2>/dev/null || echo "root:100000:65536" >>"$f"
done
mkdir -p /run/phoenix-lab/proc
mountpoint -q /run/phoenix-lab/proc || mount -t proc -o nosuid,nodev,noexec proc /run/phoenix-lab/proc
# The Proxmox packages whose versions tools read with dpkg-query (lxc_conf's devN support: pve-container >= 5.0.7).
# Version only, no files: empty file and md5sums lists keep dpkg from warning about them (dpkg --audit).
for pkg in "pve-container ${PVE_CONTAINER_VERSION:-5.2.6} Proxmox VE container management tool" \
           "pve-manager ${PVE_MANAGER_VERSION:-8.4.1} Proxmox Virtual Environment management tools"; do
  set -- $pkg; name=$1 version=$2; shift 2
  for f in list md5sums; do [ -e "/var/lib/dpkg/info/$name.$f" ] || : >"/var/lib/dpkg/info/$name.$f"; done
  if [ "$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null)" != "$version" ]; then
    awk -v p="$name" 'BEGIN { RS = ""; ORS = "\n\n" } $0 !~ ("^Package: " p "\n")' /var/lib/dpkg/status >/var/lib/dpkg/status.phoenix-lab
    printf 'Package: %s\nStatus: install ok installed\nPriority: optional\nSection: admin\nInstalled-Size: 1\nMaintainer: Proxmox Support Team <support@proxmox.com>\nArchitecture: all\nVersion: %s\nDescription: %s (phoenix lab: the version only)\n\n' \
      "$name" "$version" "$*" >>/var/lib/dpkg/status.phoenix-lab
    mv /var/lib/dpkg/status.phoenix-lab /var/lib/dpkg/status
  fi
done
# LXC's default lxcpath is this node's container dir, as /var/lib/lxc is on Proxmox: `lxc-info -n <vmid>` (phoenix's
# running check, modules/pct/probe.ts) then finds the node's containers without -P, like on a real node.
mkdir -p /etc/lxc
printf 'lxc.lxcpath = %s\n' "$LXC_PATH" >/etc/lxc/lxc.conf.phoenix-lab && mv -f /etc/lxc/lxc.conf.phoenix-lab /etc/lxc/lxc.conf
grep -q " $NAME\$" /etc/hosts || printf '127.0.1.1 %s\n' "$NAME" >>/etc/hosts
[ -f "$S/shared/ssh_host_ed25519_key" ] ||
  ssh-keygen -q -t ed25519 -N '' -C "phoenix-lab-$NAME" -f "$S/shared/ssh_host_ed25519_key"
