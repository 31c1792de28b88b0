#!/usr/bin/env bash
# The fresh-root check: runs the README's two commands, as root, from a clean clone, on a root filesystem that has
# only what a new machine of our kind has (Debian 12 minbase from debootstrap with git, python3 and ca-certificates;
# this machine's Node 20 and npm, CA certificates and npm cafile copied in). It finds the install steps that a
# developer machine (or CI) hides because something was installed there by hand or by earlier work.
#
#   bash scripts/fresh-check.sh [--ref REF] [--keep] [--lab-cache [DIR]] [--rebuild-base] [--cache DIR] [--run CMD]
#
#   --ref REF        check this commit/branch/tag of the repository the script lives in (default: its committed
#                    HEAD; uncommitted changes are NOT part of the check, the script says so)
#   --keep           leave the run's root directory for inspection (processes and mounts are always removed)
#   --lab-cache DIR  copy a warm lab cache (DIR, default /var/cache/phoenix-lab: the debootstrap rootfs and the
#                    artifact tree) into the root, skipping the lab's cold build (faster, less honest: the default is
#                    the cold path, everything built inside the root)
#   --rebuild-base   rebuild the cached pristine root (debootstrap) even when its stamp is there
#   --cache DIR      where the pristine root, the runs and the logs live (default /var/cache/phoenix-fresh)
#   --run CMD        run CMD (bash, in /work/phoenix) instead of the README's commands: for finding out why one
#                    failed, e.g. --run 'bash scripts/setup.sh && npx uvu dist/test lab/connections' (always FAILs the
#                    check: it is not the check)
#
# What it does, with the time of each phase in the summary:
#   1. host tools: debootstrap, slirp4netns, util-linux (unshare), git (installed on this machine when missing)
#   2. pristine root <cache>/base-bookworm: `debootstrap --variant=minbase --include=git,python3,ca-certificates`,
#      built once (stamp written last); never entered. Every package in it is on the fresh image's package list (the
#      default variant would add kmod and other "important" packages that a new machine does not have).
#   3. a copy of it for this run (<cache>/runs/<id>/root), this machine's /usr/bin/node and /usr/lib/node_modules/npm
#      copied in, the repository cloned (at REF) to /work/phoenix with a copy of ../shared at /work/shared
#   4. inside the root (pivot_root into it, in namespaces of its own, see below), in /work/phoenix:
#        bash scripts/setup.sh && npm run demo
#        phoenix --version, and `phoenix run --syntax-check` from another directory (the command setup.sh links)
#        bash scripts/setup.sh && npm test
#   5. summary: each command's exit code and time, the test counts computed like .ci/run; exit 1 if any failed.
#
# Isolation from this machine (other developers may run their own lab here at the same time): the root runs in
# new mount, PID, UTS, IPC, network and cgroup namespaces.
#   - network namespace: the nested lab's sshd ports (2221+, 2300+), the artifact server's fixed port 2280 and
#     LXC's abstract unix sockets (per network namespace) are the root's own; slirp4netns gives it outbound access
#     (the package mirrors, the npm registry) without touching this machine's interfaces or firewall.
#   - cgroup namespace: the root's processes live in a cgroup of their own below this shell's (in every hierarchy),
#     so the nested LXC's lxc.payload.9xx / lxc.monitor.* / lxc.pivot are created below it, not beside the host
#     lab's. The freezer hierarchy is used to stop everything in it at clean-up.
#   - the root's own /var/lib/phoenix-lab, /var/cache/phoenix-lab, /run, /tmp (tmpfs), /proc (its PID namespace).
#   Not isolated: /dev (bind of this machine's, as the lab's nodes do; the lab only adds device nodes in its own
#   overlays) and the kernel itself. A host lab that runs `pkill -f` would see the root's processes too (the host
#   sees every PID); the lab itself never does that.
# Clean-up (also on failure and Ctrl-C): every process in the run's cgroup is frozen and killed (so the nested lab,
# sshd, the containers and the artifact server go), slirp4netns is stopped, the cgroups are removed; mounts were
# only ever made inside the run's mount namespace and go with it; the run's root is deleted unless --keep.
set -euo pipefail

die() { echo "fresh-check: $*" >&2; exit 2; }
log() { echo "fresh-check: $*"; }

