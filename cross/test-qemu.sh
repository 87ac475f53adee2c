#!/usr/bin/env bash
# cross/test-qemu.sh: check that an Embedded cross binary (aarch64 or armv7)
# behaves exactly like the host (SwiftPM) binary, by running both on the same
# fixed key.
#
# Usage: cross/test-qemu.sh [--arch aarch64|armv7] [--no-build]
#   --arch       which cross build to check (default: aarch64)
#   --no-build   use dist/<arch>/nostr-dns as it is (default: run cross/build.sh <arch>)
# Environment:
#   HOST_BIN     the host binary to compare against (default: .build/debug/nostr-dns,
#                built with `swift build --product nostr-dns` when it is missing)
#   CROSS_BIN    the cross binary (default: dist/<arch>/nostr-dns)
#   QEMU         the runner (default: qemu-aarch64-static / qemu-arm-static, else
#                qemu-aarch64 / qemu-arm; none when the host runs the binary natively)
#
# Checks: `--key PATH whoami` exits 0 on both with byte-identical stdout, which
# is the contract's four lines (npub, hex public key, <npub>.nostr,
# <npub>.local) for the test key; `--version` is identical on both; a bad
# command line exits 2 on both; events signed by one verify on the other; the
# cross binary answers dig as the DNS server (`dns`, UDP and TCP). Ends with `cross-qemu: N passed, M failed`
# and exits 1 if anything failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

die() { printf 'cross/test-qemu.sh: error: %s\n' "$*" >&2; exit 1; }

build=1
ARCH=aarch64
while [ $# -gt 0 ]; do
    case "$1" in
        --no-build) build=0 ;;
        --arch) [ $# -ge 2 ] || die "--arch needs a value (aarch64 or armv7)"; ARCH="$2"; shift ;;
        --arch=*) ARCH="${1#--arch=}" ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) die "unknown argument '$1' (usage: cross/test-qemu.sh [--arch aarch64|armv7] [--no-build])" ;;
    esac
    shift
done
case "$ARCH" in
    aarch64) E_MACHINE=183; QEMU_NAME=qemu-aarch64; NATIVE="aarch64 arm64" ;;   # EM_AARCH64
    armv7) E_MACHINE=40; QEMU_NAME=qemu-arm; NATIVE="armv7l armv8l" ;;          # EM_ARM
    *) die "unknown architecture '$ARCH' (expected aarch64 or armv7)" ;;
esac

# The fixed test key: secret key 0x...03 (3 * G). Both literals were computed
# independently of this project's code (a standalone Python BIP-173 bech32
# encoder checked against the NIP-19 test vectors; the public key by
# secp256k1 point arithmetic) and are constants here on purpose.
#   secret key hex 0000000000000000000000000000000000000000000000000000000000000003
TEST_NSEC="nsec1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqps52s3re"
TEST_HEX="f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9"
TEST_NPUB="npub1lycg5qvjtrp3qjf5f7zl382j9x6nrjz9sdhenvyxq8c3808qxmus6gq266"

# ---- binaries --------------------------------------------------------------

CROSS_BIN="${CROSS_BIN:-dist/$ARCH/nostr-dns}"
if [ $build -eq 1 ]; then
    "$ROOT/cross/build.sh" "$ARCH" || die "cross/build.sh $ARCH failed"
fi
[ -f "$CROSS_BIN" ] || die "$CROSS_BIN does not exist; run cross/build.sh $ARCH (or drop --no-build)"

if [ -n "${HOST_BIN:-}" ]; then
    [ -x "$HOST_BIN" ] || die "HOST_BIN=$HOST_BIN is not an executable file"
else
    HOST_BIN=".build/debug/nostr-dns"
    if [ ! -x "$HOST_BIN" ]; then
        command -v swift >/dev/null 2>&1 || die "swift not found on PATH (needed to build $HOST_BIN; or set HOST_BIN)"
        echo "cross/test-qemu.sh: building the host binary (swift build --product nostr-dns)"
        swift build --product nostr-dns || die "swift build failed"
        [ -x "$HOST_BIN" ] || die "swift build did not produce $HOST_BIN"
    fi
fi

runner=()
case " $NATIVE " in
    *" $(uname -m) "*) ;;  # runs natively
    *)
        # Absolute paths: the binaries run under `env -i`.
        q="${QEMU:-$(command -v "$QEMU_NAME-static" || command -v "$QEMU_NAME" || true)}"
        [ -n "$q" ] || die "$QEMU_NAME-static not found; run cross/setup.sh $ARCH"
        q="$(command -v "$q" || true)"
        [ -n "$q" ] || die "QEMU=${QEMU:-} is not an executable"
        runner=("$q") ;;
esac
TIMEOUT="$(command -v timeout || true)"
[ -n "$TIMEOUT" ] || die "timeout (coreutils) not found"

