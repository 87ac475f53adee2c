#!/usr/bin/env bash
# cross/setup.sh: install what cross/build.sh and cross/test-qemu.sh need on a
# Debian or Ubuntu machine: a C cross compiler (used as the link driver), the
# target's glibc, libsecp256k1 and mbedTLS as static libraries, and
# qemu-user-static to run the aarch64 and armv7 binaries on an x86_64 host.
#
# Usage: cross/setup.sh [aarch64|armv7|x86_64|all]      (default: all)
#
# Idempotent: when every package is already installed it changes nothing and
# does not touch apt. Needs root (or sudo) only when something is missing.
# The Swift toolchain itself is not installed here: put a Swift 6.x toolchain
# (with the Embedded Swift stdlib) on PATH first; `swiftc` must be found.
# The linker is the toolchain's own ld.lld (GNU ld fails on these objects
# with "copy relocation against non-copyable protected symbol").
#
# On Ubuntu, arm64 packages live on ports.ubuntu.com, not on the amd64
# archive: the script adds an arm64-only ports source and limits the existing
# Ubuntu sources to the host architecture (backups: *.nostr-dns.bak).
#
# armv7 (Debian armhf) does not go through dpkg multiarch: a foreign
# architecture's "Multi-Arch: same" packages must have exactly the host's
# version, and on bookworm the armhf security index can lag the amd64 one
# (linux-libc-dev:armhf 6.1.176 from bookworm vs linux-libc-dev:amd64 6.1.192
# from bookworm-security blocked libc6-dev:armhf; the bookworm-security armhf
# Packages.xz also failed with "File has unexpected size"), and a foreign
# architecture whose index fails makes every later `apt-get update` fail.
# Instead a private apt instance (armhf only, its own lists under
# $CROSS_SYSROOT_ARMV7.apt, nothing in dpkg's database) downloads libc6-dev,
# linux-libc-dev, libsecp256k1-dev and libmbedtls-dev for armhf and unpacks
# them into a sysroot, $CROSS_SYSROOT_ARMV7 (default /opt/nostr-dns-cross/armhf),
# which cross/build.sh armv7 links against. The cross gcc is Debian's
# gcc-arm-linux-gnueabihf (an amd64 package). Delete the sysroot to refresh it.
#
# libsecp256k1 for the cross builds is built here from source, not taken from
# Debian's binary package: Debian configures it with the default
# --with-ecmult-window=15, whose verification tables (secp256k1_pre_g and
# pre_g_128) are 1 MiB of every static binary. The source is Debian's own
# source package of the version the host has installed (libsecp256k1-dev,
# 0.2.0-2 on bookworm), fetched by a second private apt instance with only a
# deb-src entry (lists under $CROSS_SECP256K1_DIR/src.apt, nothing in the
# system's apt configuration) and unpacked by dpkg-source; it is configured
# per target (--host, static only, the schnorrsig, extrakeys and ecdh
# modules, --with-ecmult-window=$CROSS_SECP256K1_WINDOW, default 8) and
# installed into $CROSS_SECP256K1_DIR/<arch>/ (default
# /opt/nostr-dns-cross/secp256k1/<arch>/), which cross/build.sh links ahead of
# the system library. A stamp file there records the version and flags; the
# library is rebuilt when they change. Building needs autoconf, automake,
# libtool, make and dpkg-dev (installed here).
set -euo pipefail

die() { printf 'cross/setup.sh: error: %s\n' "$*" >&2; exit 1; }
note() { printf 'cross/setup.sh: %s\n' "$*"; }

want="${1:-all}"
case "$want" in
    aarch64|armv7|x86_64|all) ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) die "unknown architecture '$want' (expected aarch64, armv7, x86_64 or all)" ;;
esac

if ! command -v dpkg >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    die "this script needs a Debian or Ubuntu system (dpkg and apt-get)"
fi

host_arch="$(dpkg --print-architecture)"   # amd64 or arm64

# Debian architecture name for each target.
deb_arch_of() {
    case "$1" in
        aarch64) echo arm64 ;;
        armv7) echo armhf ;;
        x86_64) echo amd64 ;;
    esac
}
# Debian name of the cross gcc for a target when it is not the host.
cross_gcc_pkg_of() {
    case "$1" in
        aarch64) echo gcc-aarch64-linux-gnu ;;
        armv7) echo gcc-arm-linux-gnueabihf ;;
        x86_64) echo gcc-x86-64-linux-gnu ;;
    esac
}

