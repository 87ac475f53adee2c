#!/usr/bin/env bash
# Tests/bench/dns-allocations.sh: heap allocations per cached DNS answer in
# steady state, measured with valgrind's heap totals on the release build
# (dynamically linked, so valgrind sees malloc): `nostr-dns dns` serving
# 1,000 and then 10,000 answers for a cached name; the difference over 9,000
# must be zero (within startup noise, |difference| < 90). See Tests/bench/dns_bench.py (mode allocs).
#
#   Tests/bench/dns-allocations.sh [--bin PATH]      (default .build/release/nostr-dns)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .venv/bin/python ] || { echo "dns-allocations: no .venv; run Tests/setup.sh first" >&2; exit 1; }
exec .venv/bin/python Tests/bench/dns_bench.py allocs "$@"
