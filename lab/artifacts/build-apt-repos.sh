#!/bin/bash
# build-apt-repos.sh OUTDIR BASE_URL
# Builds two signed apt repositories under OUTDIR, to be served at BASE_URL:
#   OUTDIR/cuda/    flat repo like developer.download.nvidia.com/.../ubuntu2404/x86_64/ ("Suites: /"):
#                   cuda-keyring (writes its own .list + pin, like the real 1.1-1), cuda-toolkit-12-8
#                   (+ cuda-nvcc-12-8, cuda-cudart-12-8; the stand-in nvcc of cuda/nvcc.sh: real-format
#                   `nvcc --version`, "compiles" phoenix's compute check into cuda/compute-program.sh), and the
#                   driver packages phoenix must refuse (cuda-drivers, nvidia-driver-580, ...).
#   OUTDIR/docker/  like download.docker.com/linux/debian (dists/bookworm, component stable):
#                   docker-ce, docker-ce-cli, containerd.io.
# Each repo has its own generated gpg key (kept in OUTDIR/.keys, reused across builds), exported
# armored (cuda/<id>.pub, docker/gpg, *.asc) and binary (*-archive-keyring.gpg).
# OUTDIR/manifest.json lists keys and files. A no-op when nothing changed since the last build.
set -euo pipefail

die() { echo "build-apt-repos.sh: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: build-apt-repos.sh OUTDIR BASE_URL"
mkdir -p "$1"
OUTDIR="$(cd "$1" && pwd)"
BASE_URL="${2%/}"
SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
CUDA_SRC="$(dirname "$SELF")/cuda"
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1735689600}"
STAMP="$OUTDIR/.stamp"
for t in dpkg-deb apt-ftparchive gpg; do command -v "$t" >/dev/null || die "$t is not installed"; done

