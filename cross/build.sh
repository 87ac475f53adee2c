#!/usr/bin/env bash
# cross/build.sh: the Embedded Swift build of nostr-dns: one static binary per
# architecture, with libsecp256k1 and mbedTLS linked in, from the same sources
# as the SwiftPM build (the Design article, "Architecture": one source tree,
# three builds).
#
# Usage: cross/build.sh [aarch64|armv7|x86_64|all]      (default: aarch64)
#
# Output:  dist/<arch>/nostr-dns            static binary (symbols kept)
#          dist/<arch>/nostr-dns.stripped   the same, stripped (what you install)
#          dist/nostr-dns-<version>-<arch>.tar.gz
#                                           release tarball: nostr-dns-<version>-<arch>/
#                                           with the stripped binary as nostr-dns, README.md
#                                           (and LICENSE when the repository has one)
#          dist/SHA256SUMS                  for every binary and tarball under dist/
#                                           (`cd dist && sha256sum -c SHA256SUMS`)
# Scratch: .build-cross/<arch>/ (objects and .swiftmodule files)
#
# Needs: swiftc (Swift 6.x toolchain with the Embedded stdlib) on PATH, and the
# C cross toolchain and target libraries that cross/setup.sh installs.
# Environment: SWIFTC (default: swiftc from PATH), CROSS_SWIFTFLAGS and
# CROSS_LDFLAGS (extra flags, appended), CROSS_SYSROOT_ARMV7 (default
# /opt/nostr-dns-cross/armhf: where cross/setup.sh unpacks Debian's armhf
# libraries when they cannot be installed through multiarch),
# CROSS_SECP256K1_DIR (default /opt/nostr-dns-cross/secp256k1: the
# libsecp256k1 that cross/setup.sh builds per architecture, in <arch>/).
#
# How: each module in MODULES below is compiled, in order, with
# `swiftc -enable-experimental-feature Embedded -wmo -Osize` into one object
# (library modules also emit a .swiftmodule for the ones after them); the
# objects are linked by the target's gcc as a driver with the toolchain's
# ld.lld (GNU ld fails with "copy relocation against non-copyable protected
# symbol") against the target's static glibc, libsecp256k1 and mbedTLS.
# libsecp256k1 (headers and libsecp256k1.a) comes from
# $CROSS_SECP256K1_DIR/<arch>/, ahead of Debian's: cross/setup.sh builds it
# from Debian's source package with a small --with-ecmult-window, because
# Debian's window 15 puts 1 MiB of verification tables into every binary.
set -euo pipefail

# Swift modules of the binary, in dependency order: "ModuleName:folder".
# Every *.swift under the folder (recursively) is compiled. The last entry is
# the executable. Keep this in step with Package.swift.
MODULES=(
    "NostrCore:Sources/NostrCore"
    "NostrPlatform:Sources/NostrPlatform"
    "nostr_dns:Sources/nostr-dns"
)
# Folders under Sources/ that are deliberately not part of the binary.
NOT_IN_BINARY=(
    "Sources/NostrDNS"   # the Swift library wrapper for other programs
)

die() { printf 'cross/build.sh: error: %s\n' "$*" >&2; exit 1; }
note() { printf 'cross/build.sh: %s\n' "$*"; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

want="${1:-aarch64}"
case "$want" in
    aarch64|armv7|x86_64) arches=("$want") ;;
    all) arches=(aarch64 armv7 x86_64) ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) die "unknown architecture '$want' (expected aarch64, armv7, x86_64 or all)" ;;
esac
[ $# -le 1 ] || die "too many arguments (usage: cross/build.sh [aarch64|armv7|x86_64|all])"

# ---- toolchain -------------------------------------------------------------

SWIFTC="${SWIFTC:-$(command -v swiftc || true)}"
[ -n "$SWIFTC" ] || die "swiftc not found on PATH; install a Swift 6.x toolchain (see cross/setup.sh)"
# Ask the compiler where its resources live rather than guessing from the
# path of `swiftc` (which may be a symlink or a swiftly proxy).
RESOURCE_DIR="$("$SWIFTC" -print-target-info 2>/dev/null \
    | sed -n 's/.*"runtimeResourcePath": *"\(.*\)".*/\1/p' | head -n1)"
if [ -z "$RESOURCE_DIR" ] || [ ! -d "$RESOURCE_DIR" ]; then
    die "cannot find the Swift toolchain's resource folder ($SWIFTC -print-target-info)"
fi
EMBEDDED_DIR="$RESOURCE_DIR/embedded"
[ -d "$EMBEDDED_DIR" ] || die "this Swift toolchain has no Embedded stdlib ($EMBEDDED_DIR); use a swift.org toolchain"
TOOLCHAIN_BIN="$(cd "$RESOURCE_DIR/../../bin" 2>/dev/null && pwd)" || TOOLCHAIN_BIN=""
if [ -z "$TOOLCHAIN_BIN" ] || [ ! -x "$TOOLCHAIN_BIN/ld.lld" ]; then
    die "ld.lld not found next to swiftc (expected $RESOURCE_DIR/../../bin/ld.lld)"
fi

host_machine="$(uname -m)"
case "$host_machine" in arm64) host_machine=aarch64 ;; amd64) host_machine=x86_64 ;; esac

