#!/usr/bin/env bash
# Tests/setup.sh: install everything the build and the test suite need on a
# fresh Debian or Ubuntu machine (idempotent; apt runs only when something is
# missing). Needs root or sudo for apt. The Swift 6 toolchain itself must
# already be on PATH (https://www.swift.org/install/).
#
#   Tests/setup.sh            runtime libraries, cross toolchain, test peers' venv
#   Tests/setup.sh --runtime  only what `swift build` needs (libsecp256k1, mbedTLS)
#
# The Python test peers (rust-nostr's nostr-sdk, pytest, ...) go into a venv
# at .venv/ in the repository (gitignored), pinned in Tests/interop/requirements.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { printf 'Tests/setup.sh: error: %s\n' "$*" >&2; exit 1; }
command -v swift >/dev/null || die "no swift on PATH; install a Swift 6 toolchain first"

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

# Debian packages the build needs (headers + static and shared libraries).
RUNTIME_PACKAGES=(libsecp256k1-dev libmbedtls-dev)
# Debian packages the tests use beyond those: the interop peers (stunnel4 and
# nginx-light as TLS front ends of the test relay, coturn as the STUN server,
# openssl for the test CA, the HTTPS impostor and DANE checks, curl as the
# HTTPS client of the pinning tests, iproute2 for network namespaces), the DNS peers
# (dig, kdig, dnsperf, dnsmasq) and the mDNS peers (avahi-daemon with the
# dbus it needs, avahi-resolve, nss-mdns for getent); man-db and groff-base
# render the man page (Tests/man-page.sh); strace shows that a default install
# contacts no STUN server (Tests/interop/test_private_defaults.py).
TEST_PACKAGES=(python3-venv valgrind file stunnel4 nginx-light coturn openssl curl iproute2
    bind9-dnsutils knot-dnsutils dnsperf dnsmasq-base avahi-daemon avahi-utils libnss-mdns dbus
    man-db groff-base strace)

missing=()
want=("${RUNTIME_PACKAGES[@]}")
[ "${1:-}" = "--runtime" ] || want+=("${TEST_PACKAGES[@]}")
for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# pyenv or another non-Debian python3 brings its own venv module.
if [[ " ${missing[*]-} " == *" python3-venv "* ]] && python3 -c 'import venv, ensurepip' 2>/dev/null; then
    missing=("${missing[@]/python3-venv}")
fi
missing=(${missing[@]+"${missing[@]}"})
if [ ${#missing[@]} -gt 0 ]; then
    echo "Tests/setup.sh: installing ${missing[*]}"
    # Peers such as nginx and coturn are services: a policy-rc.d that exits
    # 101 stops postinst from starting them (the tests start their own
    # instances on free ports). Container images ship one; where there is
    # none, one is put in place for this install and removed after it.
    policy=/usr/sbin/policy-rc.d
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
        $SUDO chmod +x "$policy"
        trap '$SUDO rm -f "$policy"' EXIT
    fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
[ "${1:-}" = "--runtime" ] && exit 0

# The Embedded cross toolchain (aarch64, armv7 and x86_64) and qemu.
cross/setup.sh all

# The Python venv for test peers.
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
req=Tests/interop/requirements.txt
stamp=.venv/.requirements.sha256
if [ ! -f "$stamp" ] || ! sha256sum -c --status "$stamp" 2>/dev/null; then
    # electrum-ecc (the benchmark's baseline) links Debian's libsecp256k1
    # instead of compiling its own copy.
    ELECTRUM_ECC_DONT_COMPILE=1 .venv/bin/pip install -q --disable-pip-version-check -r "$req"
    sha256sum "$req" > "$stamp"
fi
echo "Tests/setup.sh: ready"
