#!/usr/bin/env bash
# Tests/bench/dns-rss-1m.sh: resident memory (VmRSS) of `nostr-dns dns` after
# one million cached DNS queries against after ten thousand, in one server
# process (issue 9: within 10%). 1,000 names published to a local nostr-relay
# 1.14 and looked up once, then dnsperf runs through them 10 times (VmRSS read)
# and 1,000 times more (VmRSS read again); exits 1 if the ratio is above 1.10.
# See Tests/bench/dns_bench.py (mode rss1m).
#
#   Tests/bench/dns-rss-1m.sh [--bin PATH] [--names N] [--max-ratio R]
#
# Default binary: dist/x86_64/nostr-dns (the Embedded build, `cross/build.sh
# x86_64`), else .build/release/nostr-dns. Traffic stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .venv/bin/python ] || { echo "dns-rss-1m: no .venv; run Tests/setup.sh first" >&2; exit 1; }
exec .venv/bin/python Tests/bench/dns_bench.py rss1m "$@"
