#!/bin/bash
# Stand-in nvidia-installer for the phoenix lab (built into NVIDIA-Linux-x86_64-@VERSION@.run).
# Accepts the real installer's options (option_table.h), fails the way the real one does, and
# installs stand-in user space files. Knobs (see lab/artifacts/README.md):
#   PHOENIX_LAB_ROOT          prefix for every path this script reads or writes (tests)
#   PHOENIX_LAB_PROC_DRIVER   "loaded module" version file (default $ROOT/proc/driver/nvidia/version)
#   PHOENIX_LAB_CONTAINER     1/0: override LXC detection (tests only)
VERSION="@VERSION@"
DESCR="NVIDIA Accelerated Graphics Driver for Linux-x86_64"
ROOT="${PHOENIX_LAB_ROOT:-}"
ROOT="${ROOT%/}"
PROC_DRIVER="${PHOENIX_LAB_PROC_DRIVER:-$ROOT/proc/driver/nvidia/version}"
PROG="$0"
ARGS=("$@")

# --- options ---------------------------------------------------------------------------------
# Long names that take no argument / take one; "no-" forms of booleans are accepted for B_.
FLAGS=" accept-license version driver-info advanced-options help silent no-questions expert
 no-precompiled-interface no-ncurses-color no-nvidia-modprobe no-kernel-modules no-kernel-module
 kernel-modules-only no-x-check no-nouveau-check no-distro-scripts no-opengl-files no-wine-files
 no-kernel-module-source no-unified-memory no-drm no-peermem no-libglx-indirect
 force-libglx-indirect skip-depmod sanity uninstall skip-module-unload skip-module-load
 no-abi-note no-rpms no-backup no-recursion no-network no-cc-version-check no-runlevel-check
 print-recommended-kernel-module-type add-this-kernel keep-kernel-module-source
 no-check-for-alternate-installs no-glvnd-glx-client no-glvnd-egl-client no-nvidia-persistenced
 no-install-vdpau-wrapper no-sigwinch-workaround debug run-nvidia-xconfig "
BOOLS=" disable-nouveau dkms install-libglvnd allow-installation-with-running-driver
 rebuild-initramfs systemd install-compat32-libs run-nvidia-xconfig "
WITH_ARG=" ui kernel-module-type kernel-module-build-directory concurrency-level kernel-name
 kernel-source-path kernel-output-path kernel-install-path kernel-module-source-prefix
 kernel-module-source-dir tmpdir log-file-name x-prefix x-module-path x-library-path
 x-sysconfig-path opengl-prefix opengl-libdir utility-prefix utility-libdir installer-prefix
 documentation-prefix application-profile-path compat32-chroot compat32-prefix compat32-libdir
 module-signing-secret-key module-signing-public-key module-signing-script
 module-signing-key-path module-signing-hash glvnd-egl-config-path
 egl-external-platform-config-path override-file-type-destination systemd-unit-prefix
 systemd-sleep-prefix systemd-sysconf-prefix force-selinux selinux-chcon-type
 precompiled-kernel-interfaces-path proc-mount-point force-tls force-tls-compat32
 kernel-include-path log-file "
FLAGS=" $(echo $FLAGS) "; BOOLS=" $(echo $BOOLS) "; WITH_ARG=" $(echo $WITH_ARG) " # one space apart
# Short options: letter -> long name.
declare -A SHORT=([a]=accept-license [v]=version [i]=driver-info [A]=advanced-options
  [h]=help [s]=silent [q]=no-questions [e]=expert [n]=no-precompiled-interface
  [c]=no-ncurses-color [K]=kernel-modules-only [z]=no-nouveau-check [Z]=disable-nouveau
  [X]=run-nvidia-xconfig [b]=no-backup [N]=no-network [M]=kernel-module-type
  [m]=kernel-module-build-directory [j]=concurrency-level [k]=kernel-name [l]=log-file-name)

silent=n; kernel_module=y; modules_only=n; module_type=open; allow_running=n
log_file=/var/log/nvidia-installer.log; action=install; nvidia_modprobe=y; kernel_name=""

bad_cmdline() {
    [ -n "$1" ] && echo "$PROG: $1" >&2
    nv_error "Invalid commandline, please run \`$PROG --help\` for usage information."
    exit 1
}

