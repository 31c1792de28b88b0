#!/bin/bash
# verify's compute check on a real GPU host, through phoenix's local connection (issue 13, part 2):
#   1. compiled into a temp cache dir, then reused, then the container task's full checks, then one GPU too many;
#   2. /dev/nvidia-uvm hidden in a private mount namespace (a copy of /dev on a tmpfs, without it): with that /dev
#      writable the driver re-creates it (nvidia-modprobe, as on a host) and the check passes; read-only (nothing
#      can mknod, as in an unprivileged container) it must fail with `compute: no /dev/nvidia-uvm: ...`;
#   3. /dev/null bound over /dev/nvidia-uvm in a private mount namespace: must fail with a CUDA error name.
# Writes only the temp cache dir (removed at the end) and, in the namespaces, their tmpfs; the host's /dev is not
# touched (the namespaces are private). Needs root (mount namespaces), nvidia-smi, nvcc and its host compiler.
#
#   scripts/gpu-compute-check.sh pack   here: builds dist/ and .gpu-carry/node.xz (scripts/gpu-host-check.sh pack)
#   scripts/gpu-compute-check.sh [run]  on the GPU host, from the repository root; exit 0 when all expectations hold.
#                                       With $OUT set, the output is also written to $OUT/gpu-compute-check.txt.
#
# With the device tool (test/gpu/README.md):
#   run(command: "bash scripts/gpu-compute-check.sh", kind: "nvidia-h200",
#       carry: [".gpu-carry", "dist", "node_modules/ajv", "node_modules/fast-deep-equal", "node_modules/fast-uri",
#               "node_modules/json-schema-traverse", "node_modules/require-from-string"])
set -euo pipefail
. "$(dirname "$0")/gpu-node.sh"   # find_node
cd "$(dirname "$0")/.."
CHECK=dist/test/gpu/compute-check.js

# Runs the check in a private mount namespace whose /dev is a tmpfs copy of this one without nvidia-uvm.
# $3 = rw: that /dev stays writable, as on a host, where the driver's setuid nvidia-modprobe (run by nvidia-smi and
# libcuda) re-creates a missing node; ro: it is read-only, so nothing can re-create it, as in an unprivileged
# container (no mknod there): the mode is uvm-recreated or uvm-missing.
uvm_missing() { # node cache rw|ro
  local dev rc=0 mode=uvm-missing
  [ "$3" = rw ] && mode=uvm-recreated
  dev=$(mktemp -d /tmp/phoenix-dev.XXXXXX)
  unshare --mount --propagation private sh -c '
    set -e
    mount -t tmpfs -o mode=0755 phoenix-dev "$1"
    cp -a /dev/. "$1"/ 2>/dev/null || true  # nodes, links and dirs; what cannot be copied is not needed here
    rm -f "$1/nvidia-uvm" "$1/nvidia-uvm-tools"
    mount --bind "$1" /dev
    [ "$5" = uvm-missing ] && mount -o remount,bind,ro /dev
    "$2" "$3" "$4" "$5"; rc=$?
    echo "   afterwards in this namespace: $(ls -l /dev/nvidia-uvm 2>&1)"
    exit $rc' sh "$dev" "$1" "$CHECK" "$2" "$mode" || rc=1
  rmdir "$dev"
  return $rc
}

# Runs the check in a private mount namespace where /dev/nvidia-uvm is /dev/null.
uvm_null() { # node cache
  unshare --mount --propagation private sh -c '
    set -e
    mount --bind /dev/null /dev/nvidia-uvm
    exec "$1" "$2" "$3" uvm-null' sh "$1" "$CHECK" "$2"
}

run() {
  [ -f "$CHECK" ] || { echo "$CHECK missing: run '$0 pack' here and carry dist" >&2; exit 2; }
  local node cache rc=0
  node=$(find_node)
  cache=$(mktemp -d /tmp/phoenix-compute-cache.XXXXXX)
  echo "== phoenix gpu-compute-check on $(hostname) at $(date -u +%FT%TZ) ($(uname -r))"
  echo "\$ nvidia-smi -L"; nvidia-smi -L 2>&1 | sed 's/^/  /' || true
  echo "\$ nvcc --version"; PATH=$PATH:/usr/local/cuda/bin nvcc --version 2>&1 | tail -2 | sed 's/^/  /' || true
  echo "\$ ls -l /dev/nvidia*"; ls -l /dev/nvidia* 2>&1 | sed 's/^/  /' || true
  "$node" "$CHECK" "$cache" steps || rc=1
  uvm_missing "$node" "$cache" rw || rc=1
  uvm_missing "$node" "$cache" ro || rc=1
  uvm_null "$node" "$cache" || rc=1
  echo
  echo "\$ ls -l $cache (the only place the check wrote)"; ls -l "$cache" | sed 's/^/  /'
  rm -rf "$cache"
  echo "== gpu-compute-check: $([ $rc -eq 0 ] && echo 'all expectations hold' || echo 'BROKEN expectations above')"
  return $rc
}

case "${1:-run}" in
  pack) bash scripts/gpu-host-check.sh pack ;;
  run)
    if [ -n "${OUT:-}" ]; then
      set +e
      run 2>&1 | tee "$OUT/gpu-compute-check.txt"
      exit "${PIPESTATUS[0]}"
    fi
    run
    ;;
  *) echo "usage: $0 [pack|run]" >&2; exit 2 ;;
esac
