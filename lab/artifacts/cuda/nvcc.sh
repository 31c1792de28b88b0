#!/bin/bash
# Stand-in nvcc (CUDA @RELEASE@, V@VERSION@) for the phoenix lab, installed by the lab's cuda-nvcc-@PKG@ package.
# `--version` prints the real format. "Compiling" works for one program only, phoenix's compute check
# (modules/nvidia/compute-program.ts): the output file becomes compute-program.sh (installed beside this script under
# ../share/phoenix-lab/), a shell program that prints what the real one would on the lab's stand-in GPUs. Any other
# source is refused, so nothing in the lab can mistake this for a compiler.
RELEASE="@RELEASE@"
VERSION="@VERSION@"
FORMAT="phoenix-compute-check 1"
HERE="$(cd "$(dirname "$(readlink -f "$0")")" && pwd)"
PROGRAM="$HERE/../share/phoenix-lab/compute-program.sh"

version() {
    cat << EOF
nvcc: NVIDIA (R) Cuda compiler driver
Copyright (c) 2005-2025 NVIDIA Corporation
Built on Fri_Feb_21_20:23:50_PST_2025
Cuda compilation tools, release $RELEASE, V$VERSION
Build cuda_$RELEASE.r$RELEASE/compiler.35583870_0
EOF
}

fatal() { echo "nvcc fatal   : $*" >&2; exit 1; }

# CUDA's version integer: 12.8 -> 12080, as cudaRuntimeGetVersion returns it.
runtime_integer() { local major="${RELEASE%%.*}" minor="${RELEASE#*.}"; echo $((major * 1000 + minor * 10)); }

# "Compiles" $1 into $2: only the compute check's source, which names its output format and its vector length.
compile() {
    local src="$1" out="$2" shift_bits
    [ -r "$src" ] || fatal "Could not open input file '$src'"
    grep -qF "\"$FORMAT\\n\"" "$src" || {
        echo "stand-in nvcc (phoenix lab): compiles only phoenix's compute check ($FORMAT), not $src" >&2
        exit 1
    }
    shift_bits="$(sed -n 's/^static const int N = 1 << \([0-9]*\);$/\1/p' "$src")"
    [ -n "$shift_bits" ] || fatal "$src: no 'static const int N = 1 << K;' (the stand-in reads the vector length from it)"
    sed -e "s/@CUDA_RUNTIME@/$(runtime_integer)/" -e "s/@VECTOR_BYTES@/$(((1 << shift_bits) * 4))/" \
        "$PROGRAM" > "$out.stand-in" || exit 1
    chmod 0755 "$out.stand-in" && mv -f "$out.stand-in" "$out"
}

main() {
    local out=a.out src=""
    [ $# -gt 0 ] || fatal "No input files specified; use option --help for more information"
    while [ $# -gt 0 ]; do
        case "$1" in
            --version|-V) version; exit 0 ;;
            -o|--output-file) out="$2"; shift ;;
            -o*) out="${1#-o}" ;;
            --output-file=*) out="${1#*=}" ;;
            -*) ;;
            *.cu) src="$1" ;;
            *) fatal "Don't know what to do with '$1'" ;;
        esac
        shift
    done
    [ -n "$src" ] || fatal "No input files specified; use option --help for more information"
    compile "$src" "$out"
}

main "$@"