# nv_wrap PREFIX TEXT: word-wrap to 80 columns with a hanging indent, like the stream UI.
nv_wrap() {
    printf '%s\n' "$2" | awk -v p="$1" '{
        ind = sprintf("%" length(p) "s", ""); line = p; len = length(p); sep = ""
        n = split($0, w, / /)
        for (i = 1; i <= n; i++) {
            if (w[i] == "") { sep = sep " "; continue }
            if (len + length(sep) + length(w[i]) > 79 && len > length(p)) {
                print line; line = ind w[i]; len = length(line)
            } else { line = line sep w[i]; len += length(sep) + length(w[i]) }
            sep = " "
        }
        print line }'
}
nv_error() { { echo; nv_wrap "ERROR: " "$1"; echo; } >&2; }
nv_warn() { [ "$silent" = y ] || { echo; nv_wrap "WARNING: " "$1"; echo; }; }
nv_msg() { [ "$silent" = y ] || { echo; nv_wrap "" "$1"; }; }

set_option() { # name value
    case "$1" in
        version) print_version; exit 0 ;;
        help|advanced-options) print_help; exit 0 ;;
        driver-info) action=driver-info ;;
        uninstall) action=uninstall ;;
        sanity) action=sanity ;;
        silent) silent=y ;;
        no-kernel-modules|no-kernel-module) kernel_module=n; modules_only=n ;;
        kernel-modules-only) modules_only=y; kernel_module=y ;;
        no-nvidia-modprobe) nvidia_modprobe=n ;;
        allow-installation-with-running-driver) allow_running=y ;;
        no-allow-installation-with-running-driver) allow_running=n ;;
        log-file-name) log_file="$2" ;;
        kernel-name) kernel_name="$2" ;;
        kernel-module-type)
            case "$2" in open|proprietary) module_type="$2" ;;
                *) nv_error "Invalid kernel module type '$2'; valid types are 'open' and 'proprietary'."; exit 1 ;;
            esac ;;
        kernel-module-build-directory)
            case "$2" in kernel-open) module_type=open ;; kernel) module_type=proprietary ;;
                *) bad_cmdline "invalid kernel module build directory \"$2\"" ;;
            esac ;;
        print-recommended-kernel-module-type) echo open; exit 0 ;;
    esac
}