targets=()
if [ "$want" = all ]; then targets=(aarch64 armv7 x86_64); else targets=("$want"); fi

SYSROOT_ARMV7="${CROSS_SYSROOT_ARMV7:-/opt/nostr-dns-cross/armhf}"
# What the armv7 sysroot holds (armhf packages, unpacked).
ARMHF_PACKAGES=(libc6-dev linux-libc-dev libsecp256k1-dev libmbedtls-dev)
armv7_sysroot_ok() {
    local lib
    [ -f "$SYSROOT_ARMV7/.nostr-dns-packages" ] || return 1
    for lib in c m secp256k1 mbedtls mbedx509 mbedcrypto; do
        [ -f "$SYSROOT_ARMV7/usr/lib/arm-linux-gnueabihf/lib$lib.a" ] || return 1
    done
}

# libsecp256k1 built from source for the cross builds (see above).
SECP_DIR="${CROSS_SECP256K1_DIR:-/opt/nostr-dns-cross/secp256k1}"
SECP_WINDOW="${CROSS_SECP256K1_WINDOW:-8}"
case "$SECP_WINDOW" in
    2|3|4|5|6|7|8|9|10|11|12|13|14|15) ;;
    *) die "CROSS_SECP256K1_WINDOW must be 2..15 (got '$SECP_WINDOW')" ;;
esac
SECP_MODULES=(--enable-module-schnorrsig --enable-module-extrakeys --enable-module-ecdh)
secp_host_of() {   # GNU triple for configure --host
    case "$1" in
        aarch64) echo aarch64-linux-gnu ;;
        armv7) echo arm-linux-gnueabihf ;;
        x86_64) echo x86_64-linux-gnu ;;
    esac
}
secp_cflags_of() {   # armv7: the float ABI and FPU that cross/build.sh uses
    case "$1" in
        armv7) echo "-O2 -march=armv7-a -mfloat-abi=hard -mfpu=vfpv3-d16" ;;
        *) echo "-O2" ;;
    esac
}
secp_version() {   # the source version: the host's libsecp256k1-dev
    dpkg-query -W -f='${Version}' "libsecp256k1-dev:$host_arch" 2>/dev/null || true
}
secp_stamp_of() {   # what the build in $SECP_DIR/<arch> must have been made with
    printf 'libsecp256k1 %s host=%s window=%s cflags=%s %s --enable-static --disable-shared\n' \
        "$(secp_version)" "$(secp_host_of "$1")" "$SECP_WINDOW" "$(secp_cflags_of "$1")" "${SECP_MODULES[*]}"
}
secp_ok() {
    [ -f "$SECP_DIR/$1/lib/libsecp256k1.a" ] && [ -f "$SECP_DIR/$1/include/secp256k1.h" ] \
        && [ -f "$SECP_DIR/$1/.nostr-dns-build" ] \
        && [ "$(cat "$SECP_DIR/$1/.nostr-dns-build")" = "$(secp_stamp_of "$1")" ]
}

packages=()
foreign_archs=()
want_armv7_sysroot=0
secp_targets=()
for t in "${targets[@]}"; do
    a="$(deb_arch_of "$t")"
    if [ "$t" = armv7 ] && [ "$a" != "$host_arch" ]; then
        # Cross gcc only; the target libraries go into the sysroot (see above).
        packages+=("$(cross_gcc_pkg_of "$t")")
        armv7_sysroot_ok || want_armv7_sysroot=1
    elif [ "$a" = "$host_arch" ]; then
        packages+=(gcc libc6-dev libsecp256k1-dev libmbedtls-dev)
    else
        foreign_archs+=("$a")
        packages+=("$(cross_gcc_pkg_of "$t")" "libc6-dev:$a" "libsecp256k1-dev:$a" "libmbedtls-dev:$a")
    fi
    # The qemu checks run the aarch64 and armv7 binaries; on an arm64 host
    # the aarch64 one runs natively.
    if { [ "$t" = aarch64 ] && [ "$host_arch" != arm64 ]; } || [ "$t" = armv7 ]; then
        packages+=(qemu-user-static)
    fi
