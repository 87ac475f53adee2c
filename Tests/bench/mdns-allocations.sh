#!/usr/bin/env bash
# Tests/bench/mdns-allocations.sh: heap allocations per answered mDNS query
# in steady state (valgrind heap totals over N and 3N queries for the own
# name and a cached npub, by legacy unicast; then 10 and 30 multicast
# queries for the npub, whose answers wait 20-120 ms in the responder's
# queue, RFC 6762 §6; Tests/bench/mdns_allocations.py). Exits 1 when
# answering allocates.
#
# Usage: Tests/bench/mdns-allocations.sh [BINARY] [N]   (default .build/release/nostr-dns, 100)
set -euo pipefail
cd "$(dirname "$0")/../.."
.venv/bin/python Tests/bench/mdns_allocations.py "${1:-.build/release/nostr-dns}" "${2:-100}"
exec .venv/bin/python Tests/bench/mdns_allocations.py "${1:-.build/release/nostr-dns}" 10 multicast
