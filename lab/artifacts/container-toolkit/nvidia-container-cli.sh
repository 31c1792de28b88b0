#!/bin/sh
# Stand-in nvidia-container-cli @VERSION@ (phoenix lab; lab/artifacts/container-toolkit/). What the real one does
# first when the hook calls `configure`, decided from real files: load libnvidia-ml.so.1 (the driver user space
# of the LXC container), then set up the device cgroup, which an LXC container does not own (its eBPF device
# filter is the host's), unless --no-cgroups. Nothing is mounted.
#   PHOENIX_LAB_ROOT       prefixes every path (tests)
#   PHOENIX_LAB_CONTAINER  1/0: override the container detection (tests)
ROOT="${PHOENIX_LAB_ROOT:-}"

in_container() {
    case "${PHOENIX_LAB_CONTAINER:-}" in 1) return 0 ;; 0) return 1 ;; esac
    { tr '\0' '\n' < /proc/1/environ; } 2>/dev/null | grep -q '^container=' && return 0
    [ -e /dev/.lxc-boot-id ]
}

nvml() {
    for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /lib/x86_64-linux-gnu; do
        [ -e "$ROOT$d/libnvidia-ml.so.1" ] && { echo "$ROOT$d/libnvidia-ml.so.1"; return 0; }
    done
    return 1
}

no_cgroups=0
command=""
while [ $# -gt 0 ]; do
    case "$1" in
        --version)
            printf 'cli-version: @VERSION@\nlib-version: @VERSION@\nbuild date: 2025-05-29T00:00+00:00\n'
            exit 0 ;;
        --no-cgroups) no_cgroups=1 ;;
        --load-kmods|-k|--debug=*|--ldcache=*|--user=*|--root=*|--no-pivot|--no-devbind) ;;
        configure|info|list) command="$1"; shift; break ;;
        *) echo "nvidia-container-cli: unrecognized option '$1'" >&2; exit 1 ;;
    esac
    shift
done
[ -n "$command" ] || { echo "Usage: nvidia-container-cli [OPTION...] COMMAND [ARG...]" >&2; exit 64; }

lib="$(nvml)" || {
    echo "nvidia-container-cli: initialization error: load library failed: libnvidia-ml.so.1: cannot open shared object file: no such file or directory" >&2
    exit 1
}
case "$command" in
    info)
        echo "NVRM version:   $(readlink -f "$lib" | sed 's/.*\.so\.//')"
        echo "CUDA version:   12.8" ;;
    list) ls "$ROOT"/dev/nvidia* 2>/dev/null; echo "$lib" ;;
    configure)
        if [ "$no_cgroups" = 0 ] && in_container; then
            echo "nvidia-container-cli: mount error: failed to add device rules: unable to find any existing device filters attached to the cgroup: bpf_prog_query(BPF_CGROUP_DEVICE) failed: operation not permitted" >&2
            exit 1
        fi ;;
esac
exit 0
