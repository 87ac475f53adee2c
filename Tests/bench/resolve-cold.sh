#!/usr/bin/env bash
# Tests/bench/resolve-cold.sh: cold `nostr-dns resolve` versus the proof of
# concept's Python stack (electrum-aionostr), whole-process wall time, N=20
# each, alternating, against one local nostr-relay 1.14. Prints medians and
# their ratio; exits non-zero if the ratio is below 10 (the issue's bar).
#
#   Tests/bench/resolve-cold.sh [--bin PATH] [-n N] [--min-ratio R] [--baseline-only]
#
# Default binary: .build/release/nostr-dns (swift build -c release).
# Needs Tests/setup.sh to have run (the .venv with nostr-relay, nostr-sdk,
# electrum-aionostr). Traffic stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .venv/bin/python ] || { echo "resolve-cold: no .venv; run Tests/setup.sh first" >&2; exit 1; }
exec .venv/bin/python Tests/bench/resolve_cold.py "$@"
