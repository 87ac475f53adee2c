#!/usr/bin/env bash
# Runs relay interop tests against the Embedded aarch64 binary under
# qemu-aarch64-static (built by cross/test-qemu.sh into dist/aarch64/), so the
# cross build is checked doing real work: publishing to and resolving from
# real relays over ws:// and wss://, and refusing forged events.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="$PWD/dist/aarch64/nostr-dns"
[ -x "$bin" ] || { echo "qemu-aarch64.sh: $bin is missing; run cross/build.sh aarch64" >&2; exit 1; }
wrapper="$PWD/.build-cross/nostr-dns-aarch64-qemu"
mkdir -p "$(dirname "$wrapper")"
printf '#!/bin/sh\nexec qemu-aarch64-static %s "$@"\n' "$bin" > "$wrapper"
chmod +x "$wrapper"
file "$bin" | grep -q "ARM aarch64" || { echo "qemu-aarch64.sh: $bin is not an aarch64 binary" >&2; exit 1; }
exec env NOSTR_DNS_BIN="$wrapper" .venv/bin/python -m pytest -q Tests/interop \
    -k "read_back_by_rust_nostr or over_wss or wrong_ca or seed_format or newest or attack or follow or tlsa or unreachable"
