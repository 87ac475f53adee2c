#!/usr/bin/env bash
# Tests/bench/dns-memory.sh: resident memory (VmRSS) of `nostr-dns dns` with
# 10,000 cached names (signed records in its cache file, verified on load,
# each name asked once) versus dnsmasq holding the same 10,000 names
# (--addn-hosts, --cache-size 10000, each asked once); exits 1 if nostr-dns
# uses more. See Tests/bench/dns_bench.py (mode memory).
#
#   Tests/bench/dns-memory.sh [--bin PATH] [--names N]
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .venv/bin/python ] || { echo "dns-memory: no .venv; run Tests/setup.sh first" >&2; exit 1; }
exec .venv/bin/python Tests/bench/dns_bench.py memory "$@"