up_to_date() {
    [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$BASE_URL" ] && [ "$SELF" -ot "$STAMP" ] \
        && [ "$CUDA_SRC/nvcc.sh" -ot "$STAMP" ] && [ "$CUDA_SRC/compute-program.sh" -ot "$STAMP" ] \
        && [ -f "$OUTDIR/manifest.json" ]
}

# --- keys -------------------------------------------------------------------------------------
GH=""
cleanup() { [ -z "$GH" ] || { gpgconf --homedir "$GH" --kill gpg-agent 2>/dev/null || true; rm -rf "$GH"; }; }
trap cleanup EXIT

gpg_home() { # fresh, short GNUPGHOME (agent socket paths are limited to ~100 chars)
    cleanup
    GH="$(mktemp -d /tmp/plab-gpg.XXXXXX)"
    chmod 700 "$GH"
}
g() { gpg --homedir "$GH" --batch --yes --quiet --pinentry-mode loopback --passphrase '' "$@"; }

ensure_key() { # name uid -> OUTDIR/.keys/name.sec.asc
    local sec="$OUTDIR/.keys/$1.sec.asc"
    [ -s "$sec" ] && return 0
    mkdir -p "$OUTDIR/.keys" && chmod 700 "$OUTDIR/.keys"
    gpg_home
    g --quick-gen-key "$2" ed25519 sign never 2>/dev/null
    g --armor --export-secret-keys > "$sec.tmp" && mv "$sec.tmp" "$sec"
}

use_key() { # name -> imports it into a fresh home, sets FPR
    gpg_home
    g --import "$OUTDIR/.keys/$1.sec.asc" 2>/dev/null
    FPR="$(g --with-colons --list-secret-keys | awk -F: '$1 == "fpr" { print $10; exit }')"
}

export_key() { # armored... binary...
    local f
    for f in $1; do g --armor --export "$FPR" > "$f"; done
    for f in $2; do g --export "$FPR" > "$f"; done
}

sign_release() { # dir with Release
    g -u "$FPR" --digest-algo SHA512 --clearsign -o "$1/InRelease" "$1/Release"
    g -u "$FPR" --digest-algo SHA512 --armor --detach-sign -o "$1/Release.gpg" "$1/Release"
}

# --- packages ---------------------------------------------------------------------------------
STAGE=""
pkg_begin() { STAGE="$(mktemp -d)"; chmod 0755 "$STAGE"; mkdir -p "$STAGE/DEBIAN"; }
pkg_file() { # path mode content
    mkdir -p "$(dirname "$STAGE$1")"
    printf '%s' "$3" > "$STAGE$1"
    chmod "$2" "$STAGE$1"
}
pkg_end() { # outdir name version arch maintainer description [extra control lines]
    local out="$1" name="$2" ver="$3" arch="$4" maint="$5" desc="$6" extra="${7:-}"
    {
        echo "Package: $name"
        echo "Version: $ver"
        echo "Architecture: $arch"
        echo "Maintainer: $maint"
        [ -z "$extra" ] || printf '%s\n' "$extra"
        echo "Description: $desc"
        echo " Stand-in package built by the phoenix lab (lab/artifacts/build-apt-repos.sh)."
    } > "$STAGE/DEBIAN/control"
    find "$STAGE" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
    mkdir -p "$out"
    dpkg-deb --root-owner-group -Zgzip --build "$STAGE" "$out/${name}_${ver#*:}_$arch.deb" >/dev/null
    rm -rf "$STAGE"
}

NV="cudatools <cudatools@nvidia.com>"
script() { printf '#!/bin/sh\n%s\n' "$1"; }

build_cuda_packages() {
    local d="$1" list pin
    list="deb [signed-by=/usr/share/keyrings/cuda-archive-keyring.gpg] $BASE_URL/cuda/ /"
    pin='Package: nsight-compute
Pin: origin *ubuntu.com*
Pin-Priority: -1

Package: nsight-systems
Pin: origin *ubuntu.com*
Pin-Priority: -1

Package: *
Pin: release l=NVIDIA CUDA
Pin-Priority: 600
'
    pkg_begin
    mkdir -p "$STAGE/usr/share/keyrings"
    cp "$d/cuda-archive-keyring.gpg" "$STAGE/usr/share/keyrings/cuda-archive-keyring.gpg"
    pkg_file /etc/apt/sources.list.d/cuda-ubuntu2404-x86_64.list 0644 "$list
"
    pkg_file /etc/apt/preferences.d/cuda-repository-pin-600 0644 "$pin"
    printf '/etc/apt/preferences.d/cuda-repository-pin-600\n/etc/apt/sources.list.d/cuda-ubuntu2404-x86_64.list\n' > "$STAGE/DEBIAN/conffiles"
    pkg_end "$d" cuda-keyring 1.1-1 all "$NV" "GPG keyring for the CUDA repository" "Priority: optional"

    pkg_begin
    pkg_file /usr/local/cuda-12.8/bin/nvcc 0755 \
        "$(sed -e 's/@RELEASE@/12.8/g' -e 's/@VERSION@/12.8.93/g' -e 's/@PKG@/12-8/g' "$CUDA_SRC/nvcc.sh")
"
    pkg_file /usr/local/cuda-12.8/share/phoenix-lab/compute-program.sh 0755 "$(cat "$CUDA_SRC/compute-program.sh")
"
    pkg_end "$d" cuda-nvcc-12-8 12.8.93-1 amd64 "$NV" "CUDA nvcc"

    pkg_begin
    pkg_file /usr/local/cuda-12.8/targets/x86_64-linux/lib/libcudart.so.12.8.90 0644 "stand-in libcudart 12.8.90
"
    pkg_end "$d" cuda-cudart-12-8 12.8.90-1 amd64 "$NV" "CUDA Runtime native Libraries"

    pkg_begin
    pkg_file /usr/local/cuda-12.8/version.json 0644 '{
   "cuda" : {
      "name" : "CUDA SDK",
      "version" : "12.8.1"
   }
}
'
    pkg_file /DEBIAN/postinst 0755 "$(script 'set -e
if [ "$1" = configure ]; then
    update-alternatives --install /usr/local/cuda cuda /usr/local/cuda-12.8 128
    update-alternatives --install /usr/local/cuda-12 cuda-12 /usr/local/cuda-12.8 128
fi')
"
    pkg_file /DEBIAN/prerm 0755 "$(script 'set -e
if [ "$1" = remove ]; then
    update-alternatives --remove cuda /usr/local/cuda-12.8
    update-alternatives --remove cuda-12 /usr/local/cuda-12.8
fi')
"
    pkg_end "$d" cuda-toolkit-12-8 12.8.1-1 amd64 "$NV" "CUDA Toolkit 12.8 meta-package" \
        "Depends: cuda-nvcc-12-8 (>= 12.8.93), cuda-cudart-12-8 (>= 12.8.90)"

    build_driver_packages "$d"
}

