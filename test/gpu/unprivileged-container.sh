#!/bin/bash
# Proof on a real NVIDIA GPU host (issue 12 part 4): an UNPRIVILEGED LXC container configured from what phoenix's
# `lxc_conf` plans for this host gets a working GPU, in both passthrough styles:
#   raw   lxc_conf's `lxc.cgroup2.devices.allow: c M:* rwm` + `lxc.mount.entry: /dev/nvidiaN ... bind,optional,...`
#         lines, planned from the host's real /proc/devices, written into the container's LXC config as they are;
#   devN  lxc_conf's `devN: /dev/nvidia0,mode=0666` entries, turned into LXC config as Proxmox does at every start
#         (pve-container's prestart hook and update_lxc_config): a mknod'ed copy of each node under the container's
#         passthrough dir, owned by the container's root mapped through the id map (0 -> 100000) with the entry's
#         mode, bind-mounted, and exactly `c M:m rw` allowed in the device cgroup;
# plus a control: the raw style's mounts without its allow rules, where the GPU must be refused (the device cgroup
# really decides). Each container: busybox root owned by 100000, `lxc.idmap = u/g 0 100000 65536`, Debian 12's LXC
# 5.0.2 unpacked into a private prefix (never into /), the host's nvidia-smi and library directories bound in
# read-only. Inside: id, uid_map, `ls -ln /dev/nvidia*`, nvidia-smi, and vector-add.cu (built on the host with its
# nvcc), as the container's root and as a non-root user (uid 1000).
# Never runs an installer, changes no GPU setting, writes nothing outside its work dir (/tmp/phoenix-unpriv) and
# the cgroups LXC makes for its containers (removed when they stop).
#
#   test/gpu/unprivileged-container.sh pack [REPO]
#       here (Debian 12, apt reaching Debian's mirror, Node 20): builds dist/, downloads the .debs (lxc, liblxc1,
#       liblxc-common and their libraries, busybox-static) with apt-get download, compresses this Node, and gathers
#       everything the run needs into REPO/.gpu-carry-lxc (REPO: the checkout the device tool sends, default this
#       one; the folder is added to REPO's .git/info/exclude). About 35 MB.
#   bash .gpu-carry-lxc/unprivileged-container.sh [run]
#       on the GPU host, as root, from REPO's root. Exit 0 when every expectation holds; with $OUT set the whole
#       output is also in $OUT/unprivileged-container.txt.
#
# With the device tool (test/gpu/README.md shows the result; test/gpu/unprivileged-h200-2026-12-02.txt is one run):
#   run(command: "bash .gpu-carry-lxc/unprivileged-container.sh", kind: "nvidia-h200", carry: [".gpu-carry-lxc"])
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CARRY_NAME=.gpu-carry-lxc
DEBS='lxc liblxc1 liblxc-common libapparmor1 libcap2 libseccomp2 libselinux1 libpcre2-8-0 busybox-static'
NODE_DEPS='ajv fast-deep-equal fast-uri json-schema-traverse require-from-string'

pack() {
  local root dest repo
  root=$(cd "$HERE/../.." && pwd)
  repo=$(cd "${1:-$root}" && pwd)
  dest=$repo/$CARRY_NAME
  (cd "$root" && npx tsc -p .)
  grep -qxF "/$CARRY_NAME/" "$repo/.git/info/exclude" 2>/dev/null || echo "/$CARRY_NAME/" >>"$repo/.git/info/exclude"
  rm -rf "$dest.part"
  mkdir -p "$dest.part/debs" "$dest.part/node_modules"
  # apt-get download drops privileges to _apt: a dir it can write.
  chmod 777 "$dest.part/debs"
  # shellcheck disable=SC2086
  (cd "$dest.part/debs" && apt-get download $DEBS)
  chmod 755 "$dest.part/debs"
  xz -T0 -6 -c "$(command -v node)" >"$dest.part/node.xz"
  node --version >"$dest.part/node.version"
  cp -r "$root/dist" "$dest.part/dist"
  local m
  for m in $NODE_DEPS; do cp -rL "$root/node_modules/$m" "$dest.part/node_modules/$m"; done
  cp "$HERE/vector-add.cu" "$HERE/unprivileged-container.sh" "$dest.part/"
  rm -rf "$dest" && mv "$dest.part" "$dest"
  du -sh "$dest"
  ls -l "$dest" "$dest/debs"
}

# --- on the GPU host ------------------------------------------------------------------------------------------------