# ---- scratch: key file (0600) in a private folder (0700) --------------------

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
chmod 700 "$WORK"
mkdir -m 700 "$WORK/home" "$WORK/keys"
KEY="$WORK/keys/nsec"
(umask 077 && printf '%s\n' "$TEST_NSEC" > "$KEY")
chmod 600 "$KEY"

# Run one binary with a clean, identical environment; a hang counts as a failure.
# run NAME BIN ARGS...  -> $WORK/NAME.out, $WORK/NAME.err, $WORK/NAME.rc
# Standard input is $STDIN (default /dev/null).
run() {
    local name="$1" bin="$2"; shift 2
    local cmd=("$bin")
    [ "$name" = "${name#cross-}" ] || cmd=("${runner[@]}" "$bin")
    local rc=0
    env -i PATH=/usr/bin:/bin HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" LC_ALL=C \
        "$TIMEOUT" 60 "${cmd[@]}" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" < "${STDIN:-/dev/null}" || rc=$?
    echo "$rc" > "$WORK/$name.rc"
}

passed=0
failed=0
check() {   # check DESCRIPTION COMMAND...
    local desc="$1"; shift
    if "$@"; then
        passed=$((passed + 1)); echo "ok   - $desc"
    else
        failed=$((failed + 1)); echo "FAIL - $desc"
    fi
}
rc_is() { [ "$(cat "$WORK/$1.rc")" = "$2" ]; }
same_stdout() { cmp -s "$WORK/$1.out" "$WORK/$2.out"; }
show() {   # show NAME: the captured output, for the log after a failure
    echo "  --- $1: exit $(cat "$WORK/$1.rc")"
    sed 's/^/  out| /' "$WORK/$1.out" | head -n 20
    sed 's/^/  err| /' "$WORK/$1.err" | head -n 20
}

echo "host:  $HOST_BIN"
echo "cross: ${runner[*]:+${runner[*]} }$CROSS_BIN"

# The cross binary is what it should be: a static ELF for $ARCH.
is_arch_elf() {
    [ "$(od -An -c -N4 "$CROSS_BIN" | tr -d ' ')" = '177ELF' ] &&
    [ "$(od -An -tu2 -j18 -N2 "$CROSS_BIN" | tr -d ' ')" = "$E_MACHINE" ]   # e_machine
}
check "$CROSS_BIN is an $ARCH ELF" is_arch_elf
if [ "$ARCH" = armv7 ]; then
    # Debian armhf's calling convention: e_flags has EF_ARM_ABI_FLOAT_HARD (0x400).
    is_hard_float() { [ $(( $(od -An -tu4 -j36 -N4 "$CROSS_BIN" | tr -d ' ') & 0x400 )) -ne 0 ]; }
    check "$CROSS_BIN uses the hard-float ABI (EF_ARM_ABI_FLOAT_HARD)" is_hard_float
fi
if command -v readelf >/dev/null 2>&1; then
    is_static() { ! readelf -lW "$CROSS_BIN" 2>/dev/null | grep -q 'INTERP\|interpreter'; }
    check "$CROSS_BIN is statically linked (no program interpreter)" is_static
fi

# whoami with the fixed key.
run host-whoami "$HOST_BIN" --key "$KEY" whoami
run cross-whoami "$CROSS_BIN" --key "$KEY" whoami
printf '%s\n%s\n%s.nostr\n%s.local\n' "$TEST_NPUB" "$TEST_HEX" "$TEST_NPUB" "$TEST_NPUB" > "$WORK/expected-whoami.out"
npub_in() { grep -qxF "$TEST_NPUB" "$WORK/$1.out"; }
check "host:  whoami exits 0" rc_is host-whoami 0
check "cross: whoami exits 0" rc_is cross-whoami 0
check "host:  whoami prints the test key's npub" npub_in host-whoami
check "cross: whoami prints the test key's npub" npub_in cross-whoami
check "host:  whoami prints npub, hex, <npub>.nostr, <npub>.local" same_stdout host-whoami expected-whoami
check "whoami stdout is byte-identical on host and cross" same_stdout host-whoami cross-whoami
if ! same_stdout host-whoami expected-whoami || ! same_stdout host-whoami cross-whoami \
    || ! rc_is host-whoami 0 || ! rc_is cross-whoami 0; then
    echo "  --- expected whoami output:"; sed 's/^/  out| /' "$WORK/expected-whoami.out"
    show host-whoami; show cross-whoami
fi

# --version.
run host-version "$HOST_BIN" --version
run cross-version "$CROSS_BIN" --version
nonempty() { [ -s "$WORK/$1.out" ]; }
check "host:  --version exits 0" rc_is host-version 0
check "cross: --version exits 0" rc_is cross-version 0
check "host:  --version prints something" nonempty host-version
check "--version stdout is byte-identical on host and cross" same_stdout host-version cross-version
if ! same_stdout host-version cross-version || ! rc_is host-version 0 || ! rc_is cross-version 0; then
    show host-version; show cross-version
fi

