#!/usr/bin/env bash
# Tests/bench/mdns-bench.sh: the mDNS responder against avahi-daemon (with its
# dbus-daemon) and python-zeroconf, side by side in one run on a veth link
# between two network namespaces (Tests/bench/mdns_bench.py): idle resident
# memory (must be below avahi + dbus) and the median answer latency for a
# name each responder already has (must be no worse than either's).
#
# The binary measured is the Embedded x86_64 build (dist/x86_64/nostr-dns,
# made with cross/build.sh x86_64 when missing), the form that runs on
# routers; the SwiftPM release build (.build/release/nostr-dns), when
# present, is started too and its memory reported, not asserted.
# Environment: MDNS_BENCH_ROUNDS (default 40 queries per responder).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${MDNS_BENCH_BIN:-dist/x86_64/nostr-dns}"
if [ ! -x "$bin" ]; then
    cross/build.sh x86_64 >/dev/null
fi
extra=()
[ -x .build/release/nostr-dns ] && extra=(--report-only .build/release/nostr-dns)
exec .venv/bin/python Tests/bench/mdns_bench.py "$bin" "${MDNS_BENCH_ROUNDS:-40}" "${extra[@]}"