W=${PHOENIX_UNPRIV_WORK:-/tmp/phoenix-unpriv}
P=$W/prefix           # Debian's LXC, unpacked
MAPPED=100000         # host uid/gid of the container's root (Proxmox's default id map)
RESULTS=()
pass() { RESULTS+=("HOLDS: $*"); echo "   expectation HOLDS: $*"; }
broken() { RESULTS+=("BROKEN: $*"); echo "   expectation BROKEN: $*"; }
say() { printf '\n== %s\n' "$*"; }
show() { echo "\$ $*"; sh -c "$*" 2>&1 | sed 's/^/  /' || true; }
# LXC's tools from the prefix. PATH is an empty dir: with newuidmap on PATH, LXC uses it even as root, and it
# refuses the map where /etc/subuid has no root:100000:65536 (a Proxmox node has it; this host need not, and this
# script edits no host file); without it, LXC as root writes /proc/<pid>/uid_map itself.
lxc() {
  local c=$1; shift
  PATH=$W/empty-path LD_LIBRARY_PATH=$P/usr/lib/x86_64-linux-gnu:$P/lib/x86_64-linux-gnu "$P/usr/bin/lxc-$c" "$@"
}
host_devices_v1() { grep -q '^[0-9]*:devices:' /proc/self/cgroup; }
# Whether LXC will see a cgroup v1 devices controller (set by cgroup_layout).
LXC_DEVICES_V1=false
devices_v1() { $LXC_DEVICES_V1; }

# Proxmox VE 7+ runs on the unified cgroup2 hierarchy, where LXC enforces lxc.cgroup2.devices.* with an eBPF
# device program. On a host whose devices controller is on cgroup v1 (a hybrid layout), LXC would ignore those
# lines ("Ignoring cgroup2 limits on legacy cgroup system"). So, in this script's private mount namespace only,
# /sys/fs/cgroup becomes a plain cgroup2 mount: LXC then takes the planned lines as they are, as on a PVE node.
# (The v1 devices cgroup of this script stays the host's; the eBPF program is checked in addition to it.)
# Only when that mount fails are the lines written as lxc.cgroup.devices.* (v1), and the output says so.
cgroup_layout() {
  say "cgroup layout for LXC"
  if host_devices_v1; then
    if [ -n "${PHOENIX_UNPRIV_NS:-}" ] && umount -R /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup; then
      echo "host devices controller is cgroup v1; in this private mount namespace /sys/fs/cgroup is now:"
      grep ' /sys/fs/cgroup' /proc/self/mountinfo | sed 's/^/   /'
    else
      LXC_DEVICES_V1=true
      echo "host devices controller is cgroup v1 and cgroup2 could not be mounted alone: planned lxc.cgroup2.devices.*"
      echo "lines are written as lxc.cgroup.devices.* (same rule text), as the lab's pct does"
    fi
  else
    echo "unified cgroup2 (as on Proxmox VE 7+): planned lines are used as they are"
  fi
}

environment() {
  say "host ($(uname -r); $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"))"
  show 'uname -a'
  show 'cat /proc/self/cgroup'
  show "mount | grep -E 'cgroup|/sys/fs' || true"
  show "grep -E ' nvidia' /proc/devices"
  show 'ls -ln /dev/nvidia* /dev/nvidia-caps/'
  show 'nvidia-smi -L'
  show 'command -v nvidia-smi; readlink -f "$(command -v nvidia-smi)"'
  show 'ldd "$(command -v nvidia-smi)"'
  show "ldconfig -p | grep -E 'libcuda\\.|libnvidia-ml\\.|libnvidia-ptxjitcompiler\\.'"
  show 'ls -ld /lib /lib64 /usr/lib64 /usr/local/nvidia 2>&1'
  show 'unshare -U -r id'
  show 'cat /proc/sys/kernel/unprivileged_userns_clone /proc/sys/user/max_user_namespaces 2>&1'
  show 'PATH=$PATH:/usr/local/cuda/bin nvcc --version | tail -2'
}

find_node() {
  if command -v node >/dev/null && node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'; then
    command -v node; return
  fi
  mkdir -p "$W/node"
  xz -dc "$BUNDLE/node.xz" >"$W/node/node"
  chmod +x "$W/node/node"
  echo "$W/node/node"
}

