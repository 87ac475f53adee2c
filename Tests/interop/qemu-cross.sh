#!/usr/bin/env bash
# Tests/interop/qemu-cross.sh [aarch64|armv7] [PYTEST ARGS...]: runs relay interop tests against
# an Embedded cross binary under qemu-user (built by cross/build.sh into
# dist/<arch>/), so the cross build is checked doing real work: publishing to
# and resolving from real relays over ws://, wss:// and wsn:// (the gateway
# under qemu too), refusing forged events, serving DNS as `nostr-dns dns` to
# dig and dnspython (a published name over UDP and TCP, TLSA, TC and TCP
# retry, the cache file after a restart without relays), and answering
# python-zeroconf as the mDNS responder on loopback in a network namespace
# (test_mdns.py). Default architecture: aarch64. PYTEST ARGS, when given,
# replace the default selection (e.g. Tests/interop/test_https.py for the
# HTTPS stage).
set -euo pipefail
cd "$(dirname "$0")/../.."
arch="${1:-aarch64}"
case "$arch" in
    aarch64) qemu=qemu-aarch64-static; file_says="ARM aarch64" ;;
    armv7) qemu=qemu-arm-static; file_says="32-bit LSB executable, ARM, EABI5" ;;
    *) echo "qemu-cross.sh: unknown architecture '$arch' (expected aarch64 or armv7)" >&2; exit 2 ;;
esac
bin="$PWD/dist/$arch/nostr-dns"
[ -x "$bin" ] || { echo "qemu-cross.sh: $bin is missing; run cross/build.sh $arch" >&2; exit 1; }
wrapper="$PWD/.build-cross/nostr-dns-$arch-qemu"
mkdir -p "$(dirname "$wrapper")"
printf '#!/bin/sh\nexec %s %s "$@"\n' "$qemu" "$bin" > "$wrapper"
chmod +x "$wrapper"
file "$bin" | grep -q "$file_says" || { echo "qemu-cross.sh: $bin is not an $arch binary" >&2; exit 1; }
shift || true
if [ $# -gt 0 ]; then
    exec env NOSTR_DNS_BIN="$wrapper" .venv/bin/python -m pytest -q "$@"
fi
exec env NOSTR_DNS_BIN="$wrapper" .venv/bin/python -m pytest -q Tests/interop \
    -k "read_back_by_rust_nostr or over_wss or wrong_ca or seed_format or newest or attack or follow or tlsa or unreachable or over_wsn or another_npub or another_key_in_the_middle or harm_no_other or dig_resolves or truncated_over_udp or restart_without_relays or mdns_on_loopback"