# Per-architecture settings: Swift target, Debian multiarch triple, C driver.
# x86_64 uses the Embedded x86_64-unknown-linux-gnu target, not
# x86_64-unknown-none-elf: with the latter the stack protector reads a global
# __stack_chk_guard that x86_64 glibc does not have (it keeps the canary in
# TLS), and the link fails. aarch64 glibc does export __stack_chk_guard, and
# the toolchain has no Embedded aarch64-unknown-linux-gnu stdlib.
# So `#if os(Linux)` is true in the x86_64 build and false in the aarch64 one:
# sources should test `hasFeature(Embedded)`, never os(), at the edges.
# armv7 (Debian armhf: ARMv7-A, VFPv3-D16, hard-float calling convention) uses
# the Embedded armv7-none-none-eabi stdlib (there is no ...-eabihf nor
# armv7-unknown-linux-gnueabihf one) with clang's -mfloat-abi=hard and
# -mfpu=vfpv3-d16: Swift's code generation takes the float ABI and FPU from
# the Clang importer, so the objects come out with Tag_ABI_VFP_args "VFP
# registers" and Tag_FP_arch VFPv3-D16, exactly as Debian's armhf libc.a,
# libsecp256k1.a and libmbed*.a (glibc's headers also need __ARM_PCS_VFP to
# pick gnu/stubs-hard.h). Int is 32 bits there.
configure_arch() {
    ARCH_SWIFTFLAGS=()
    SYSROOT=""
    case "$1" in
        aarch64)
            SWIFT_TARGET=aarch64-none-none-elf
            MULTIARCH=aarch64-linux-gnu ;;
        armv7)
            SWIFT_TARGET=armv7-none-none-eabi
            MULTIARCH=arm-linux-gnueabihf
            ARCH_SWIFTFLAGS=(-Xcc -mfloat-abi=hard -Xcc -mfpu=vfpv3-d16) ;;
        x86_64)
            SWIFT_TARGET=x86_64-unknown-linux-gnu
            MULTIARCH=x86_64-linux-gnu ;;
    esac
    if [ "$1" = "$host_machine" ] && command -v gcc >/dev/null 2>&1; then
        CC_DRIVER=gcc
    else
        CC_DRIVER="$MULTIARCH-gcc"
    fi
    command -v "$CC_DRIVER" >/dev/null 2>&1 \
        || die "$CC_DRIVER not found; run cross/setup.sh $1"
    [ -d "$EMBEDDED_DIR/$SWIFT_TARGET" ] \
        || die "this Swift toolchain has no Embedded stdlib for $SWIFT_TARGET ($EMBEDDED_DIR/$SWIFT_TARGET)"
    LIBDIR="/usr/lib/$MULTIARCH"
    INCDIR="/usr/include/$MULTIARCH"
    BASE_INCDIR="/usr/include"
    # armv7 without multiarch: Debian's armhf packages unpacked into a
    # sysroot by cross/setup.sh (see there for why).
    if [ "$1" = armv7 ] && [ ! -f "$LIBDIR/libc.a" ]; then
        SYSROOT="${CROSS_SYSROOT_ARMV7:-/opt/nostr-dns-cross/armhf}"
        [ -d "$SYSROOT" ] || die "neither /usr/lib/$MULTIARCH/libc.a nor the sysroot $SYSROOT exists; run cross/setup.sh armv7"
        LIBDIR="$SYSROOT/usr/lib/$MULTIARCH"
        INCDIR="$SYSROOT/usr/include/$MULTIARCH"
        BASE_INCDIR="$SYSROOT/usr/include"
    fi
    [ -d "$INCDIR" ] || die "$INCDIR is missing (the $1 glibc headers); run cross/setup.sh $1"
    SECP_DIR="${CROSS_SECP256K1_DIR:-/opt/nostr-dns-cross/secp256k1}/$1"
    if [ ! -f "$SECP_DIR/lib/libsecp256k1.a" ] || [ ! -f "$SECP_DIR/include/secp256k1.h" ]; then
        die "$SECP_DIR/lib/libsecp256k1.a is missing (libsecp256k1 built from source for $1); run cross/setup.sh $1"
    fi
    local lib
    for lib in "${LINK_LIBS[@]}" c; do
        [ "$lib" != secp256k1 ] || continue
        [ -f "$LIBDIR/lib$lib.a" ] || die "$LIBDIR/lib$lib.a is missing (static $lib for $1); run cross/setup.sh $1"
    done
}

