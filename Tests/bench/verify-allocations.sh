#!/usr/bin/env bash
# Tests/bench/verify-allocations.sh: heap allocations per verified event, in
# steady state, measured with valgrind's heap totals: `bench verify` run for 1
# and for 3 rounds over the same events; the difference in allocation calls,
# divided by the extra verifications, is what the hot path allocates.
# Exits 1 unless that is zero.
#
# Usage: Tests/bench/verify-allocations.sh [BINARY]   (default .build/release/nostr-dns)
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${1:-.build/release/nostr-dns}"
events=200

allocs() {
    valgrind --tool=memcheck "$bin" bench verify --events "$events" --rounds "$1" 2>&1 >/dev/null \
        | sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' | tr -d ,
}
a1=$(allocs 1)
a3=$(allocs 3)
extra=$((events * 2))   # verifications through the full path in rounds 2 and 3
echo "heap allocations: $a1 with 1 round, $a3 with 3 rounds; $((a3 - a1)) more for $extra more event verifications"
echo "allocations per verified event (steady state): $(( (a3 - a1) / extra ))"
[ "$a3" -eq "$a1" ]
