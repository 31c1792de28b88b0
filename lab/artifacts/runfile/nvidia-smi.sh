#!/bin/bash
# Stand-in nvidia-smi (user space @VERSION@) for the phoenix lab. Output formats are copied from
# a real H100 (/work/shared/fixtures/gpu-h100-ubuntu2404). What it shows depends on what it can
# see, like the real one:
#   - the loaded kernel module's version in /proc/driver/nvidia/version (missing -> exit 9,
#     different from @VERSION@ -> NVML "Driver/library version mismatch", exit 18);
#   - the device nodes: /dev/nvidiactl must exist, GPUs are the /dev/nvidiaN nodes it may open
#     (a node the device cgroup denies does not count), so LXC passthrough decides what it sees.
# Knobs: PHOENIX_LAB_ROOT (path prefix, tests), PHOENIX_LAB_PROC_DRIVER (module version file),
# PHOENIX_LAB_GPUS=N (skip the device scan and show GPUs 0..N-1).
VERSION="@VERSION@"
ROOT="${PHOENIX_LAB_ROOT:-}"
ROOT="${ROOT%/}"
PROC_DRIVER="${PHOENIX_LAB_PROC_DRIVER:-$ROOT/proc/driver/nvidia/version}"
NAME="NVIDIA H100 80GB HBM3"
MEM=81559
UUIDS=(GPU-cfa92afc-44db-c8c4-aa14-cb33961a51f6 GPU-5b0e2f6d-8c41-9a3e-7d12-3f6a90c4e7b1
       GPU-0d7e3c59-1b2a-4f86-9e4d-a8c2b7f51e03 GPU-93a4f1c2-6e0b-d5a7-2c89-4b1e7f0a6d25
       GPU-6f2b8d41-ae37-0c95-b1d4-72e9c3a58f16 GPU-a1c7e905-3d6f-82b4-5e0a-c9f4d2b7136e
       GPU-e48b2a7c-90f1-6d3e-a5c2-1b7f8e4d0c99 GPU-2c9f5e13-b7a4-e061-8d3b-f5a2c6e9047d)
BUSES=(00000000:00:06.0 00000000:00:07.0 00000000:00:08.0 00000000:00:09.0
       00000000:00:0A.0 00000000:00:0B.0 00000000:00:0C.0 00000000:00:0D.0)

cuda_version() {
    case "${VERSION%%.*}" in
        590) echo 13.1 ;; 580) echo 13.0 ;; 575) echo 12.9 ;; 570) echo 12.8 ;; 565) echo 12.7 ;;
        560) echo 12.6 ;; 555) echo 12.5 ;; 550) echo 12.4 ;; 545) echo 12.3 ;; 535) echo 12.2 ;;
        *) echo 13.0 ;;
    esac
}

no_driver() {
    echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running."
    echo
    exit 9
}