# ---- sources ---------------------------------------------------------------

# Every CSupport/<Module>/module.modulemap is an import path; the libraries
# they `link` are what the binary links, in the order the module maps give.
mapfile -t CMODULE_DIRS < <(find CSupport -mindepth 2 -maxdepth 2 -name module.modulemap -printf '%h\n' | LC_ALL=C sort)
[ ${#CMODULE_DIRS[@]} -gt 0 ] || die "no CSupport/*/module.modulemap found (run from the repository)"
mapfile -t LINK_LIBS < <(for d in "${CMODULE_DIRS[@]}"; do
    sed -n 's/^[[:space:]]*link[[:space:]]*"\([^"]*\)".*/\1/p' "$d/module.modulemap"
done | awk '!seen[$0]++')

for entry in "${MODULES[@]}"; do
    dir="${entry#*:}"
    [ -d "$dir" ] || die "module folder $dir (from MODULES in cross/build.sh) does not exist"
done
# A new folder under Sources/ that is in neither list is probably a module
# someone forgot to add here.
for dir in Sources/*/; do
    dir="${dir%/}"
    listed=0
    for entry in "${MODULES[@]}" "${NOT_IN_BINARY[@]/#/:}"; do
        [ "${entry#*:}" = "$dir" ] && listed=1
    done
    [ $listed -eq 1 ] || note "warning: $dir is not in MODULES (nor NOT_IN_BINARY) in cross/build.sh; it is not compiled"
done

swift_sources() {   # $1 = folder; prints NUL-separated, sorted paths
    find "$1" -type f -name '*.swift' -print0 | LC_ALL=C sort -z
}

# The release version, as `nostr-dns --version` prints it.
VERSION="$(sed -n 's/.*static let string *= *"\([^"]*\)".*/\1/p' Sources/NostrCore/Support/Version.swift | head -n1)"
[ -n "$VERSION" ] || die "cannot read the version from Sources/NostrCore/Support/Version.swift"

# ---- build -----------------------------------------------------------------

human() { awk -v n="$1" 'BEGIN { if (n >= 1048576) printf "%.2f MiB", n / 1048576; else printf "%.1f KiB", n / 1024 }'; }

build_arch() {
    local arch="$1"
    configure_arch "$arch"
    local scratch="$ROOT/.build-cross/$arch"
    local dist="$ROOT/dist/$arch"
    rm -rf "$scratch"
    mkdir -p "$scratch" "$dist"

    local swiftflags=(
        -target "$SWIFT_TARGET"
        -enable-experimental-feature Embedded
        -wmo -Osize -parse-as-library
        # One section per function, so that --gc-sections can drop the unused ones.
        -Xfrontend -function-sections
        -Xcc -D_GNU_SOURCE
        "${ARCH_SWIFTFLAGS[@]}"
        -Xcc -I"$SECP_DIR/include"
        -Xcc -I"$BASE_INCDIR" -Xcc -I"$INCDIR"
        -I "$scratch"
    )
    local d
    for d in "${CMODULE_DIRS[@]}"; do swiftflags+=(-I "$ROOT/$d"); done
    # shellcheck disable=SC2206
    [ -z "${CROSS_SWIFTFLAGS:-}" ] || swiftflags+=(${CROSS_SWIFTFLAGS})

    local objects=() i n=${#MODULES[@]}
    for ((i = 0; i < n; i++)); do
        local entry="${MODULES[$i]}"
        local name="${entry%%:*}" dir="${entry#*:}"
        local sources=()
        mapfile -d '' -t sources < <(swift_sources "$dir")
        [ ${#sources[@]} -gt 0 ] || die "no .swift files under $dir"
        local obj="$scratch/$name.o"
        local emit=()
        if [ $i -lt $((n - 1)) ]; then
            emit=(-emit-module -emit-module-path "$scratch/$name.swiftmodule")
        fi
        note "$arch: swiftc $name (${#sources[@]} files)"
        "$SWIFTC" "${swiftflags[@]}" -module-name "$name" "${emit[@]}" \
            -c "${sources[@]}" -o "$obj" \
            || die "$arch: compiling $name ($dir) failed"
        objects+=("$obj")
    done

    # Dependents before their dependencies for the static linker.
    local linkobjs=()
    for ((i = n - 1; i >= 0; i--)); do linkobjs+=("${objects[$i]}"); done
    local libflags=()
    local lib
    for lib in "${LINK_LIBS[@]}"; do libflags+=("-l$lib"); done

    local out="$scratch/nostr-dns"
    # shellcheck disable=SC2054  # the commas belong to -Wl,
    local ldflags=(-static -fuse-ld=lld -B "$TOOLCHAIN_BIN" -Wl,--gc-sections)
    [ -z "$SYSROOT" ] || ldflags+=(--sysroot="$SYSROOT")
    # shellcheck disable=SC2206
    [ -z "${CROSS_LDFLAGS:-}" ] || ldflags+=(${CROSS_LDFLAGS})
    note "$arch: link ($CC_DRIVER, ld.lld)"
    "$CC_DRIVER" "${ldflags[@]}" "${linkobjs[@]}" \
        -L "$SECP_DIR/lib" -L "$LIBDIR" "${libflags[@]}" \
        -L "$EMBEDDED_DIR/$SWIFT_TARGET" -lswiftUnicodeDataTables -lm \
        -o "$out" \
        || die "$arch: link failed"

    local stripped="$scratch/nostr-dns.stripped"
    if [ -x "$TOOLCHAIN_BIN/llvm-objcopy" ]; then
        "$TOOLCHAIN_BIN/llvm-objcopy" --strip-all "$out" "$stripped"
    elif command -v "$MULTIARCH-strip" >/dev/null 2>&1; then
        "$MULTIARCH-strip" --strip-all -o "$stripped" "$out"
    else
        die "no llvm-objcopy in $TOOLCHAIN_BIN and no $MULTIARCH-strip; run cross/setup.sh $arch"
    fi

    # Replace the published files only once both exist.
    cp -f "$out" "$dist/nostr-dns.tmp" && mv -f "$dist/nostr-dns.tmp" "$dist/nostr-dns"
    cp -f "$stripped" "$dist/nostr-dns.stripped.tmp" && mv -f "$dist/nostr-dns.stripped.tmp" "$dist/nostr-dns.stripped"

    make_tarball "$arch" "$stripped"
}

# dist/nostr-dns-<version>-<arch>.tar.gz: one folder nostr-dns-<version>-<arch>/
# with the stripped binary as nostr-dns, README.md and LICENSE (if any).
# Reproducible: sorted names, owner 0, fixed modes, the time of the last
# commit (or SOURCE_DATE_EPOCH), gzip without name and time.
make_tarball() {
    local arch="$1" binary="$2"
    local name="nostr-dns-$VERSION-$arch"
    local stage="$ROOT/.build-cross/$arch/tarball"
    local epoch="${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || echo 0)}"
    rm -rf "$stage"
    mkdir -p "$stage/$name"
    install -m 755 "$binary" "$stage/$name/nostr-dns"
    install -m 644 "$ROOT/README.md" "$stage/$name/README.md"
    local f
    for f in LICENSE LICENSE.md LICENSE.txt COPYING; do
        [ ! -f "$ROOT/$f" ] || install -m 644 "$ROOT/$f" "$stage/$name/$f"
    done
    tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner \
        --mtime="@$epoch" --format=gnu -cf - "$name" \
        | gzip -9 -n > "$ROOT/dist/$name.tar.gz.tmp"
    mv -f "$ROOT/dist/$name.tar.gz.tmp" "$ROOT/dist/$name.tar.gz"
    rm -rf "$stage"
}

# One build at a time in this tree (the scratch folder is shared).
mkdir -p "$ROOT/.build-cross"
if command -v flock >/dev/null 2>&1; then
    exec 9> "$ROOT/.build-cross/.lock"
    flock 9
fi

for arch in "${arches[@]}"; do
    build_arch "$arch"
done

# Checksums of every binary and tarball in dist/, including other
# architectures built before.
(
    cd "$ROOT/dist"
    { find . -mindepth 2 -maxdepth 2 -type f \( -name nostr-dns -o -name nostr-dns.stripped \) -printf '%P\n'
      find . -mindepth 1 -maxdepth 1 -type f -name 'nostr-dns-*.tar.gz' -printf '%P\n'
    } | LC_ALL=C sort | xargs -r sha256sum > SHA256SUMS.tmp
    mv -f SHA256SUMS.tmp SHA256SUMS
)

echo
echo "Embedded Swift static builds (swift target, size):"
for arch in "${arches[@]}"; do
    configure_arch "$arch"
    for f in nostr-dns nostr-dns.stripped; do
        p="dist/$arch/$f"
        s="$(stat -c %s "$p")"
        printf '  %-34s %-26s %10s bytes  (%s)\n' "$p" "$SWIFT_TARGET" "$s" "$(human "$s")"
    done
    p="dist/nostr-dns-$VERSION-$arch.tar.gz"
    s="$(stat -c %s "$p")"
    printf '  %-34s %-26s %10s bytes  (%s)\n' "$p" "" "$s" "$(human "$s")"
done
echo "  dist/SHA256SUMS"