# Packages phoenix must never install in a container whose user space came from the .run.
build_driver_packages() {
    local d="$1" v=580.95.05
    pkg_begin
    pkg_file /usr/lib/x86_64-linux-gnu/libnvidia-ml.so.$v 0644 "stand-in libnvidia-ml $v (apt)
"
    pkg_file /usr/lib/x86_64-linux-gnu/libcuda.so.$v 0644 "stand-in libcuda $v (apt)
"
    pkg_end "$d" libnvidia-compute-580 "$v-0ubuntu1" amd64 "$NV" "NVIDIA libcompute package"
    pkg_begin
    pkg_file /usr/share/doc/nvidia-driver-580/STAND-IN 0644 "nvidia-driver-580 $v stand-in
"
    pkg_end "$d" nvidia-driver-580 "$v-0ubuntu1" amd64 "$NV" "NVIDIA driver metapackage" \
        "Depends: libnvidia-compute-580 (= $v-0ubuntu1)"
    pkg_begin
    pkg_end "$d" cuda-drivers "$v-1" amd64 "$NV" "CUDA Driver meta-package" \
        "Depends: nvidia-driver-580 (>= $v)"
    pkg_begin
    pkg_end "$d" cuda-runtime-12-8 12.8.1-1 amd64 "$NV" "CUDA Runtime 12.8 meta-package" \
        "Depends: cuda-drivers (>= 570.124.06), cuda-cudart-12-8 (>= 12.8.90)"
    pkg_begin
    pkg_end "$d" cuda-12-8 12.8.1-1 amd64 "$NV" "CUDA 12.8 meta-package (toolkit and driver)" \
        "Depends: cuda-runtime-12-8 (>= 12.8.1), cuda-toolkit-12-8 (>= 12.8.1)"
}

build_docker_packages() {
    local d="$1" m="Docker <support@docker.com>" v="5:28.5.1-1~debian.12~bookworm"
    pkg_begin
    pkg_file /usr/bin/containerd 0755 "$(script 'echo "containerd containerd.io v1.7.28 b98a3aace656320842a23f4a392a33f46af97866"')
"
    pkg_end "$d" containerd.io 1.7.28-1~debian.12~bookworm amd64 "Containerd team <help@containerd.io>" \
        "An open and reliable container runtime"
    pkg_begin
    pkg_file /usr/bin/docker 0755 "$(script 'case "$1" in
    --version|-v) echo "Docker version 28.5.1, build e180ab8" ;;
    *) echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1 ;;
esac')
"
    pkg_end "$d" docker-ce-cli "$v" amd64 "$m" "Docker CLI: the open-source application container engine"
    pkg_begin
    pkg_file /usr/bin/dockerd 0755 "$(script 'echo "Docker version 28.5.1, build f8215cc"')
"
    pkg_end "$d" docker-ce "$v" amd64 "$m" "Docker: the open-source application container engine" \
        "Depends: containerd.io (>= 1.7.27), docker-ce-cli"
}

