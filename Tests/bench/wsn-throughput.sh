#!/usr/bin/env bash
# Tests/bench/wsn-throughput.sh: events published-and-OKed per second through
# the wsn:// channel (nostr-dns gateway) against wss:// (stunnel4) in front of
# the same nostr-relay, alternating runs, medians and their ratio reported
# (not asserted). See Tests/bench/wsn_throughput.py.
#
#   Tests/bench/wsn-throughput.sh [--bin PATH] [-n EVENTS] [--rounds R]
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .venv/bin/python ] || { echo "wsn-throughput: no .venv; run Tests/setup.sh first" >&2; exit 1; }
exec .venv/bin/python Tests/bench/wsn_throughput.py "$@"
