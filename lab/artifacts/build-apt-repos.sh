#!/bin/bash
# build-apt-repos.sh OUTDIR BASE_URL
# Builds three signed apt repositories under OUTDIR, to be served at BASE_URL:
#   OUTDIR/cuda/    flat repo like developer.download.nvidia.com/.../ubuntu2404/x86_64/ ("Suites: /"):
#                   cuda-keyring (writes its own .list + pin, like the real 1.1-1), cuda-toolkit-12-8
#                   (+ cuda-nvcc-12-8, cuda-cudart-12-8; the stand-in nvcc of cuda/nvcc.sh: real-format
#                   `nvcc --version`, "compiles" phoenix's compute check into cuda/compute-program.sh), and the
#                   driver packages phoenix must refuse (cuda-drivers, nvidia-driver-580, ...).
#   OUTDIR/docker/  like download.docker.com/linux/debian (dists/bookworm, component stable):
#                   docker-ce, docker-ce-cli (the stand-in docker of docker/docker.sh: docker run --gpus
#                   decided from the toolkit's files), containerd.io; docker-ce ships one local image.
#   OUTDIR/libnvidia-container/stable/deb/amd64/  flat repo like nvidia.github.io/libnvidia-container/...,
#                   key at OUTDIR/libnvidia-container/gpgkey (armored, as NVIDIA serves it): the NVIDIA
#                   Container Toolkit's four packages (container-toolkit/*), at two versions for pinning.
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
TOOLKIT_SRC="$(dirname "$SELF")/container-toolkit"
DOCKER_SRC="$(dirname "$SELF")/docker"
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1735689600}"
STAMP="$OUTDIR/.stamp"
for t in dpkg-deb apt-ftparchive gpg; do command -v "$t" >/dev/null || die "$t is not installed"; done