parse_args() {
    local i=0 a name val
    while [ $i -lt ${#ARGS[@]} ]; do
        a="${ARGS[$i]}"; val=""; name=""
        case "$a" in
            --*=*) name="${a%%=*}"; name="${name#--}"; val="${a#*=}"; has_val=y ;;
            --*) name="${a#--}"; has_val=n ;;
            -?=*) name="${SHORT[${a:1:1}]}"; val="${a#*=}"; has_val=y ;;
            -?) name="${SHORT[${a:1:1}]}"; has_val=n ;;
            -*) expand_short "$a"; i=$((i + 1)); continue ;;
            *) bad_cmdline "invalid option: \"$a\"" ;;
        esac
        [ -n "$name" ] || bad_cmdline "unrecognized option: \"$a\""
        if [[ "$WITH_ARG" == *" $name "* ]]; then
            if [ "$has_val" = n ]; then
                i=$((i + 1))
                [ $i -lt ${#ARGS[@]} ] || bad_cmdline "option \"$a\" requires an argument."
                val="${ARGS[$i]}"
            fi
            [ -n "$val" ] || bad_cmdline "option \"$a\" requires an argument."
        elif [[ "$FLAGS" == *" $name "* || "$BOOLS" == *" $name "* ]] \
            || [[ "$name" == no-* && "$BOOLS" == *" ${name#no-} "* ]]; then
            [ "$has_val" = n ] || bad_cmdline "option \"$a\" does not take an argument, but was given an argument of \"$val\"."
        else
            bad_cmdline "unrecognized option: \"$a\""
        fi
        set_option "$name" "$val"
        i=$((i + 1))
    done
}

# Grouped short flags without arguments, e.g. -asq (nvgetopt allows it).
expand_short() {
    local s="${1#-}" c k
    for ((k = 0; k < ${#s}; k++)); do
        c="${s:$k:1}"
        [ -n "${SHORT[$c]:-}" ] || bad_cmdline "unrecognized option: \"$1\""
        [[ "$WITH_ARG" == *" ${SHORT[$c]} "* ]] && bad_cmdline "unrecognized option: \"$1\""
        set_option "${SHORT[$c]}" ""
    done
}

print_version() {
    echo ""
    echo "nvidia-installer:  version $VERSION"
    echo "  The NVIDIA Software Installer for Unix/Linux."
    echo ""
    echo "  This program is used to install, upgrade and uninstall The NVIDIA Accelerated"
    echo "  Graphics Driver Set for Linux-x86_64."
    echo ""
    echo "  Copyright (C) 2003 - 2010 NVIDIA Corporation."
    echo ""
}

print_help() {
    print_version
    echo "nvidia-installer [options]"
    echo ""
    echo "  (phoenix lab stand-in: accepts the options of the real nvidia-installer $VERSION)"
}

# --- environment checks -----------------------------------------------------------------------
find_util() { # name -> path on $PATH or the installer's extra dirs (under $ROOT)
    local d IFS=:
    for d in $PATH "$ROOT/bin" "$ROOT/usr/bin" "$ROOT/sbin" "$ROOT/usr/sbin"; do
        [ -n "$d" ] && [ -f "$d/$1" ] && [ -x "$d/$1" ] && { echo "$d/$1"; return 0; }
    done
    return 1
}

check_utils() {
    local u pkg
    for u in ldconfig:glibc grep:grep dmesg:util-linux tail:coreutils; do
        find_util "${u%%:*}" >/dev/null || {
            pkg="${u#*:}"
            nv_error "Unable to find the system utility \`${u%%:*}\`; please make sure you have the package '$pkg' installed.  If you do have $pkg installed, then please check that \`${u%%:*}\` is in your PATH."
            return 1; }
    done
    for u in modprobe rmmod lsmod depmod; do
        find_util "$u" >/dev/null || {
            pkg="module-init-tools' or 'kmod"
            nv_error "Unable to find the module utility \`$u\`; please make sure you have the package '$pkg' installed.  If you do have '$pkg' installed, then please check that \`$u\` is in your PATH."
            return 1; }
    done
}

# LXC detection, in this order: PHOENIX_LAB_CONTAINER (tests), container=lxc in PID 1's
# environment (set by lxc-start for init), /dev/.lxc-boot-id (made by LXC's autodev).
in_container() {
    case "${PHOENIX_LAB_CONTAINER:-}" in 1) return 0 ;; 0) return 1 ;; esac
    { tr '\0' '\n' < /proc/1/environ; } 2>/dev/null | grep -qx 'container=lxc' && return 0
    [ -e /dev/.lxc-boot-id ]
}

loaded_version() { # version of the "loaded" kernel module, empty when none
    [ -s "$PROC_DRIVER" ] || return 0
    grep -oE '[0-9]{3,}\.[0-9]+(\.[0-9]+)?' "$PROC_DRIVER" | head -1
}

installed_record() { echo "$ROOT/var/lib/nvidia/log"; }

fail_install() {
    nv_error "$1"
    nv_error "Installation has failed.  Please see the file '$log_file' for details.  You may find suggestions on fixing installation problems in the README available on the Linux driver download page at www.nvidia.com."
    exit 1
}

MSG_LOADED="An NVIDIA kernel module 'nvidia-uvm' appears to already be loaded in your kernel.  This may be because it is in use (for example, by an X server, a CUDA program, or the NVIDIA Persistence Daemon), but this may also happen if your kernel was configured without support for module unloading.  Please be sure to exit any programs that may be using the GPU(s) before attempting to upgrade your driver.  If no GPU-based programs are running, you know that your kernel supports module unloading, and you still receive this message, then an error may have occurred that has corrupted an NVIDIA kernel module's usage count, for which the simplest remedy is to reboot your computer."
MSG_NOLOAD="Unable to load the kernel module 'nvidia.ko'.  This happens most frequently when this kernel module was built against the wrong or improperly configured kernel sources, with a version of gcc that differs from the one used to build the target kernel, or if another driver, such as nouveau, is present and prevents the NVIDIA kernel module from obtaining ownership of the NVIDIA device(s), or no NVIDIA device installed in this system is supported by this NVIDIA Linux graphics driver release."

# --- install / uninstall -------------------------------------------------------------------
record_file() { printf '1: %s\n%s\n' "$1" "$(cksum < "$ROOT$1" | awk '{print $1}')" >> "$(installed_record)"; }
record_link() { printf '2: %s\n%s\n' "$1" "$2" >> "$(installed_record)"; }

put_file() { # src dest mode
    mkdir -p "$(dirname "$ROOT$2")" && install -m "$3" "$1" "$ROOT$2" && record_file "$2"
}
put_link() { # target dest
    mkdir -p "$(dirname "$ROOT$2")" && ln -sfn "$1" "$ROOT$2" && record_link "$2" "$1"
}

remove_previous() { # uninstall whatever the record lists, like the real installer before installing
    local rec; rec="$(installed_record)"
    [ -f "$rec" ] || return 0
    awk 'NR > 2 && /^[12]: / { sub(/^[12]: /, ""); print }' "$rec" | while read -r f; do
        rm -f "$ROOT$f"
    done
    rm -f "$rec"
}

install_user_space() {
    local lib=/usr/lib/x86_64-linux-gnu
    put_file ./nvidia-smi /usr/bin/nvidia-smi 0755 || return 1
    put_file ./nvidia-installer /usr/bin/nvidia-installer 0755 || return 1
    put_link nvidia-installer /usr/bin/nvidia-uninstall || return 1
    [ "$nvidia_modprobe" = y ] && { put_file ./nvidia-modprobe /usr/bin/nvidia-modprobe 4755 || return 1; }
    put_file "./libnvidia-ml.so.$VERSION" "$lib/libnvidia-ml.so.$VERSION" 0755 || return 1
    put_link "libnvidia-ml.so.$VERSION" "$lib/libnvidia-ml.so.1" || return 1
    put_file "./libcuda.so.$VERSION" "$lib/libcuda.so.$VERSION" 0755 || return 1
    put_link "libcuda.so.$VERSION" "$lib/libcuda.so.1" || return 1
    put_link libcuda.so.1 "$lib/libcuda.so"
}

install_kernel_side() {
    local kver="${kernel_name:-$(uname -r)}" dir f
    dir="kernel-open"; [ "$module_type" = proprietary ] && dir="kernel"
    for f in nvidia nvidia-uvm nvidia-modeset nvidia-drm; do
        put_file "./$dir/$f.ko" "/lib/modules/$kver/video/$f.ko" 0644 || return 1
    done
    for f in ./firmware/*.bin; do
        put_file "$f" "/usr/lib/firmware/nvidia/$VERSION/${f##*/}" 0644 || return 1
    done
}

# Whether the loaded module is in use, as rmmod would find it: the lab's knob file, or a process of this node outside
# its containers holding an NVIDIA device open (a holder the lab starts in a private mount namespace, where a plain
# file is bound over /dev/nvidiactl: the kernel side is fake, so a real device node cannot be opened).
module_held() {
    [ -e "$ROOT/run/phoenix-lab/nvidia-in-use" ] && return 0
    [ -z "$ROOT" ] || return 1
    local p
    for p in /proc/[0-9]*; do
        ls -l "$p/fd" 2>/dev/null | grep -q ' -> /dev/nvidia' || continue
        grep -q 'lxc\.payload\|/lxc/' "$p/cgroup" 2>/dev/null && continue
        return 0
    done
    return 1
}

# The new module loads at the next boot: the lab's simulated reboot (node/reboot) moves this file into place.
stage_module_for_boot() {
    local now="$PROC_DRIVER" rc=0
    PROC_DRIVER="$ROOT/var/lib/phoenix-lab/nvidia-module-at-boot"
    load_module || rc=1
    PROC_DRIVER="$now"
    return $rc
}

load_module() { # write the "loaded module" line where /proc/driver/nvidia/version is read
    mkdir -p "$(dirname "$PROC_DRIVER")" 2>/dev/null
    if [ "$module_type" = open ]; then
        printf 'NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  %s  Release Build  (dvs-builder@U22-I3-AF03-09-1)  Sun Nov  9 00:30:06 UTC 2025\nGCC version:  gcc version 12.2.0 (Debian 12.2.0-14+deb12u1) \n' "$VERSION" > "$PROC_DRIVER"
    else
        printf 'NVRM version: NVIDIA UNIX x86_64 Kernel Module  %s  Sun Nov  9 00:30:06 UTC 2025\nGCC version:  gcc version 12.2.0 (Debian 12.2.0-14+deb12u1) \n' "$VERSION" > "$PROC_DRIVER"
    fi
}

do_install() {
    [ -f ./.manifest ] || { nv_error "No package found for installation.  Please run this utility with the '--help' option for usage information."; exit 1; }
    check_utils || exit 1
    local loaded; loaded="$(loaded_version)"
    if [ "$kernel_module" = y ] && in_container; then
        [ -n "$loaded" ] && fail_install "$MSG_LOADED"
        fail_install "$MSG_NOLOAD"
    fi
    if [ "$modules_only" = y ] && [ "$(head -1 "$(installed_record)" 2>/dev/null)" != "$VERSION" ]; then
        fail_install "The '--kernel-modules-only' option requires that the NVIDIA driver (version $VERSION) is already installed."
    fi
    local in_use=n
    if [ "$kernel_module" = y ] && [ -n "$loaded" ] && module_held; then
        [ "$allow_running" = y ] || fail_install "$MSG_LOADED"
        in_use=y
    fi
    [ "$silent" = y ] || echo "Installing '$DESCR' ($VERSION)..."
    if [ "$modules_only" = n ]; then
        remove_previous
        mkdir -p "$(dirname "$(installed_record)")" && printf '%s\n%s\n' "$VERSION" "$DESCR" > "$(installed_record)" \
            || fail_install "Unable to create backup log file '$(installed_record)'."
        install_user_space || fail_install "Unable to install the user space components."
    fi
    if [ "$kernel_module" = y ]; then
        install_kernel_side || fail_install "Unable to install the kernel module."
        if [ "$in_use" = y ]; then
            nv_warn "The NVIDIA kernel module could not be unloaded; the new kernel module will be loaded after the next reboot.  Until then, the loaded kernel module ($loaded) does not match the installed driver ($VERSION)."
            stage_module_for_boot || fail_install "Unable to install the kernel module."
        else
            load_module || fail_install "$MSG_NOLOAD"
        fi
    fi
    nv_msg "Installation of the $DESCR (version: $VERSION) is now complete."
    exit 0
}

do_uninstall() {
    local rec; rec="$(installed_record)"
    if [ ! -f "$rec" ]; then nv_msg "There is no NVIDIA driver currently installed."; exit 0; fi
    local ver; ver="$(head -1 "$rec")"
    remove_previous
    [ "$kernel_module" = y ] && ! in_container && [ -w "$PROC_DRIVER" ] && : > "$PROC_DRIVER"
    nv_msg "Uninstallation of existing driver: $DESCR ($ver) is complete."
    exit 0
}

driver_info() {
    local rec; rec="$(installed_record)"
    if [ ! -f "$rec" ]; then
        echo; nv_wrap "" "There is no NVIDIA driver currently installed."; exit 1
    fi
    echo; nv_wrap "" "The currently installed driver is: '$(sed -n 2p "$rec")' (version: $(head -1 "$rec"))."
    exit 0
}

append_log() { # the lab's record of every run: exactly one line
    local f="$ROOT$log_file"
    mkdir -p "$(dirname "$f")" 2>/dev/null
    echo "stand-in nvidia-installer $VERSION: ${ARGS[*]}" >> "$f"
}

main() {
    parse_args
    append_log
    if [ "$(id -u)" != 0 ]; then nv_error "nvidia-installer must be run as root"; exit 1; fi
    case "$action" in
        driver-info) driver_info ;;
        uninstall) do_uninstall ;;
        sanity) [ -f "$(installed_record)" ] || { nv_error "Unable to find any installed NVIDIA driver components."; exit 1; }; exit 0 ;;
        *) do_install ;;
    esac
}

main
