#!/bin/bash
# Stand-in for phoenix's compiled compute check (the lab's nvcc writes this for modules/nvidia/compute-program.ts).
# It prints exactly the real program's lines (versions, devices, one vecadd per device, or the first CUDA error by
# its cudaGetErrorName) and exits like it (0, 1 on a CUDA error, 2 on a wrong sum), deciding from what it can see:
#   - the driver library: $ROOT/usr/lib/x86_64-linux-gnu/libcuda.so.1 -> libcuda.so.<version> (from the stand-in .run);
#     none -> driver 0, cudaErrorInsufficientDriver; a branch whose CUDA is older than this runtime -> the same;
#   - the loaded module, /proc/driver/nvidia/version: none -> cudaErrorNoDevice; another version than libcuda's ->
#     cudaErrorSystemDriverMismatch;
#   - the device nodes, opened read-write like nvidia-smi.sh does: ENXIO (a driverless mknod node reached) counts as
#     working, EPERM/EACCES/missing does not. /dev/nvidiactl unusable -> cudaErrorNoDevice; /dev/nvidia-uvm
#     unusable -> cudaErrorUnknown; no usable /dev/nvidiaN -> cudaErrorNoDevice.
# Knobs: PHOENIX_LAB_ROOT (path prefix, tests), PHOENIX_LAB_PROC_DRIVER (module version file), PHOENIX_LAB_GPUS=N
# (skip the GPU node scan), PHOENIX_LAB_COMPUTE_WRONG=I (device I adds wrong: every element NaN).
RUNTIME=@CUDA_RUNTIME@
BYTES=@VECTOR_BYTES@
ROOT="${PHOENIX_LAB_ROOT:-}"
ROOT="${ROOT%/}"
PROC_DRIVER="${PHOENIX_LAB_PROC_DRIVER:-$ROOT/proc/driver/nvidia/version}"
LIBCUDA="$ROOT/usr/lib/x86_64-linux-gnu/libcuda.so.1"
NAME="NVIDIA H100 80GB HBM3"

# The CUDA version a driver branch supports, as cudaDriverGetVersion returns it (same table as nvidia-smi.sh).
driver_cuda() {
    case "${1%%.*}" in
        590) echo 13010 ;; 580) echo 13000 ;; 575) echo 12090 ;; 570) echo 12080 ;; 565) echo 12070 ;;
        560) echo 12060 ;; 555) echo 12050 ;; 550) echo 12040 ;; 545) echo 12030 ;; 535) echo 12020 ;;
        *) echo 13000 ;;
    esac
}

cuda_error() { # call name message
    echo "error - $1 $2 $3"
    exit 1
}

open_error() { ( (exec 3<>"$1") 2>&1 ); }
# A node CUDA could use: present, and opening it fails at most with ENXIO (no driver behind the lab's nodes).
usable() {
    local err
    [ -e "$1" ] || return 1
    err="$(open_error "$1")"
    [ -z "$err" ] || [[ "$err" == *"No such device or address"* ]]
}

library_version() {
    local target
    target="$(readlink "$LIBCUDA" 2>/dev/null)" || return 1
    [ -e "$LIBCUDA" ] || return 1
    echo "${target#libcuda.so.}"
}

# Sets GPUS to the usable /dev/nvidiaN minors, in order, or fails the way cudaGetDeviceCount does.
find_gpus() {
    local user="$1" loaded d n
    [ -s "$PROC_DRIVER" ] || cuda_error cudaGetDeviceCount cudaErrorNoDevice "no CUDA-capable device is detected"
    loaded="$(grep -oE '[0-9]{3,}\.[0-9]+(\.[0-9]+)?' "$PROC_DRIVER" | head -1)"
    [ "$loaded" = "$user" ] || cuda_error cudaGetDeviceCount cudaErrorSystemDriverMismatch \
        "system has unsupported display driver / cuda driver combination"
    usable "$ROOT/dev/nvidiactl" || cuda_error cudaGetDeviceCount cudaErrorNoDevice "no CUDA-capable device is detected"
    usable "$ROOT/dev/nvidia-uvm" || cuda_error cudaGetDeviceCount cudaErrorUnknown "unknown error"
    GPUS=()
    if [ -n "${PHOENIX_LAB_GPUS:-}" ]; then
        for ((n = 0; n < PHOENIX_LAB_GPUS; n++)); do GPUS+=("$n"); done
        return
    fi
    for d in "$ROOT"/dev/nvidia[0-9]*; do
        n="${d##*/nvidia}"
        [[ "$n" =~ ^[0-9]+$ ]] && usable "$d" && GPUS+=("$n")
    done
    [ ${#GPUS[@]} -gt 0 ] || cuda_error cudaGetDeviceCount cudaErrorNoDevice "no CUDA-capable device is detected"
}

main() {
    local user driver=0 i status=0
    echo "phoenix-compute-check 1"
    user="$(library_version)" && driver="$(driver_cuda "$user")"
    echo "versions runtime $RUNTIME driver $driver"
    [ "$driver" -ge "$RUNTIME" ] || cuda_error cudaGetDeviceCount cudaErrorInsufficientDriver \
        "CUDA driver version is insufficient for CUDA runtime version"
    find_gpus "$user"
    echo "devices ${#GPUS[@]}"
    for ((i = 0; i < ${#GPUS[@]}; i++)); do
        echo "device $i 9.0 $NAME"
        if [ "${PHOENIX_LAB_COMPUTE_WRONG:-}" = "$i" ]; then
            echo "vecadd $i $BYTES wrong $((BYTES / 4)) 0 -nan 0"
            status=2
        else
            echo "vecadd $i $BYTES ok"
        fi
    done
    [ "$status" -ne 0 ] || echo "done"
    exit "$status"
}

main