# Sets GPUS (minor numbers) or exits the way nvidia-smi does when NVML can't start.
init_nvml() {
    local loaded
    [ -s "$PROC_DRIVER" ] || no_driver
    loaded="$(grep -oE '[0-9]{3,}\.[0-9]+(\.[0-9]+)?' "$PROC_DRIVER" | head -1)"
    if [ "$loaded" != "$VERSION" ]; then
        echo "Failed to initialize NVML: Driver/library version mismatch"
        echo "NVML library version: $(echo "$VERSION" | cut -d. -f1-2)"
        exit 18
    fi
    GPUS=()
    if [ -n "${PHOENIX_LAB_GPUS:-}" ]; then
        for ((i = 0; i < PHOENIX_LAB_GPUS; i++)); do GPUS+=("$i"); done
        return
    fi
    [ -e "$ROOT/dev/nvidiactl" ] || no_driver
    # EPERM = the device cgroup refuses (NVML: Unknown Error); EACCES = the node's owner and mode do, as in an
    # unprivileged CT where a 0660 root:root node shows as nobody:nogroup (NVML_ERROR_NO_PERMISSION, exit 4).
    case "$(open_error "$ROOT/dev/nvidiactl")" in
        *"Operation not permitted"*) echo "Failed to initialize NVML: Unknown Error"; exit 255 ;;
        *"Permission denied"*) echo "Failed to initialize NVML: Insufficient Permissions"; exit 4 ;;
    esac
    local d n
    for d in "$ROOT"/dev/nvidia[0-9]*; do
        n="${d##*/nvidia}"
        [[ -e "$d" && "$n" =~ ^[0-9]+$ ]] || continue
        denied "$d" || GPUS+=("$n")
    done
    if [ ${#GPUS[@]} -eq 0 ]; then echo "No devices were found"; exit 6; fi
    mapfile -t GPUS < <(printf '%s\n' "${GPUS[@]}" | sort -n)
}

# A node the device cgroup refuses fails open() with EPERM; the lab's mknod'ed nodes have no
# driver behind them, so an allowed open fails with ENXIO instead, which counts as allowed.
denied() {
    local err
    err="$(open_error "$1")"
    [[ "$err" == *"Operation not permitted"* || "$err" == *"Permission denied"* ]]
}
# What opening the node read-write says (empty when it opens; ENXIO on the lab's driverless nodes).
open_error() { ( (exec 3<>"$1") 2>&1 ); }

table() {
    local i idx=0 minor bar
    bar="+-----------------------------------------+------------------------+----------------------+"
    printf '%s       \n' "$(LC_ALL=C date '+%a %b %e %H:%M:%S %Y')"
    echo "+-----------------------------------------------------------------------------------------+"
    printf '| NVIDIA-SMI %-22s Driver Version: %-14s CUDA Version: %-9s|\n' "$VERSION" "$VERSION" "$(cuda_version)"
    echo "$bar"
    echo "| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |"
    echo "| Fan  Temp   Perf          Pwr:Usage/Cap |           Memory-Usage | GPU-Util  Compute M. |"
    echo "|                                         |                        |               MIG M. |"
    echo "|=========================================+========================+======================|"
    for minor in "${GPUS[@]}"; do
        printf '|%4d  %-29s%4s  |   %-16s %3s |%21s |\n' "$idx" "$NAME" On "${BUSES[$minor]}" Off 0
        printf '| %-4s%5s    %-4s%14s / %5s |%11s / %9s |%8s%13s |\n' N/A 54C P0 135W 700W 0MiB "${MEM}MiB" 0% Default
        printf '|%41s|%24s|%21s |\n' "" "" Disabled
        echo "$bar"
        idx=$((idx + 1))
    done
    echo ""
    echo "+-----------------------------------------------------------------------------------------+"
    echo "| Processes:                                                                              |"
    echo "|  GPU   GI   CI              PID   Type   Process name                        GPU Memory |"
    echo "|        ID   ID                                                               Usage      |"
    echo "|=========================================================================================|"
    echo "|  No running processes found                                                             |"
    echo "+-----------------------------------------------------------------------------------------+"
}

list() {
    local idx=0 minor
    for minor in "${GPUS[@]}"; do
        echo "GPU $idx: $NAME (UUID: ${UUIDS[$minor]})"
        idx=$((idx + 1))
    done
}

version() {
    echo "NVIDIA-SMI version  : $VERSION"
    echo "NVML version        : $(echo "$VERSION" | cut -d. -f1-2)"
    echo "DRIVER version      : $VERSION"
    echo "CUDA Version        : $(cuda_version)"
}

field() { # name idx minor units(y/n)
    case "$1" in
        index) echo "$2" ;;
        count) echo "${#GPUS[@]}" ;;
        name|gpu_name) echo "$NAME" ;;
        uuid|gpu_uuid) echo "${UUIDS[$3]}" ;;
        driver_version) echo "$VERSION" ;;
        pci.bus_id|gpu_bus_id) echo "${BUSES[$3]}" ;;
        memory.total) if [ "$4" = y ]; then echo "$MEM MiB"; else echo "$MEM"; fi ;;
        compute_cap) echo "9.0" ;;
        *) return 1 ;;
    esac
}

header_of() {
    case "$1" in memory.total) echo "memory.total [MiB]" ;; *) echo "$1" ;; esac
}

join_cells() { local out="$1"; shift; local c; for c in "$@"; do out+=", $c"; done; echo "$out"; }

query() { # fields format
    local f minor idx=0 units=y header=y
    local -a fields opts cells
    IFS=, read -r -a fields <<< "$1"
    IFS=, read -r -a opts <<< "$2"
    for f in "${opts[@]}"; do
        case "$f" in csv) ;; noheader) header=n ;; nounits) units=n ;;
            *) echo "\"$f\" is not a valid format option."; exit 2 ;; esac
    done
    for f in "${fields[@]}"; do
        field "$f" 0 0 y >/dev/null || { echo "Field \"$f\" is not a valid field to query."; echo; exit 2; }
    done
    if [ "$header" = y ]; then
        cells=(); for f in "${fields[@]}"; do cells+=("$(header_of "$f")"); done
        join_cells "${cells[@]}"
    fi
    for minor in "${GPUS[@]}"; do
        cells=(); for f in "${fields[@]}"; do cells+=("$(field "$f" "$idx" "$minor" "$units")"); done
        join_cells "${cells[@]}"
        idx=$((idx + 1))
    done
}

invalid() {
    echo "Invalid combination of input arguments. Please run 'nvidia-smi -h' for help."
    echo
    exit 2
}

main() {
    local mode=table qfields="" qformat=""
    while [ $# -gt 0 ]; do
        case "$1" in
            -L|--list-gpus) mode=list ;;
            --version) mode=version ;;
            --query-gpu=*) mode=query; qfields="${1#*=}" ;;
            --query-gpu) mode=query; qfields="$2"; shift ;;
            --format=*) qformat="${1#*=}" ;;
            --format) qformat="$2"; shift ;;
            -h|--help) echo "NVIDIA System Management Interface -- v$VERSION (phoenix lab stand-in)"; exit 0 ;;
            *) invalid ;;
        esac
        shift
    done
    if [ "$mode" = query ] && [ -z "$qformat" ]; then invalid; fi
    init_nvml
    case "$mode" in
        table) table ;;
        list) list ;;
        version) version ;;
        query) query "$qfields" "$qformat" ;;
    esac
}

main "$@"