# --- repositories -----------------------------------------------------------------------------
release() { # dir origin label [extra -o options...]
    local dir="$1" origin="$2" label="$3"; shift 3
    apt-ftparchive -o APT::FTPArchive::Release::Origin="$origin" \
        -o APT::FTPArchive::Release::Label="$label" "$@" release "$dir" > "$dir/Release.tmp"
    mv -f "$dir/Release.tmp" "$dir/Release"
}

build_cuda_repo() {
    local d="$1" short
    rm -rf "$d" && mkdir -p "$d"
    use_key cuda
    short="$(echo "${FPR: -8}" | tr 'A-F' 'a-f')"
    export_key "$d/$short.pub $d/cuda-archive-keyring.asc" "$d/cuda-archive-keyring.gpg"
    build_cuda_packages "$d"
    (cd "$d" && apt-ftparchive packages . > Packages && gzip -9nk Packages)
    release "$d" NVIDIA "NVIDIA CUDA" -o APT::FTPArchive::Release::Architectures=amd64
    sign_release "$d"
    CUDA_FPR="$FPR"; CUDA_PUB="cuda/$short.pub"
}

build_docker_repo() {
    local d="$1" dist="$1/dists/bookworm"
    rm -rf "$d" && mkdir -p "$dist/stable/binary-amd64"
    use_key docker
    export_key "$d/gpg $d/docker.asc" "$d/docker-archive-keyring.gpg"
    build_docker_packages "$d/pool/stable"
    (cd "$d" && apt-ftparchive packages pool/stable > dists/bookworm/stable/binary-amd64/Packages \
        && gzip -9nk dists/bookworm/stable/binary-amd64/Packages)
    release "$dist" Docker "Docker CE" -o APT::FTPArchive::Release::Suite=bookworm \
        -o APT::FTPArchive::Release::Codename=bookworm -o APT::FTPArchive::Release::Architectures=amd64 \
        -o APT::FTPArchive::Release::Components=stable
    sign_release "$dist"
    DOCKER_FPR="$FPR"
}

write_manifest() {
    cat > "$OUTDIR/manifest.json.tmp" << EOF
{
  "baseUrl": "$BASE_URL",
  "cuda": {
    "url": "$BASE_URL/cuda/",
    "fingerprint": "$CUDA_FPR",
    "keyArmored": "$CUDA_PUB",
    "keyBinary": "cuda/cuda-archive-keyring.gpg",
    "keyringDeb": "cuda/cuda-keyring_1.1-1_all.deb",
    "listLine": "deb [signed-by=/usr/share/keyrings/cuda-archive-keyring.gpg] $BASE_URL/cuda/ /"
  },
  "docker": {
    "url": "$BASE_URL/docker",
    "suite": "bookworm",
    "component": "stable",
    "fingerprint": "$DOCKER_FPR",
    "keyArmored": "docker/gpg",
    "keyBinary": "docker/docker-archive-keyring.gpg"
  }
}
EOF
    mv -f "$OUTDIR/manifest.json.tmp" "$OUTDIR/manifest.json"
}

if up_to_date; then
    echo "up to date: $OUTDIR"
    exit 0
fi
ensure_key cuda "NVIDIA CUDA stand-in (phoenix lab) <cudatools@lab.invalid>"
ensure_key docker "Docker Release stand-in (phoenix lab) <docker@lab.invalid>"
# Built beside the live tree (dot dirs are never served) and swapped in, so a running server
# never serves a half-built repository.
swap_in() {
    rm -rf "$OUTDIR/.$1.old"
    [ ! -e "$OUTDIR/$1" ] || mv "$OUTDIR/$1" "$OUTDIR/.$1.old"
    mv "$OUTDIR/.$1.new" "$OUTDIR/$1"
    rm -rf "$OUTDIR/.$1.old"
}
build_cuda_repo "$OUTDIR/.cuda.new"
build_docker_repo "$OUTDIR/.docker.new"
swap_in cuda
swap_in docker
write_manifest
echo "$BASE_URL" > "$STAMP"
echo "built: $OUTDIR"
