#!/usr/bin/env bash
# Tests/bench/dns-qps.sh: cached answers per second of `nostr-dns dns` versus
# dnsmasq answering an --address record, dnsperf with the same settings on
# both, alternating runs, medians; exits 1 below a ratio of 1.5 (the issue's
# bar). See Tests/bench/dns_bench.py (mode qps) for the steps.
#
#   Tests/bench/dns-qps.sh [--bin PATH] [--runs N] [--seconds S] [--min-ratio R]
#
# Default binary: dist/x86_64/nostr-dns (the Embedded build, `cross/build.sh
# x86_64`: the shipped form of the code, as on the aarch64 router), else
# .build/release/nostr-dns. Traffic stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .venv/bin/python ] || { echo "dns-qps: no .venv; run Tests/setup.sh first" >&2; exit 1; }
exec .venv/bin/python Tests/bench/dns_bench.py qps --runs 5 "$@"