# ---------------------------------------------------------------------------------------------------------------
# Inside: PID 1 of the new namespaces, still on this machine's filesystem; mounts the root's filesystems and runs
# the README's commands in it. Arguments: <root> <log dir>. Writes <log dir>/results ("name rc seconds" lines).
if [ "${1:-}" = "__inner" ]; then
  root=$2 logs=$3 custom=${4:-}
  hostname fresh
  ip link set lo up
  for _ in $(seq 1 100); do
    ip -4 addr show dev tap0 2>/dev/null | grep -q 'inet ' && break
    sleep 0.1
  done
  ip -4 addr show dev tap0 2>/dev/null | grep -q 'inet ' ||
    { echo "fresh-check: slirp4netns did not configure tap0 in the root's network namespace" >&2; exit 3; }
  # The root becomes this mount namespace's root (pivot_root, not chroot): the lab's nodes do
  # `unshare --propagation private` (EINVAL unless / is a mount point) and pivot_root themselves, and `nsenter
  # --mount` into a node starts from the namespace's root mount: under a chroot that is this machine's real /, so
  # the node's set-up (configure-node.sh: /etc, /usr/sbin, useradd) would land on this machine.
  mount --bind "$root" "$root"
  mount -t proc proc "$root/proc"
  mount -t sysfs sysfs "$root/sys"
  # The cgroup hierarchies exactly as this machine has them (here: cgroup v1 controllers + the cgroup2 'unified'
  # tree); in the cgroup namespace each shows the run's own cgroup as its root.
  while read -r target fstype fsopts; do
    if [ "$target" = /sys/fs/cgroup ] && [ "$fstype" = tmpfs ]; then
      mount -t tmpfs -o mode=755 tmpfs "$root/sys/fs/cgroup"
    elif [ "$fstype" = cgroup ] || [ "$fstype" = cgroup2 ]; then
      mkdir -p "$root$target"
      mount -t "$fstype" -o "$fsopts" cgroup "$root$target"
    fi
  done < <(findmnt -rn -o TARGET,FSTYPE,FS-OPTIONS | awk '$1 ~ "^/sys/fs/cgroup"')
  mount --rbind /dev "$root/dev"
  mount -t tmpfs -o mode=755 tmpfs "$root/run"
  mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
  mkdir -p "$root/run/fresh-check"
  mount --bind "$logs" "$root/run/fresh-check"
  logs=/run/fresh-check
  mkdir -p "$root/.fresh-check-oldroot"
  cd "$root"
  pivot_root . .fresh-check-oldroot
  cd /
  umount -l /.fresh-check-oldroot
  rmdir /.fresh-check-oldroot
  # From here on only the root's own programs exist (this block was parsed before it ran).
  # What the lab does to enter a node must land in the root, never on this machine: check it the same way.
  if ! nsenter --mount=/proc/self/ns/mnt -- test -f /etc/phoenix-fresh-check; then
    echo "fresh-check: nsenter into the root's mount namespace does not land in the root; stopping" >&2
    exit 3
  fi
  # The environment a session on a new machine has: a clean one, plus the CA settings the machine kind sets
  # (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, ... pointing at the system bundle, which the root has too).
  ca_env=()
  while read -r name; do ca_env+=("$name=${!name}"); done < <(compgen -e | grep -E '^(NODE_EXTRA_CA_CERTS|SSL_CERT_(FILE|DIR)|CURL_CA_BUNDLE|GIT_SSL_CAINFO|REQUESTS_CA_BUNDLE|PIP_CERT)$' || true)
  in_root() {
    /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" "${ca_env[@]}" \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/bash -c "$1"
  }
  step() { # step <name> <command run in /work/phoenix>
    local name=$1 cmd=$2 started rc
    echo
    echo "=== fresh-check: $name: $cmd"
    started=$(date +%s)
    set +e
    in_root "cd /work/phoenix && $cmd" 2>&1 | tee "$logs/$name.log"
    rc=${PIPESTATUS[0]}
    set -e
    echo "$name $rc $(( $(date +%s) - started ))" >>"$logs/results"
    echo "=== fresh-check: $name: exit $rc in $(( $(date +%s) - started )) s"
  }
  if [ -n "$custom" ]; then
    step run "$custom"
    exit 0
  fi
  step demo 'bash scripts/setup.sh && npm run demo'
  # setup.sh puts `phoenix` on PATH: it must run from anywhere, finding its bundle through the link.
  step path 'command -v phoenix && phoenix --version && cd / && phoenix run --syntax-check /work/phoenix/playbooks/site.yml -i /work/phoenix/inventory'
  step test 'bash scripts/setup.sh && npm test'
  exit 0
fi