done
# Host headers and libraries: the SwiftPM build that test-qemu.sh compares against.
packages+=(libsecp256k1-dev libmbedtls-dev)
# Building libsecp256k1 from Debian's source package (see above).
packages+=(dpkg-dev autoconf automake libtool make)
for t in "${targets[@]}"; do
    secp_ok "$t" || secp_targets+=("$t")
done

# De-duplicate, keeping order.
mapfile -t packages < <(printf '%s\n' "${packages[@]}" | awk '!seen[$0]++')

is_installed() {   # a name without :arch means the host's (libc6-dev is multi-arch)
    local q="$1"       # or an Architecture: all one (dpkg-dev, autoconf)
    case "$q" in
        *:*) ;;
        *) [ "$(dpkg-query -W -f='${Status}' "$q:all" 2>/dev/null || true)" = "install ok installed" ] && return 0
           q="$q:$host_arch" ;;
    esac
    [ "$(dpkg-query -W -f='${Status}' "$q" 2>/dev/null || true)" = "install ok installed" ]
}

missing=()
for p in "${packages[@]}"; do
    is_installed "$p" || missing+=("$p")
done

missing_archs=()
for a in "${foreign_archs[@]}"; do
    dpkg --print-foreign-architectures | grep -qx "$a" || missing_archs+=("$a")
done

check_swift() {
    if ! command -v swiftc >/dev/null 2>&1; then
        note "warning: swiftc is not on PATH; install a Swift 6.x toolchain (https://swift.org/install) before cross/build.sh"
        return
    fi
    local res
    res="$(swiftc -print-target-info 2>/dev/null | sed -n 's/.*"runtimeResourcePath": *"\(.*\)".*/\1/p' | head -n1)"
    if [ -z "$res" ] || [ ! -d "$res/embedded" ]; then
        note "warning: this swiftc has no Embedded Swift stdlib ($res/embedded); use a swift.org toolchain"
    fi
}