up_to_date() {
    [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$BASE_URL" ] && [ "$SELF" -ot "$STAMP" ] \
        && [ "$CUDA_SRC/nvcc.sh" -ot "$STAMP" ] && [ "$CUDA_SRC/compute-program.sh" -ot "$STAMP" ] \
        && [ -z "$(find "$TOOLKIT_SRC" "$DOCKER_SRC" -newer "$STAMP")" ] \
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

# The local image docker-ce ships: what `tar -C /var/cache/phoenix-lab/rootfs-bookworm -c . | docker import -
# phoenix-lab/cuda-base:bookworm` records in the stand-in store (docker/docker.sh import): its id and name. The
# stand-in never reads an image's files, so the tarball is not shipped.
LAB_IMAGE="phoenix-lab/cuda-base:bookworm"
LAB_IMAGE_ID="sha256:3f1c5d0b9a4e7f2c8d6b1a0e9f3c7d5b2a8e4f6c1d9b3a7e5f0c2d8b6a4e1f39"

build_docker_packages() {
    local d="$1" m="Docker <support@docker.com>" v="5:28.5.1-2~debian.12~bookworm" store
    pkg_begin
    pkg_file /usr/bin/containerd 0755 "$(script 'echo "containerd containerd.io v1.7.28 b98a3aace656320842a23f4a392a33f46af97866"')
"
    pkg_end "$d" containerd.io 1.7.28-1~debian.12~bookworm amd64 "Containerd team <help@containerd.io>" \
        "An open and reliable container runtime"
    pkg_begin
    pkg_file /usr/bin/docker 0755 "$(sed -e 's/@VERSION@/28.5.1/g' "$DOCKER_SRC/docker.sh")
"
    pkg_end "$d" docker-ce-cli "$v" amd64 "$m" "Docker CLI: the open-source application container engine"
    pkg_begin
    pkg_file /usr/bin/dockerd 0755 "$(script 'echo "Docker version 28.5.1, build f8215cc"')
"
    store="/var/lib/docker/stand-in-images/$(echo "$LAB_IMAGE" | tr / +)"
    pkg_file "$store/id" 0644 "$LAB_IMAGE_ID
"
    pkg_file "$store/ref" 0644 "$LAB_IMAGE
"
    pkg_end "$d" docker-ce "$v" amd64 "$m" "Docker: the open-source application container engine" \
        "Depends: containerd.io (>= 1.7.27), docker-ce-cli"
}

# The NVIDIA Container Toolkit's four packages at one version, with the dependencies of NVIDIA's (the toolkit
# wants its base at exactly its version, the tools at least at it).
build_toolkit_packages() { # outdir version (upstream, e.g. 1.17.8)
    local d="$1" u="$2" v="$2-1" m="NVIDIA CORPORATION <cudatools@nvidia.com>" t="$TOOLKIT_SRC" f
    tool() { sed -e "s/@VERSION@/$u/g" "$t/$1.sh"; }
    pkg_begin
    pkg_file "/usr/lib/x86_64-linux-gnu/libnvidia-container.so.$u" 0644 "stand-in libnvidia-container $u
"
    pkg_end "$d" libnvidia-container1 "$v" amd64 "$m" "NVIDIA container runtime library"
    pkg_begin
    pkg_file /usr/bin/nvidia-container-cli 0755 "$(tool nvidia-container-cli)
"
    pkg_end "$d" libnvidia-container-tools "$v" amd64 "$m" "NVIDIA container runtime library (command-line tools)" \
        "Depends: libnvidia-container1 (>= $v)"
    pkg_begin
    for f in nvidia-ctk nvidia-container-runtime; do pkg_file "/usr/bin/$f" 0755 "$(tool "$f")
"; done
    pkg_file /etc/nvidia-container-runtime/config.toml 0644 "$(cat "$t/config.toml")
"
    printf '/etc/nvidia-container-runtime/config.toml\n' > "$STAGE/DEBIAN/conffiles"
    pkg_end "$d" nvidia-container-toolkit-base "$v" amd64 "$m" "NVIDIA Container Toolkit Base"
    pkg_begin
    pkg_file /usr/bin/nvidia-container-runtime-hook 0755 "$(tool nvidia-container-runtime-hook)
"
    pkg_end "$d" nvidia-container-toolkit "$v" amd64 "$m" "NVIDIA Container toolkit" \
        "Depends: libnvidia-container-tools (>= $v), libnvidia-container-tools (<< 2.0.0), nvidia-container-toolkit-base (= $v)"
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

# Laid out like nvidia.github.io/libnvidia-container: the key at the top, the flat repository in stable/deb/amd64.
build_toolkit_repo() {
    local d="$1" repo="$1/stable/deb/amd64"
    rm -rf "$d" && mkdir -p "$repo"
    use_key toolkit
    export_key "$d/gpgkey" "$d/nvidia-container-toolkit-keyring.gpg"
    build_toolkit_packages "$repo" 1.17.8
    build_toolkit_packages "$repo" 1.18.0
    (cd "$repo" && apt-ftparchive packages . > Packages && gzip -9nk Packages)
    release "$repo" "https://nvidia.github.io/libnvidia-container/stable/deb/amd64" "libnvidia-container" \
        -o APT::FTPArchive::Release::Architectures=amd64
    sign_release "$repo"
    TOOLKIT_FPR="$FPR"
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
    "keyBinary": "docker/docker-archive-keyring.gpg",
    "image": "$LAB_IMAGE"
  },
  "containerToolkit": {
    "url": "$BASE_URL/libnvidia-container/stable/deb/amd64/",
    "keyUrl": "$BASE_URL/libnvidia-container/gpgkey",
    "fingerprint": "$TOOLKIT_FPR",
    "keyArmored": "libnvidia-container/gpgkey",
    "keyBinary": "libnvidia-container/nvidia-container-toolkit-keyring.gpg",
    "versions": ["1.17.8-1", "1.18.0-1"]
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
ensure_key toolkit "NVIDIA Container Toolkit stand-in (phoenix lab) <cudatools@lab.invalid>"
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
build_toolkit_repo "$OUTDIR/.libnvidia-container.new"
swap_in cuda
swap_in docker
swap_in libnvidia-container
write_manifest
echo "$BASE_URL" > "$STAMP"
echo "built: $OUTDIR"