# ---------------------------------------------------------------------------------------------------------------
# Outside. One function, so bash has read all of it before it runs (editing the script during a run is harmless);
# the namespaces run this run's own copy of the script ($run/fresh-check.sh).
main() {
ref=HEAD keep=0 lab_cache='' rebuild_base=0 cache=/var/cache/phoenix-fresh custom=''
while [ $# -gt 0 ]; do
  case $1 in
    --ref) [ $# -ge 2 ] || die "--ref needs a commit, branch or tag"; ref=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --lab-cache)
      if [ $# -ge 2 ] && [ "${2#--}" = "$2" ]; then lab_cache=$2; shift 2; else lab_cache=/var/cache/phoenix-lab; shift; fi ;;
    --rebuild-base) rebuild_base=1; shift ;;
    --cache) [ $# -ge 2 ] || die "--cache needs a directory"; cache=$2; shift 2 ;;
    --run) [ $# -ge 2 ] && [ -n "$2" ] || die "--run needs a command"; custom=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot, namespaces): run it as root, e.g. sudo bash $0"
case $cache in /*) ;; *) die "--cache must be an absolute path, not '$cache'" ;; esac

self=$(readlink -f "$0")
repo=$(git -C "$(dirname "$self")" rev-parse --show-toplevel) || die "$self is not inside a git checkout"
sha=$(git -C "$repo" rev-parse --verify --quiet "$ref^{commit}") || die "no commit '$ref' in $repo"
shared_src=$(readlink -f "$repo/../shared")
[ -d "$shared_src/fixtures" ] || shared_src=/work/shared
[ -d "$shared_src/fixtures" ] || die "the shared folder (fixtures, examples) is not beside $repo (../shared) nor at /work/shared"
if [ -n "$lab_cache" ]; then
  [ -f "$lab_cache/rootfs-bookworm.stamp" ] ||
    die "--lab-cache $lab_cache has no built lab rootfs (rootfs-bookworm.stamp); run the lab once or leave the option out"
fi

phase_names=() phase_secs=()
phase_start=0 phase_name=''
begin() { phase_name=$1; phase_start=$(date +%s); log "$1"; }
end() { phase_names+=("$phase_name"); phase_secs+=("$(( $(date +%s) - phase_start ))"); }
total_start=$(date +%s)

# 1. Host tools.
begin "host tools"
need=()
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v slirp4netns >/dev/null || need+=(slirp4netns)
command -v unshare >/dev/null && command -v findmnt >/dev/null || need+=(util-linux)
command -v ip >/dev/null || need+=(iproute2)
if [ "${#need[@]}" -gt 0 ]; then
  log "installing on this machine (for the check itself): ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
node_bin=$(command -v node) || die "this machine has no node; the check copies this machine's Node into the root"
node_bin=$(readlink -f "$node_bin")
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
[ -f "$npm_dir/package.json" ] || die "cannot find npm's files (looked in $npm_dir)"
"$node_bin" --version | grep -q '^v20\.' || log "warning: this machine's node is $("$node_bin" --version), not 20"
end

# 2. The pristine root (cached).
mkdir -p "$cache/runs" "$cache/logs"
base=$cache/base-bookworm
mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}
# All three are on the fresh image's package list (ca-certificates: apt, npm and curl over TLS need it).
base_pkgs=git,python3,ca-certificates
begin "pristine root ($base)"
exec 9>"$cache/.base.lock"
flock 9
if [ "$rebuild_base" = 1 ] || ! grep -qF "include=$base_pkgs mirror=$mirror " "$base.stamp" 2>/dev/null; then
  rm -rf "$base" "$base.stamp"
  work=$(mktemp -d "$cache/base-build.XXXXXX")
  log "debootstrap --variant=minbase --include=$base_pkgs bookworm from $mirror (a few minutes; cached afterwards)"
  if ! debootstrap --variant=minbase --include="$base_pkgs" bookworm "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -n 30 "$work/debootstrap.log" >&2
    rm -rf "$work"
    die "debootstrap failed (log above)"
  fi
  # A new machine has its apt sources in deb822 form (the lab's build-rootfs.sh reads the mirror from there).
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    cp /etc/apt/sources.list.d/debian.sources "$work/root/etc/apt/sources.list.d/debian.sources"
    rm -f "$work/root/etc/apt/sources.list"
  fi
  rm -rf "$work/root/var/cache/apt/archives/"*.deb
  mv "$work/root" "$base"
  rm -rf "$work"
  printf 'bookworm minbase include=%s mirror=%s built=%s\n' "$base_pkgs" "$mirror" "$(date -u +%FT%TZ)" >"$base.stamp"
else
  log "cached: $(cat "$base.stamp")"
fi
# Held shared until this run has its copy: a concurrent --rebuild-base waits instead of deleting it mid-copy.
flock -s 9
end

# 3. This run's root.
id=$(date -u +%Y%m%dT%H%M%SZ)-$$
run=$cache/runs/$id
logs=$cache/logs/$id
root=$run/root
mkdir -p "$run" "$logs"
cp "$self" "$run/fresh-check.sh"
cgroup_dirs=() slirp_pid='' inner_pid=''

cleanup() {
  local rc=$? d pids
  trap - EXIT INT TERM HUP
  set +e
  # Freeze the run's cgroup (nothing can fork away), kill everything in it, thaw so the kills are delivered.
  for d in "${cgroup_dirs[@]}"; do
    case $d in */freezer/*) echo FROZEN >"$d/freezer.state" 2>/dev/null ;; esac
  done
  for _ in $(seq 1 50); do
    pids=$(for d in "${cgroup_dirs[@]}"; do find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null; done | sort -u)
    [ -z "$pids" ] && break
    for p in $pids; do kill -KILL "$p" 2>/dev/null; done
    for d in "${cgroup_dirs[@]}"; do
      case $d in */freezer/*) echo THAWED >"$d/freezer.state" 2>/dev/null ;; esac
    done
    sleep 0.2
  done
  [ -n "$pids" ] && echo "fresh-check: warning: processes left in the run's cgroup: $pids" >&2
  [ -n "$slirp_pid" ] && kill "$slirp_pid" 2>/dev/null && wait "$slirp_pid" 2>/dev/null
  for d in "${cgroup_dirs[@]}"; do
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
    [ -d "$d" ] && echo "fresh-check: warning: could not remove cgroup $d" >&2
  done
  if grep -qF " $run/" /proc/self/mountinfo; then
    echo "fresh-check: warning: mounts below $run are left on this machine; not deleting it" >&2
  elif [ "$keep" = 1 ]; then
    echo "fresh-check: kept the root: $root (enter: chroot $root /bin/bash; remove: rm -rf $run)"
  else
    case $run in "$cache"/runs/?*) rm -rf "$run" ;; esac
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'echo "fresh-check: interrupted" >&2; exit 130' INT TERM HUP

begin "root for this run ($root)"
cp -a "$base" "$root"
install -m 0755 "$node_bin" "$root/usr/bin/node"
mkdir -p "$root/usr/lib/node_modules"
cp -a "$npm_dir" "$root/usr/lib/node_modules/npm"
ln -sfn ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"
ln -sfn ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/bin/npx"
# The machine's own CA certificates (its TLS egress is intercepted by a CA that new machines of our kind trust):
# the same files in /usr/local/share/ca-certificates, the system bundle rebuilt from them.
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  cp -a /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null 2>&1 || die "update-ca-certificates failed in $root"
fi
# npm's global configuration of this machine (cafile = that bundle); never root's ~/.npmrc (it may hold a token).
for f in /etc/npmrc /usr/etc/npmrc; do
  if [ -f "$f" ]; then mkdir -p "$root$(dirname "$f")"; cp -a "$f" "$root$f"; fi
done
# DNS through slirp4netns's forwarder (this machine's resolver may be on its loopback, which the root cannot reach).
echo 'nameserver 10.0.2.3' >"$root/etc/resolv.conf"
echo fresh >"$root/etc/hostname"
echo "phoenix fresh-check root $id" >"$root/etc/phoenix-fresh-check"
printf '127.0.0.1 localhost\n127.0.1.1 fresh\n::1 localhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
flock -u 9
if [ -n "$lab_cache" ]; then
  log "copying the warm lab cache from $lab_cache (--lab-cache)"
  mkdir -p "$root/var/cache/phoenix-lab"
  for f in rootfs-bookworm rootfs-bookworm.stamp artifacts; do
    [ -e "$lab_cache/$f" ] && cp -a "$lab_cache/$f" "$root/var/cache/phoenix-lab/"
  done
fi
end

begin "clean clone of $repo at ${sha:0:12} ($ref)"
dirty=$(git -C "$repo" status --porcelain --untracked-files=no | wc -l)
[ "$ref" = HEAD ] && [ "$dirty" -gt 0 ] &&
  log "note: $dirty uncommitted change(s) in $repo are not part of the check (it clones the commit)"
mkdir -p "$root/work"
git clone -q --no-checkout "$repo" "$root/work/phoenix"
git -C "$root/work/phoenix" checkout -q --detach "$sha"
cp -a "$shared_src" "$root/work/shared"
end

# 4. Inside. A cgroup of its own in every hierarchy, below this shell's.
cg_name=phoenix-fresh-$id
while IFS=: read -r _ controllers path; do
  if [ -z "$controllers" ]; then
    mnt=$(findmnt -rn -t cgroup2 -o TARGET | head -n 1)
  else
    mnt=''
    while read -r target fsopts; do
      ok=1
      for c in ${controllers//,/ }; do case ",$fsopts," in *",$c,"*) ;; *) ok=0 ;; esac; done
      [ "$ok" = 1 ] && { mnt=$target; break; }
    done < <(findmnt -rn -t cgroup -o TARGET,FS-OPTIONS)
  fi
  [ -n "$mnt" ] && [ -d "$mnt$path" ] || die "cannot find the cgroup hierarchy of '$controllers' ($path)"
  d=${mnt%/}${path%/}/$cg_name
  mkdir "$d"
  cgroup_dirs+=("$d")
  case $mnt in
    */cpuset) cat "$(dirname "$d")/cpuset.cpus" >"$d/cpuset.cpus"; cat "$(dirname "$d")/cpuset.mems" >"$d/cpuset.mems" ;;
  esac
done </proc/self/cgroup

begin "inside the root: the README's commands"
(
  for d in "${cgroup_dirs[@]}"; do echo "$BASHPID" >"$d/cgroup.procs"; done
  exec unshare --mount --propagation private --pid --fork --uts --ipc --net --cgroup -- bash "$run/fresh-check.sh" __inner "$root" "$logs" "$custom"
) &
inner_pid=$!
# slirp4netns must only attach once unshare is in its new network namespace (else it would configure this machine's).
for _ in $(seq 1 100); do
  [ "$(readlink "/proc/$inner_pid/ns/net" 2>/dev/null)" != "$(readlink /proc/self/ns/net)" ] && break
  sleep 0.05
done
[ "$(readlink "/proc/$inner_pid/ns/net")" != "$(readlink /proc/self/ns/net)" ] || die "unshare did not enter a new network namespace"
slirp4netns --configure --mtu=65520 --disable-host-loopback "$inner_pid" tap0 >"$logs/slirp4netns.log" 2>&1 &
slirp_pid=$!
set +e
wait "$inner_pid"
inner_rc=$?
set -e
end

# 5. Summary.
result() { awk -v n="$1" '$1 == n { print $2 " " $3 }' "$logs/results" 2>/dev/null; }
status=0
echo
echo "=== fresh-check summary ($sha, $ref; logs in $logs)"
for i in "${!phase_names[@]}"; do printf '  %-72s %5s s\n' "${phase_names[$i]}" "${phase_secs[$i]}"; done
names=(demo path test)
[ -z "$custom" ] || names=(run)
for name in "${names[@]}"; do
  read -r rc secs <<<"$(result "$name")" || true
  case $name in
    run) cmd=$custom ;;
    demo) cmd='bash scripts/setup.sh && npm run demo' ;;
    path) cmd='phoenix --version; phoenix run --syntax-check (from /)' ;;
    test) cmd='bash scripts/setup.sh && npm test' ;;
  esac
  if [ -z "${rc:-}" ]; then
    printf '  %-60s did not run\n' "$cmd"; status=1; continue
  fi
  printf '  %-60s exit %s in %s s\n' "$cmd" "$rc" "$secs"
  [ "$rc" = 0 ] || status=1
  rc='' secs=''
done
if [ -f "$logs/test.log" ]; then
  clean=$(sed 's/\x1b\[[0-9;]*m//g' "$logs/test.log")
  total=$(printf '%s\n' "$clean" | awk '/^  Total:/ {s += $2} END {print s + 0}')
  passed=$(printf '%s\n' "$clean" | awk '/^  Passed:/ {s += $2} END {print s + 0}')
  skipped=$(printf '%s\n' "$clean" | awk '/^  Skipped:/ {s += $2} END {print s + 0}')
  failed=$((total - passed - skipped))
  test_rc=$(result test | cut -d' ' -f1)
  if [ "$test_rc" != 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
  echo "  npm test: $passed passed, $failed failed, $skipped skipped"
fi
[ "$inner_rc" = 0 ] || { echo "  the root's PID 1 exited $inner_rc"; status=1; }
[ -z "$custom" ] || { echo "  --run: not the fresh check (the README's commands did not run)"; status=1; }
echo "  total: $(( $(date +%s) - total_start )) s"
if [ "$status" = 0 ]; then echo "fresh-check: PASS"; else echo "fresh-check: FAIL"; fi
exit "$status"
}

main "$@"
exit