if [ ${#missing[@]} -eq 0 ] && [ ${#missing_archs[@]} -eq 0 ] && [ $want_armv7_sysroot -eq 0 ] \
    && [ ${#secp_targets[@]} -eq 0 ]; then
    note "everything is installed already (${packages[*]})"
    check_swift
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "missing packages (${missing[*]}) and not root; run as root or install sudo"
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive

need_update=0

# Ubuntu keeps foreign architectures on ports.ubuntu.com (amd64 host) or on
# archive.ubuntu.com (arm64 host); a plain `dpkg --add-architecture` makes
# apt ask the wrong mirror and fail.
# shellcheck disable=SC1091
. /etc/os-release 2>/dev/null || true
is_ubuntu=0
case " ${ID:-} ${ID_LIKE:-} " in *" ubuntu "*) is_ubuntu=1 ;; esac

ubuntu_sources_for() {   # $1 = foreign Debian arch
    local a="$1" codename="${UBUNTU_CODENAME:-${VERSION_CODENAME:-}}" uri list
    [ -n "$codename" ] || die "cannot tell the Ubuntu release codename from /etc/os-release"
    if [ "$a" = amd64 ] || [ "$a" = i386 ]; then
        uri="http://archive.ubuntu.com/ubuntu"
    else
        uri="http://ports.ubuntu.com/ubuntu-ports"
    fi
    list="/etc/apt/sources.list.d/nostr-dns-$a.list"
    if [ ! -f "$list" ]; then
        note "adding $list ($uri, $a only)"
        printf 'deb [arch=%s] %s %s main universe\ndeb [arch=%s] %s %s-updates main universe\ndeb [arch=%s] %s %s-security main universe\n' \
            "$a" "$uri" "$codename" "$a" "$uri" "$codename" "$a" "$uri" "$codename" \
            | $SUDO tee "$list" >/dev/null
        need_update=1
    fi
    # Limit the stock Ubuntu sources to the host architecture.
    # deb822 format (Ubuntu 24.04 and later).
    local f=/etc/apt/sources.list.d/ubuntu.sources
    if [ -f "$f" ] && ! grep -q '^Architectures:' "$f"; then
        note "limiting $f to $host_arch (backup: $f.nostr-dns.bak)"
        $SUDO cp -p "$f" "$f.nostr-dns.bak"
        # Add the field after each stanza's Types: line.
        $SUDO sed -i "s/^Types:.*/&\nArchitectures: $host_arch/" "$f"
        need_update=1
    fi
    # One-line format: "deb URL ..." or "deb [options] URL ..." without arch=.
    f=/etc/apt/sources.list
    if [ -f "$f" ] && grep -E '^deb(-src)?[[:space:]]' "$f" | grep -v 'arch=' | grep -q 'ubuntu'; then
        note "limiting $f to $host_arch (backup: $f.nostr-dns.bak)"
        $SUDO cp -p "$f" "$f.nostr-dns.bak"
        $SUDO sed -Ei \
            -e "/arch=/b" \
            -e "s#^(deb(-src)?)[[:space:]]+\\[([^]]*)\\][[:space:]]+([^[:space:]]*ubuntu)#\\1 [arch=$host_arch \\3] \\4#" \
            -e "t" \
            -e "s#^(deb(-src)?)[[:space:]]+([a-z+]+://[^[:space:]]*ubuntu)#\\1 [arch=$host_arch] \\3#" \
            "$f"
        need_update=1
    fi
}

for a in "${missing_archs[@]}"; do
    note "adding dpkg architecture $a"
    $SUDO dpkg --add-architecture "$a"
    need_update=1
done
if [ $is_ubuntu -eq 1 ]; then
    for a in "${foreign_archs[@]}"; do ubuntu_sources_for "$a"; done
fi

# Refresh the package lists only when they cannot supply what is missing.
if [ $need_update -eq 0 ]; then
    for p in "${missing[@]}"; do
        cand="$(apt-cache policy "$p" 2>/dev/null | sed -n 's/^ *Candidate: *//p' | head -n1)"
        if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then need_update=1; break; fi
    done
fi
if [ $need_update -eq 1 ]; then
    note "apt-get update"
    # A mirror that is mid-sync makes update fail for one index; retry once,
    # then go on and let the install decide whether what it needs is there.
    if ! $SUDO apt-get update -q; then
        sleep 5
        $SUDO apt-get update -q || note "warning: apt-get update reported errors; trying the install anyway"
    fi
fi

if [ ${#missing[@]} -gt 0 ]; then
    note "installing: ${missing[*]}"
    $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" \
        || die "apt-get install failed for: ${missing[*]} (see the apt messages above; a foreign-architecture package must have the same version as the host's, so a partial 'apt-get update' or mixed mirrors can block it)"
fi

for p in "${packages[@]}"; do
    is_installed "$p" || die "package $p is still not installed"
done

# The armv7 sysroot, through a private armhf-only apt instance.
make_armv7_sysroot() {
    local aptdir="$SYSROOT_ARMV7.apt" tmp
    $SUDO mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial"
    [ -f "$aptdir/status" ] || $SUDO touch "$aptdir/status"
    local apt=(apt-get -q
        -o APT::Architecture=armhf -o APT::Architectures::=armhf
        -o Dir::State::Lists="$aptdir/lists" -o Dir::Cache="$aptdir/cache"
        -o Dir::State::status="$aptdir/status" -o Debug::NoLocking=1
        -o Acquire::Languages=none -o APT::Sandbox::User=root)
    if [ $is_ubuntu -eq 1 ]; then
        # armhf lives on ports.ubuntu.com, not on the host's archive.
        local codename="${UBUNTU_CODENAME:-${VERSION_CODENAME:-}}"
        [ -n "$codename" ] || die "cannot tell the Ubuntu release codename from /etc/os-release"
        printf 'deb http://ports.ubuntu.com/ubuntu-ports %s main universe\ndeb http://ports.ubuntu.com/ubuntu-ports %s-updates main universe\ndeb http://ports.ubuntu.com/ubuntu-ports %s-security main universe\n' \
            "$codename" "$codename" "$codename" | $SUDO tee "$aptdir/sources.list" >/dev/null
        apt+=(-o Dir::Etc::SourceList="$aptdir/sources.list" -o Dir::Etc::SourceParts=/nonexistent)
    fi
    note "armv7: apt-get update (armhf only, lists in $aptdir)"
    # An index that fails (a mirror mid-sync) leaves the others usable.
    $SUDO "${apt[@]}" update || note "warning: the armhf apt-get update reported errors; trying the download anyway"
    tmp="$(mktemp -d)"
    chmod 755 "$tmp"
    note "armv7: downloading ${ARMHF_PACKAGES[*]} (armhf)"
    (cd "$tmp" && $SUDO "${apt[@]}" download "${ARMHF_PACKAGES[@]}") \
        || { rm -rf "$tmp"; die "downloading the armhf packages failed (${ARMHF_PACKAGES[*]})"; }
    $SUDO rm -rf "$SYSROOT_ARMV7.new"
    $SUDO mkdir -p "$SYSROOT_ARMV7.new"
    local deb
    for deb in "$tmp"/*.deb; do
        $SUDO dpkg-deb -x "$deb" "$SYSROOT_ARMV7.new"
        dpkg-deb -f "$deb" Package Version | paste -sd' ' | $SUDO tee -a "$SYSROOT_ARMV7.new/.nostr-dns-packages" >/dev/null
    done
    rm -rf "$tmp"
    $SUDO rm -rf "$SYSROOT_ARMV7"
    $SUDO mv "$SYSROOT_ARMV7.new" "$SYSROOT_ARMV7"
    armv7_sysroot_ok || die "the armv7 sysroot $SYSROOT_ARMV7 is incomplete"
    note "armv7: sysroot $SYSROOT_ARMV7: $(paste -sd';' "$SYSROOT_ARMV7/.nostr-dns-packages")"
}
if [ $want_armv7_sysroot -eq 1 ]; then
    make_armv7_sysroot
fi

# Debian's source package of libsecp256k1, unpacked once into
# $SECP_DIR/src/<version>/ (autogen.sh already run), through a private
# apt instance with a deb-src entry only.
secp_source() {
    local ver src aptdir="$SECP_DIR/src.apt" tmp
    ver="$(secp_version)"
    [ -n "$ver" ] || die "libsecp256k1-dev:$host_arch is not installed (its version picks the source)"
    src="$SECP_DIR/src/$ver"
    if [ -f "$src/.nostr-dns-ready" ]; then
        SECP_SRC="$src"
        return
    fi
    $SUDO mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial"
    [ -f "$aptdir/status" ] || $SUDO touch "$aptdir/status"
    local codename="${VERSION_CODENAME:-}" list
    if [ $is_ubuntu -eq 1 ]; then
        codename="${UBUNTU_CODENAME:-$codename}"
        [ -n "$codename" ] || die "cannot tell the Ubuntu release codename from /etc/os-release"
        list="$(printf 'deb-src http://archive.ubuntu.com/ubuntu %s main universe\ndeb-src http://archive.ubuntu.com/ubuntu %s-updates main universe\ndeb-src http://security.ubuntu.com/ubuntu %s-security main universe\n' \
            "$codename" "$codename" "$codename")"
    else
        [ -n "$codename" ] || die "cannot tell the Debian release codename from /etc/os-release"
        list="$(printf 'deb-src http://deb.debian.org/debian %s main\ndeb-src http://deb.debian.org/debian %s-updates main\ndeb-src http://deb.debian.org/debian-security %s-security main\n' \
            "$codename" "$codename" "$codename")"
    fi
    printf '%s\n' "$list" | $SUDO tee "$aptdir/sources.list" >/dev/null
    local apt=(apt-get -q
        -o Dir::State::Lists="$aptdir/lists" -o Dir::Cache="$aptdir/cache"
        -o Dir::State::status="$aptdir/status" -o Debug::NoLocking=1
        -o Acquire::Languages=none -o APT::Sandbox::User=root
        -o Dir::Etc::SourceList="$aptdir/sources.list" -o Dir::Etc::SourceParts=/nonexistent)
    note "libsecp256k1: apt-get update (deb-src only, lists in $aptdir)"
    $SUDO "${apt[@]}" update || note "warning: the deb-src apt-get update reported errors; trying the download anyway"
    tmp="$(mktemp -d)"
    chmod 755 "$tmp"
    note "libsecp256k1: downloading the source package libsecp256k1=$ver"
    # apt checks the files against the signed Sources index, so
    # dpkg-source does not need to check the .dsc signature again.
    (cd "$tmp" && $SUDO "${apt[@]}" source --download-only "libsecp256k1=$ver") \
        || { rm -rf "$tmp"; die "downloading the libsecp256k1 $ver source package failed (is deb-src reachable?)"; }
    $SUDO rm -rf "$src.new"
    $SUDO mkdir -p "$(dirname "$src")"
    (cd "$tmp" && $SUDO dpkg-source --no-check -x ./*.dsc "$src.new") \
        || { rm -rf "$tmp"; die "unpacking the libsecp256k1 source package failed"; }
    rm -rf "$tmp"
    note "libsecp256k1: autogen.sh"
    (cd "$src.new" && $SUDO ./autogen.sh >/dev/null) || die "libsecp256k1: autogen.sh failed"
    $SUDO touch "$src.new/.nostr-dns-ready"
    $SUDO rm -rf "$src"
    $SUDO mv "$src.new" "$src"
    SECP_SRC="$src"
}

# Configure, build and install one target's static libsecp256k1.
build_secp() {
    local t="$1" host cc cflags out="$SECP_DIR/$1" bld
    host="$(secp_host_of "$t")"
    cflags="$(secp_cflags_of "$t")"
    local tools=() ldflags=""
    if [ "$(deb_arch_of "$t")" = "$host_arch" ]; then
        cc=gcc
    else
        cc="$host-gcc"
        # The host's ar and ranlib may not know the target's object format.
        tools=(AR="$host-ar" RANLIB="$host-ranlib" NM="$host-nm" STRIP="$host-strip")
    fi
    command -v "$cc" >/dev/null 2>&1 || die "$cc not found (needed to build libsecp256k1 for $t)"
    if [ "$t" = armv7 ] && [ "$host_arch" != armhf ]; then
        # No armhf libc outside the sysroot (see above); configure's test
        # programs link statically against it.
        cc="$cc --sysroot=$SYSROOT_ARMV7"
        ldflags="-static"
    fi
    bld="$SECP_DIR/build/$t"
    $SUDO rm -rf "$bld" "$out.new"
    $SUDO mkdir -p "$bld"
    note "libsecp256k1: $t: configure --host=$host --with-ecmult-window=$SECP_WINDOW"
    (cd "$bld" && $SUDO "$SECP_SRC/configure" -q --host="$host" CC="$cc" CFLAGS="$cflags" \
        LDFLAGS="$ldflags" "${tools[@]}" \
        --prefix=/ --enable-static --disable-shared "${SECP_MODULES[@]}" \
        --disable-tests --disable-exhaustive-tests --disable-benchmark \
        --with-ecmult-window="$SECP_WINDOW" >/dev/null) \
        || die "libsecp256k1: configure for $t failed (see $bld/config.log)"
    note "libsecp256k1: $t: make"
    $SUDO make -s -C "$bld" -j"$(nproc 2>/dev/null || echo 2)" >/dev/null \
        || die "libsecp256k1: make for $t failed"
    $SUDO make -s -C "$bld" install DESTDIR="$out.new" >/dev/null \
        || die "libsecp256k1: make install for $t failed"
    secp_stamp_of "$t" | $SUDO tee "$out.new/.nostr-dns-build" >/dev/null
    $SUDO rm -rf "$out" "$bld"
    $SUDO mv "$out.new" "$out"
    secp_ok "$t" || die "libsecp256k1 for $t in $out is incomplete"
    note "libsecp256k1: $t: $out/lib/libsecp256k1.a ($(secp_stamp_of "$t"))"
}
if [ ${#secp_targets[@]} -gt 0 ]; then
    secp_source
    for t in "${secp_targets[@]}"; do build_secp "$t"; done
fi

# The core is written against the mbedTLS 2.28 API.
for p in "${packages[@]}"; do
    case "$p" in
        libmbedtls-dev*)
            q="$p"; case "$q" in *:*) ;; *) q="$q:$host_arch" ;; esac
            v="$(dpkg-query -W -f='${Version}' "$q" 2>/dev/null || true)"
            case "$v" in
                2.28*|*:2.28*) ;;
                *) note "warning: $p is version $v; nostr-dns is written for mbedTLS 2.28" ;;
            esac ;;
    esac
done

check_swift
note "done (${packages[*]})"