unpack_lxc() {
  local d
  mkdir -p "$P"
  for d in "$BUNDLE"/debs/*.deb; do dpkg -x "$d" "$P"; done
  # The configs include each other and the seccomp profile by absolute path: point them into the prefix.
  sed -i "s#/usr/share/lxc/#$P/usr/share/lxc/#g" "$P"/usr/share/lxc/config/*.conf
  echo "LXC $(lxc start --version) unpacked into $P"
}

# The host directories a program's libraries come from (as the loader sees them, and their real paths).
lib_dirs() {
  { ldd "$(command -v nvidia-smi)" || true; ldd "$W/vector-add" || true
    ldconfig -p | grep -E 'libcuda\.so\.1|libnvidia-ml\.so\.1|libnvidia-ptxjitcompiler\.so\.1' | sed 's/.*=> //'
    # A driver found through LD_LIBRARY_PATH (not in ld.so.cache), e.g. /usr/local/nvidia/lib64.
    local d; for d in ${LD_LIBRARY_PATH:+${LD_LIBRARY_PATH//:/ }} /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
      ls "$d"/libcuda.so.1 "$d"/libnvidia-ml.so.1 2>/dev/null || true
    done
  } | grep -o '/[^ ]*' | while read -r f; do
    [ -e "$f" ] || continue
    readlink -f "$(dirname "$f")"; dirname "$(readlink -f "$f")"
  done | sort -u
}

make_rootfs() {
  local r=$W/rootfs-base a t
  mkdir -p "$r"/{bin,dev,proc,sys,tmp,etc,root,run,opt,usr/bin,home/user}
  cp "$P/bin/busybox" "$r/bin/busybox"
  for a in $("$r/bin/busybox" --list); do [ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
  printf 'root:x:0:\nvideo:x:44:\nuser:x:1000:\nnogroup:x:65534:\n' >"$r/etc/group"
  cp /etc/ld.so.cache "$r/etc/ld.so.cache" 2>/dev/null || true
  cp "$W/vector-add" "$r/opt/vector-add"
  # /lib, /lib64 ... as on the host: the same symlinks (merged /usr), else mount points for read-only binds.
  for t in /lib /lib64 /lib32 /libx32 /usr/lib64; do
    if [ -L "$t" ]; then mkdir -p "$r$(dirname "$t")"; ln -sfn "$(readlink "$t")" "$r$t"; fi
  done
  chmod 1777 "$r/tmp"
}

# LXC config common to all containers: Proxmox's shape for an unprivileged CT (common.conf's device allowlist,
# lxc.idmap 0 -> 100000), busybox as init, no network, the host's driver user space read-only.
base_config() {
  local name=$1 d=$W/lxc/$1 dir
  cat <<EOF
# $name: generated by test/gpu/unprivileged-container.sh
lxc.uts.name = $name
lxc.rootfs.path = dir:$d/rootfs
lxc.rootfs.mount = $P/usr/lib/x86_64-linux-gnu/lxc/rootfs
lxc.include = $P/usr/share/lxc/config/common.conf
lxc.mount.auto =
lxc.mount.auto = proc:mixed sys:mixed
lxc.idmap = u 0 $MAPPED 65536
lxc.idmap = g 0 $MAPPED 65536
lxc.apparmor.profile = unconfined
lxc.net.0.type = empty
lxc.autodev = 1
lxc.console.path = none
lxc.tty.max = 0
lxc.init.cmd = /bin/sleep 3600
lxc.log.file = $d/lxc.log
lxc.log.level = INFO
# The host's nvidia-smi and library directories (glibc, libcuda, libnvidia-ml), read-only.
lxc.mount.entry = $(readlink -f "$(command -v nvidia-smi)") usr/bin/nvidia-smi none bind,ro,create=file 0 0
EOF
  while read -r dir; do
    [ -n "$dir" ] && echo "lxc.mount.entry = $dir ${dir#/} none bind,ro,create=dir 0 0"
  done <<<"$LIB_DIRS"
}

# Proxmox's raw-key syntax (`key: value` or `key = value`) as LXC's `key = value`; on a cgroup v1 devices
# controller lxc.cgroup2.devices.* would be ignored by LXC, so it is written as lxc.cgroup.devices.* (as the lab's pct).
raw_to_lxc() {
  sed -nE 's/^(lxc\.[a-z0-9_.-]+)(:|[[:space:]]*=)[[:space:]]*(.*[^[:space:]])?[[:space:]]*$/\1 = \3/p' |
    if devices_v1; then sed -E 's/^lxc\.cgroup2\.devices\./lxc.cgroup.devices./'; else cat; fi
}

dev_key() { if devices_v1; then printf 'lxc.cgroup.devices'; else printf 'lxc.cgroup2.devices'; fi; }

# One devN entry as pve-container turns it into LXC config at start (src/lxc-pve-prestart-hook,
# create_passthrough_device_node; update_lxc_config): stat the host node, mknod a copy under
# <lxcpath>/<name>/passthrough with uid/gid mapped through the id map and the entry's mode (default 0660),
# bind it at the same path, allow exactly that device (deny write with deny-write=1).
devn_to_lxc() {
  local name=$1 line value path mode=0660 uid=0 gid=0 denyw=0 kv type major minor copy
  while IFS= read -r line; do
    [[ $line =~ ^dev[0-9]+:\ *(.*)$ ]] || continue
    value=${BASH_REMATCH[1]}; mode=0660; uid=0; gid=0; denyw=0
    path=${value%%,*}; path=${path#path=}
    for kv in ${value//,/ }; do
      case $kv in mode=*) mode=${kv#mode=} ;; uid=*) uid=${kv#uid=} ;; gid=*) gid=${kv#gid=} ;;
        deny-write=*) denyw=${kv#deny-write=} ;; esac
    done
    [ -e "$path" ] || { echo "Could not get mode or device ID of $path" >&2; return 1; }
    type=c; [ -b "$path" ] && type=b
    major=$((16#$(stat -c %t "$path"))); minor=$((16#$(stat -c %T "$path")))
    copy=$W/lxc/$name/passthrough$path
    mkdir -p "$(dirname "$copy")"; rm -f "$copy"
    mknod -m "$mode" "$copy" "$type" "$major" "$minor"
    chown "$((MAPPED + uid)):$((MAPPED + gid))" "$copy"
    echo "lxc.mount.entry = $copy ${path#/} none bind,create=file 0 0"
    echo "$(dev_key).allow = $type $major:$minor rw"
    [ "$denyw" = 1 ] && echo "$(dev_key).deny = $type $major:$minor w"
  done
  return 0
}

# Inside the container: who we are, the nodes as the CT sees them, nvidia-smi, the CUDA check, then both again
# as a non-root user.
INSIDE='
echo "\$ id"; id
echo "\$ cat /proc/self/uid_map /proc/self/gid_map"; cat /proc/self/uid_map /proc/self/gid_map
echo "\$ ls -ln /dev/nvidia*"; ls -ln /dev/nvidia* 2>&1
echo "\$ nvidia-smi"; nvidia-smi; echo "[nvidia-smi exit $?]"
echo "\$ nvidia-smi --query-gpu=index,name,driver_version,compute_cap --format=csv,noheader"
nvidia-smi --query-gpu=index,name,driver_version,compute_cap --format=csv,noheader; echo "[nvidia-smi exit $?]"
echo "\$ /opt/vector-add"; /opt/vector-add; echo "[vector-add exit $?]"
'
# The same as a non-root user of the container (lxc-attach -u 1000 -g 1000: host uid 101000).
INSIDE_USER='
echo "\$ id"; id
echo "\$ nvidia-smi -L"; nvidia-smi -L; echo "[nvidia-smi exit $?]"
echo "\$ /opt/vector-add"; /opt/vector-add; echo "[vector-add exit $?]"
'

# Builds, starts and checks one container. $2: raw | devn | control. Prints everything; records expectations.
container() {
  local name=$1 style=$2 d=$W/lxc/$1 pid out user
  say "container $name (style $style)"
  mkdir -p "$d"
  cp -a "$W/rootfs-base" "$d/rootfs"
  chown -R "$MAPPED:$MAPPED" "$d/rootfs"
  {
    base_config "$name"
    case $style in
      raw)
        echo "# lxc_conf's planned raw lines (test/gpu/plan-passthrough.ts), as written to <vmid>.conf"
        raw_to_lxc <"$W/plan/raw.lines" ;;
      devn)
        echo "# lxc_conf's planned devN entries, as Proxmox turns them into LXC config at start:"
        sed 's/^/#   /' "$W/plan/devn.lines"
        devn_to_lxc "$name" <"$W/plan/devn.lines" ;;
      control)
        echo "# CONTROL: the raw style's mount entries WITHOUT its device allow rules"
        grep -v 'devices\.allow' "$W/plan/raw.lines" | raw_to_lxc ;;
      pve-userns)
        # What Proxmox adds for unprivileged: 1 (pve-container update_lxc_config): LXC's userns.conf, whose device
        # lines reset the list, and pve-container's userns.conf.d/01-pve.conf, which makes it a deny-list. Inlined:
        # the files live under /usr/share/lxc on a PVE node, not in this private prefix.
        echo "# userns.conf + userns.conf.d/01-pve.conf as a PVE node includes them for an unprivileged CT"
        echo "$(dev_key).deny ="
        echo "$(dev_key).allow ="
        echo "$(dev_key).allow = a"
        echo "# the raw style's mount entries WITHOUT its allow rules: on PVE the bind mount and the node's mode decide"
        grep -v 'devices\.allow' "$W/plan/raw.lines" | raw_to_lxc ;;
    esac
  } >"$d/config"
  echo "-- $d/config"; sed 's/^/   | /' "$d/config"
  if [ "$style" = devn ]; then echo "-- passthrough copies (host view)"; ls -lnR "$d/passthrough" | sed 's/^/   /'; fi
  if ! lxc start -P "$W/lxc" -n "$name" -d -l INFO && grep -qE 'Failed to mount "(proc|sysfs)"' "$d/lxc.log"; then
    # This host's /proc or /sys has over-mounts, so the kernel refuses a new instance to a user namespace
    # (mount_too_revealing): bind the host's instead, once, and say so.
    echo "-- lxc-start failed mounting proc/sys:"; grep -E 'ERROR' "$d/lxc.log" | sed 's/^/   /' | head -5
    echo "-- retrying with the host's /proc and /sys bound (rbind) instead of new instances"
    sed -i 's#^lxc.mount.auto = proc:mixed sys:mixed$#lxc.mount.entry = /proc proc none rbind,create=dir 0 0\nlxc.mount.entry = /sys sys none rbind,create=dir 0 0#' "$d/config"
    : >"$d/lxc.log"
    lxc start -P "$W/lxc" -n "$name" -d -l INFO || true
  fi
  if [ "$(lxc info -P "$W/lxc" -n "$name" -sH 2>/dev/null)" != RUNNING ]; then
    broken "$name: lxc-start failed"
    echo "-- $d/lxc.log"; sed 's/^/   /' "$d/lxc.log" | tail -60
    return 0
  fi
  lxc wait -P "$W/lxc" -n "$name" -s RUNNING -t 20 || true
  pid=$(lxc info -P "$W/lxc" -n "$name" -pH || true)
  local hostuid; hostuid=$(stat -c '%u' "/proc/$pid" 2>/dev/null || echo unknown)
  echo "-- running: init pid $pid on the host; host uid/gid of the CT's init: $(stat -c '%u:%g' "/proc/$pid" 2>&1)"
  echo "   host view of /proc/$pid/uid_map: $(tr -s ' ' <"/proc/$pid/uid_map")"
  echo "   host view of /proc/$pid/gid_map: $(tr -s ' ' <"/proc/$pid/gid_map")"
  if devices_v1; then
    local cg; cg=$(awk -F: '$2=="devices"{print $3}' "/proc/$pid/cgroup")
    echo "   devices cgroup $cg, devices.list:"; sed 's/^/     /' "/sys/fs/cgroup/devices$cg/devices.list" 2>&1 || true
  else
    echo "   /proc/$pid/cgroup:"; sed 's/^/     /' "/proc/$pid/cgroup"
  fi
  echo "-- inside"
  out=$(lxc attach -P "$W/lxc" -n "$name" --clear-env --set-var PATH=/usr/bin:/bin --set-var "LD_LIBRARY_PATH=$CT_LD_PATH" -- /bin/sh -c "$INSIDE" 2>&1) || true
  printf '%s\n' "$out" | sed 's/^/   /'
  echo "-- inside, as uid 1000 (lxc-attach -u 1000 -g 1000)"
  user=$(lxc attach -P "$W/lxc" -n "$name" -u 1000 -g 1000 --clear-env --set-var PATH=/usr/bin:/bin --set-var "LD_LIBRARY_PATH=$CT_LD_PATH" -- /bin/sh -c "$INSIDE_USER" 2>&1) || true
  printf '%s\n' "$user" | sed 's/^/   /'
  out+=$'\n'$user
  echo "-- lxc.log (warnings and errors)"; grep -E 'WARN|ERROR' "$d/lxc.log" | sed 's/^/   /' | tail -20 || true
  lxc stop -P "$W/lxc" -n "$name" -k || true
  local root_ok=false user_ok=false
  grep -q '^uid=0(root) gid=0(root)' <<<"$out" && grep -qE "^ +0 +$MAPPED +65536" <<<"$out" &&
    [ "$hostuid" = "$MAPPED" ] && root_ok=true
  local smi_ok vec_ok smi_user vec_user
  smi_ok=$(grep -c '^\[nvidia-smi exit 0\]' <<<"$out" || true)
  vec_ok=$(grep -c '^vector-add: PASS' <<<"$out" || true)
  grep -q '^uid=1000(user) gid=1000(user)' <<<"$out" && user_ok=true
  case $style in
    raw|devn|pve-userns)
      if $root_ok && $user_ok && [ "$smi_ok" = 3 ] && [ "$vec_ok" = 2 ]; then
        pass "$name ($style): unprivileged (CT root = host $MAPPED), nvidia-smi ok (3/3) and vector-add PASS as CT root and as uid 1000"
      else
        broken "$name ($style): root_ok=$root_ok user_ok=$user_ok nvidia-smi ok $smi_ok/3, vector-add PASS $vec_ok/2"
      fi ;;
    control)
      if $root_ok && [ "$smi_ok" = 0 ] && [ "$vec_ok" = 0 ]; then
        pass "$name (control): without the planned allow rules the device cgroup refuses the GPU (nvidia-smi and vector-add fail)"
      else
        broken "$name (control): root_ok=$root_ok, nvidia-smi ok $smi_ok/3, vector-add PASS $vec_ok/2 (expected 0 and 0)"
      fi ;;
  esac
}

run_proof() {
  [ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }
  BUNDLE=$HERE
  [ -d "$BUNDLE/debs" ] || BUNDLE=$(cd "$HERE/../.." && pwd)/$CARRY_NAME
  [ -d "$BUNDLE/debs" ] || { echo "no $CARRY_NAME with debs/: run '$0 pack' here and carry $CARRY_NAME" >&2; exit 2; }
  echo "== phoenix unprivileged GPU container proof on $(hostname) at $(date -u +%FT%TZ)"
  rm -rf "$W"; mkdir -p "$W/lxc" "$W/plan" "$W/empty-path"; chmod 755 "$W" "$W/lxc"
  environment
  say "lxc_conf's plan for this host (node $BUNDLE/dist/test/gpu/plan-passthrough.js)"
  local node gpus n
  node=$(find_node)
  n=$(nvidia-smi -L | grep -c '^GPU ' || true)
  gpus=$(seq -s, 0 $((n > 0 ? n - 1 : 0)))
  if ! "$node" "$BUNDLE/dist/test/gpu/plan-passthrough.js" "$W/plan" "$gpus"; then broken "lxc_conf planned both styles"; fi
  say "raw.lines"; cat "$W/plan/raw.lines"
  say "devn.lines"; cat "$W/plan/devn.lines"
  say "vector-add, built here with the host's nvcc, run on the host"
  PATH=$PATH:/usr/local/cuda/bin nvcc -O2 -arch=native -o "$W/vector-add" "$BUNDLE/vector-add.cu"
  "$W/vector-add" | sed 's/^/   /'
  unpack_lxc
  LIB_DIRS=$(lib_dirs)
  CT_LD_PATH=$(paste -sd: <<<"$LIB_DIRS")
  echo "host library directories bound read-only:"; sed 's/^/   /' <<<"$LIB_DIRS"
  make_rootfs
  cgroup_layout
  container ct-raw raw
  container ct-devn devn
  container ct-control control
  container ct-pve-userns pve-userns
  say "summary"
  printf '   %s\n' "${RESULTS[@]}"
  local held; held=$(printf '%s\n' "${RESULTS[@]}" | grep -c '^HOLDS' || true)
  echo "== unprivileged-container: $held/${#RESULTS[@]} expectations hold"
  [ "$held" = "${#RESULTS[@]}" ] && [ "$held" -gt 0 ]
}

case "${1:-run}" in
  pack) pack "${2:-}" ;;
  run)
    # A private mount namespace for the whole run (see cgroup_layout); nothing mounted here is seen outside.
    if [ -z "${PHOENIX_UNPRIV_NS:-}" ]; then
      PHOENIX_UNPRIV_NS=1 exec unshare -m --propagation private bash "$0" run
    fi
    if [ -n "${OUT:-}" ]; then
      set +e
      run_proof 2>&1 | tee "$OUT/unprivileged-container.txt"
      exit "${PIPESTATUS[0]}"
    fi
    run_proof ;;
  *) echo "usage: $0 [pack [REPO]|run]" >&2; exit 2 ;;
esac
