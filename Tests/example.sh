#!/usr/bin/env bash
# Tests/example.sh: the example package (Tests/Example), a program that
# depends on the NostrDNS library by path, is built and resolves a name
# against a local relay: nostr-relay 1.14 from the test venv on a free
# loopback port, an address record published with the command-line tool
# (.build/debug/nostr-dns, built first if missing), then
# `resolve-name --relay ws://127.0.0.1:PORT <npub>.nostr` must print that
# address and nothing else. Exit 0 on success.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

swift build --product nostr-dns >/dev/null
# SwiftPM re-plans a build when the root package's folders change, not when
# a file is added to a path dependency (the library here): drop the plan so
# a new source file of the library is never missed (objects are kept).
rm -f .build-example/debug.yaml
swift build --package-path Tests/Example --scratch-path .build-example
example=$(swift build --package-path Tests/Example --scratch-path .build-example --show-bin-path)/resolve-name
[ -x "$example" ] || { echo "example.sh: $example was not built" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/nostr-dns-example.XXXXXX")
relay_pid=
cleanup() {
    # The relay runs in its own session (setsid): end its whole group
    # (gunicorn's master and worker), by its id only.
    if [ -n "$relay_pid" ]; then
        kill -TERM -- "-$relay_pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 -- "-$relay_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL -- "-$relay_pid" 2>/dev/null || true
        wait "$relay_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# nostr-relay on a free loopback port, configured as Tests/interop/peers.py does.
port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/config.yaml" <<YAML
relay_name: nostr-dns example relay
storage:
  sqlalchemy.url: sqlite+aiosqlite:///$work/nostr.sqlite3
  validators: [nostr_relay.validators.is_signed]
verification: {nip05_verification: disabled}
gunicorn:
  bind: 127.0.0.1:$port
  workers: 1
  control_socket_disable: true
  loglevel: warning
authentication: {enabled: false}
YAML
(cd "$work" && exec setsid "$repo/.venv/bin/nostr-relay" -c "$work/config.yaml" serve >"$work/relay.log" 2>&1) &
relay_pid=$!
for _ in $(seq 1 150); do
    if .venv/bin/python -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then break; fi
    sleep 0.2
done
relay=ws://127.0.0.1:$port

# A key and an address record, published with the command-line tool.
export HOME="$work/home"  # never the user's real key or config
key="$work/key/nsec"
.build/debug/nostr-dns --key "$key" keygen >/dev/null 2>&1
npub=$(.build/debug/nostr-dns --key "$key" whoami | grep -o 'npub1[0-9a-z]*' | head -1)
.build/debug/nostr-dns --relay "$relay" --key "$key" publish-ip --ip 192.0.2.7 >/dev/null

# The example resolves it through the Swift API.
got=$("$example" --relay "$relay" "$npub.nostr")
if [ "$got" != "192.0.2.7" ]; then
    echo "example.sh: resolve-name printed '$got', expected 192.0.2.7" >&2
    tail -5 "$work/relay.log" >&2 || true
    exit 1
fi
# And a name without a record is "not found" (exit 3), not an empty answer.
.build/debug/nostr-dns --key "$work/key/other" keygen >/dev/null 2>&1
stranger=$(.build/debug/nostr-dns --key "$work/key/other" whoami | grep -o 'npub1[0-9a-z]*' | head -1)
set +e
"$example" --relay "$relay" "$stranger.nostr" >/dev/null 2>&1
rc=$?
set -e
[ "$rc" -eq 3 ] || { echo "example.sh: a name without a record exited $rc, expected 3" >&2; exit 1; }
echo "example.sh: the example package resolved $npub.nostr to 192.0.2.7 through $relay"
