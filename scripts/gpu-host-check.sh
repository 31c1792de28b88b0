#!/bin/bash
# phoenix on a real GPU host: `verify`, `lxc_conf` and `nvidia_run` planned in check mode against the real NVIDIA driver.
# Read-only: no installer, no GPU setting, no apt or driver file is touched; lxc_conf plans on a config in a temp dir.
#
#   scripts/gpu-host-check.sh pack   here: builds dist/ and writes .gpu-carry/node.xz (this Node, for a machine
#                                     without one; .gpu-carry/ is listed in .git/info/exclude)
#   scripts/gpu-host-check.sh [run]  on the GPU host, from the repository root: prints the raw NVIDIA outputs, then
#                                     each phoenix step with its expectation; exit 0 when all hold.
#                                     With $OUT set, the whole output is also written to $OUT/gpu-host-check.txt.
#
# With the device tool (test/gpu/README.md shows the expected output):
#   run(command: "bash scripts/gpu-host-check.sh", kind: "nvidia-h100-x1",
#       carry: [".gpu-carry", "dist", "node_modules/ajv", "node_modules/fast-deep-equal", "node_modules/fast-uri",
#               "node_modules/json-schema-traverse", "node_modules/require-from-string"])
set -euo pipefail
. "$(dirname "$0")/gpu-node.sh"   # find_node
cd "$(dirname "$0")/.."

pack() {
  npx tsc -p .
  mkdir -p .gpu-carry
  grep -qxF '/.gpu-carry/' .git/info/exclude 2>/dev/null || echo '/.gpu-carry/' >>.git/info/exclude
  if [ ! -s .gpu-carry/node.xz ] || [ "$(cat .gpu-carry/node.version 2>/dev/null)" != "$(node --version)" ]; then
    xz -T0 -6 -c "$(command -v node)" >.gpu-carry/node.xz.part && mv .gpu-carry/node.xz.part .gpu-carry/node.xz
    node --version >.gpu-carry/node.version
  fi
  ls -l .gpu-carry
}

# Each command the parsers were written for, printed as it runs here.
raw_outputs() {
  echo "== raw outputs ($(uname -r); $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"))"
  local c
  for c in 'nvidia-smi' 'nvidia-smi -L' 'nvidia-smi --version' \
    'nvidia-smi --query-gpu=index,name,uuid,driver_version,pci.bus_id --format=csv,noheader' \
    'cat /proc/driver/nvidia/version' 'cat /sys/module/nvidia/version' "grep -E ' nvidia' /proc/devices" \
    'ls -l /dev/nvidia* /dev/nvidia-caps/' 'PATH=$PATH:/usr/local/cuda/bin nvcc --version'; do
    echo "\$ $c"
    sh -c "$c" 2>&1 | sed 's/^/  /' || true
  done
}

run() {
  [ -f dist/test/gpu/check.js ] || { echo "dist/test/gpu/check.js missing: run '$0 pack' here and carry dist" >&2; exit 2; }
  local node
  node=$(find_node)
  raw_outputs
  echo
  local rc=0
  "$node" dist/test/gpu/check.js || rc=1
  echo
  # nvidia_run in check mode: ok with the installed version, "would install" (the exact command) with another.
  "$node" dist/test/modules/nvidia_run/gpu-check.js || rc=1
  return $rc
}

case "${1:-run}" in
  pack) pack ;;
  run)
    if [ -n "${OUT:-}" ]; then
      set +e
      run 2>&1 | tee "$OUT/gpu-host-check.txt"
      exit "${PIPESTATUS[0]}"
    fi
    run
    ;;
  *) echo "usage: $0 [pack|run]" >&2; exit 2 ;;
esac