# Usage errors exit 2: an unknown option and an unknown subcommand.
bad_lines=("--no-such-option" "no-such-command")
for bad in "${bad_lines[@]}"; do
    run host-bad "$HOST_BIN" --key "$KEY" "$bad"
    run cross-bad "$CROSS_BIN" --key "$KEY" "$bad"
    check "host:  'nostr-dns $bad' exits 2 (usage error)" rc_is host-bad 2
    check "cross: 'nostr-dns $bad' exits 2 (usage error)" rc_is cross-bad 2
    check "'nostr-dns $bad': same stdout on host and cross" same_stdout host-bad cross-bad
    if ! rc_is host-bad 2 || ! rc_is cross-bad 2 || ! same_stdout host-bad cross-bad; then
        show host-bad; show cross-bad
    fi
done

# Events signed by one build verify on the other (BIP-340 through the
# cross build's libsecp256k1, SHA-256 through its mbedTLS), and a tampered one fails.
CONTENT=$'quote " backslash \\ tab \t newline \n slash / e\xcc\x81 \xf0\x9f\xa6\xa9'
run cross-sign "$CROSS_BIN" --key "$KEY" event sign --kind 30053 --content "$CONTENT" --tag d, --tag ip4,192.0.2.7 --created-at 1700000000
run host-sign "$HOST_BIN" --key "$KEY" event sign --kind 30053 --content "$CONTENT" --tag d, --tag ip4,192.0.2.7 --created-at 1700000000
check "cross: event sign exits 0" rc_is cross-sign 0
check "host:  event sign exits 0" rc_is host-sign 0
STDIN="$WORK/cross-sign.out" run host-verify "$HOST_BIN" event verify
STDIN="$WORK/host-sign.out" run cross-verify "$CROSS_BIN" event verify
check "host:  verifies the event the cross build signed" rc_is host-verify 0
check "cross: verifies the event the host build signed" rc_is cross-verify 0
same_id() { [ "$(cut -c8-71 "$WORK/$1.out")" = "$(cut -c8-71 "$WORK/$2.out")" ]; }
check "both builds compute the same event id" same_id host-sign cross-sign
sed 's/192.0.2.7/192.0.2.8/' "$WORK/host-sign.out" > "$WORK/tampered.json"
STDIN="$WORK/tampered.json" run cross-tampered "$CROSS_BIN" event verify
check "cross: a tampered event fails to verify (exit 1)" rc_is cross-tampered 1
if ! rc_is host-verify 0 || ! rc_is cross-verify 0 || ! rc_is cross-tampered 1; then
    show cross-sign; show host-sign; show host-verify; show cross-verify; show cross-tampered
fi

# The cross binary as the DNS server (`dns`), asked by dig over UDP and TCP:
# the zone's SOA, an answer for an npub that is not valid (NXDOMAIN with the
# SOA, no relay needed), and the test npub with no relay reachable (SERVFAIL
# after --timeout). Named answers from real relays: Tests/interop/qemu-cross.sh.
if command -v dig >/dev/null 2>&1; then
    DNS_PORT=$(( 20000 + RANDOM % 20000 ))
    env -i PATH=/usr/bin:/bin HOME="$WORK/home" LC_ALL=C "${runner[@]}" "$CROSS_BIN" --relay ws://127.0.0.1:1 \
        dns --listen "127.0.0.1:$DNS_PORT" --no-cache --timeout 1 > "$WORK/cross-dns.out" 2> "$WORK/cross-dns.err" &
    dns_pid=$!
    for _ in $(seq 1 100); do
        dig @127.0.0.1 -p "$DNS_PORT" nostr. SOA +short +time=1 +tries=1 2>/dev/null | grep -q '^nostr\. ' && break
        sleep 0.2
    done
    dig_has() {   # dig_has PATTERN DIG-ARGS...
        local pattern="$1"; shift
        dig @127.0.0.1 -p "$DNS_PORT" +time=5 +tries=1 "$@" 2>&1 | grep -q "$pattern"
    }
    check "cross dns: nostr. SOA over UDP" dig_has '^nostr\. hostmaster\.nostr\. ' nostr. SOA +short
    check "cross dns: nostr. SOA over TCP" dig_has '^nostr\. hostmaster\.nostr\. ' nostr. SOA +short +tcp
    check "cross dns: a bad npub is NXDOMAIN" dig_has 'status: NXDOMAIN' npub1notakey.nostr A
    check "cross dns: the NXDOMAIN has the SOA in authority" dig_has '^nostr\..*SOA' npub1notakey.nostr A +noall +authority
    check "cross dns: an npub with no relay reachable is SERVFAIL" dig_has 'status: SERVFAIL' "$TEST_NPUB.nostr" A
    check "cross dns: other names are REFUSED (no --upstream)" dig_has 'status: REFUSED' example.com A
    kill "$dns_pid" 2>/dev/null; wait "$dns_pid" 2>/dev/null || true
else
    echo "skip cross dns: dig not installed (Tests/setup.sh installs bind9-dnsutils)"
fi

echo "cross-qemu: $passed passed, $failed failed"
[ $failed -eq 0 ]
