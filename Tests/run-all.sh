#!/usr/bin/env bash
# Tests/run-all.sh: the whole test suite, set-up included, on a fresh
# Debian/Ubuntu machine with a Swift 6 toolchain. This is the README's test
# command and what CI runs (.ci/run).
#
#   Tests/run-all.sh                      every stage, in order
#   Tests/run-all.sh --list               stage ids, groups and titles, one per line
#   Tests/run-all.sh --only ID[,ID...]    only these stages or groups
#   Tests/run-all.sh --skip ID[,ID...]    all but these stages or groups
#
# Each stage has a short id and a group (setup, build, unit, check, interop,
# cross, release, bench); --only and --skip take either, and may be combined (--skip
# wins). Set-up runs first unless skipped (--skip setup). Stages run in the
# order below and use what earlier ones built (the debug build, dist/): with
# --only, build those first or name them too (--only build,interop).
# A stage is one line in the list below: stage ID GROUP "TITLE" COMMAND...
# (a failed stage is reported and the next ones still run).
#
# Stages, in order (ids as --list prints them, by group); each prints its own
# result, and the script ends with one summary line "stages: N passed,
# M failed" and a non-zero exit on failure:
#   setup:   setup (Tests/setup.sh)
#   build:   build (swift build)
#   unit:    test (swift test: unit tests, vectors); example (Tests/example.sh:
#            the example package Tests/Example built against the library by
#            path, resolving a name through the Swift API against a local
#            relay); test-asan (swift test under AddressSanitizer with
#            LeakSanitizer, Tests/lsan-suppressions.txt); fuzz (every libFuzzer
#            target of Tests/fuzz for 15 s, two at a time)
#   check:   docs (the DocC catalog built with no warnings, Tests/docs.sh);
#            format (swift-format lint against .swift-format, Tests/format.sh);
#            man-page (cross/deploy/nostr-dns.8 against --help,
#            Tests/man-page.sh)
#   interop: interop (pytest, Tests/interop, against real peers: rust-nostr
#            (nostr-sdk, its LocalRelay), nostr-relay 1.14, stunnel4 and
#            nginx-light with a test CA, coturn as STUN server, network
#            namespaces; the DNS server with dig, kdig, dnspython and dnsmasq
#            (Tests/interop/test_dns.py); the mDNS responder against
#            avahi-daemon (with its own dbus-daemon), avahi-resolve, nss-mdns
#            and python-zeroconf on a veth link between two namespaces
#            (Tests/interop/test_mdns.py); fault tests of both servers
#            (Tests/interop/test_faults.py: relays killed, frozen, malicious,
#            mute or failing TLS, floods of queries and connections; answers,
#            recovery and resident memory checked); file errors that name the
#            file (Tests/interop/test_file_errors.py); secrets that never
#            leave (Tests/interop/test_secrets.py: an nsec refused before any
#            DNS query, proved by a resolver trap in a namespace; relay text
#            escaped); cache files a local user planted: links, FIFOs,
#            folders, oversized or unreadable files
#            (Tests/interop/test_planted_files.py); the cache kept on flash
#            (Tests/interop/test_flash_wear.py: its copy written at its
#            interval and at a clean stop, a reboot answered from it); the
#            attacks of the hardening issue: relays allowing few
#            subscriptions (test_relay_limits.py), big and expired records
#            (test_bounds.py), DNS rebinding (test_rebinding.py, with
#            dnsmasq's rebind protection), open forwarding and reflection
#            (test_forwarder_abuse.py), spoofed mDNS conflicts
#            (test_mdns_conflicts.py), no internet (test_offline.py), and a
#            default install that publishes nothing and asks no STUN server
#            (test_private_defaults.py, read with strace)); soak (100,000
#            distinct names against a relay allowing 10 subscriptions:
#            Tests/interop/soak_subscriptions.py); https (the HTTPS trust
#            tests, Tests/interop/test_https.py: https-demo, fetch and pin
#            against curl (--pinnedpubkey, --curves secp256k1), openssl
#            s_client with DANE (TLSA from resolve, pin and `dig` against
#            `nostr-dns dns`) and an openssl s_server impostor); interop-asan
#            (the interop tests with a binary built with AddressSanitizer)
#   cross:   aarch64 (the Embedded aarch64 build run under qemu and compared
#            with the host build, cross/test-qemu.sh); aarch64-relays
#            (publishing and resolving through real relays: ws, wss, wsn
#            through the gateway; answering dig as the DNS server and
#            python-zeroconf as the mDNS responder, all under qemu);
#            aarch64-https (the HTTPS trust tests under qemu: x509write,
#            secp256k1 TLS); armv7, armv7-relays, armv7-https (the same for
#            the armv7 (32-bit, hard-float) build under qemu-arm); deploy
#            (cross/deploy.sh into staging roots, systemd and OpenWrt,
#            Tests/deploy/test-staging.sh: modes, systemd-analyze verify, the
#            procd init script with stubs, configs accepted by the aarch64
#            binary)
#   release: release (swift build -c release); static (the fully static
#            release build)
#   bench:   bench-verify (`nostr-dns bench verify`: rates reported, not
#            asserted); verify-alloc (heap allocations per verified event,
#            valgrind: must be zero); bench-resolve (a cold `nostr-dns
#            resolve` against the proof of concept's Python stack,
#            Tests/bench/resolve-cold.sh: medians reported, ratio must be
#            >= 10); bench-wsn (wsn:// channel throughput through `nostr-dns
#            gateway` against wss:// through stunnel4 in front of the same
#            relay, Tests/bench/wsn-throughput.sh: events published and OKed
#            per second, alternating runs, ratio reported); dns-qps (the DNS
#            server against dnsmasq under dnsperf, the Embedded x86_64 build:
#            QPS ratio reported against the 1.5 bar, server CPU per answer
#            must be >= 1.1 times better than dnsmasq's); dns-memory
#            (resident memory with 10,000 cached names: must not exceed
#            dnsmasq's); dns-alloc (heap allocations per cached answer,
#            valgrind, release build: must be zero); dns-rss-1m (resident
#            memory after 1,000,000 cached queries against after 10,000 in one
#            server process, Tests/bench/dns-rss-1m.sh: within 10%); mdns (the
#            mDNS responder against avahi-daemon + dbus and python-zeroconf,
#            Tests/bench/mdns-bench.sh: idle RSS must be below avahi + dbus;
#            the median of paired latency ratios for a cached name at most
#            1.1 against either); mdns-alloc (heap allocations per answered
#            mDNS query, valgrind, release build: none on the answer path,
#            Tests/bench/mdns-allocations.sh)
set -uo pipefail
cd "$(dirname "$0")/.."

usage="usage: Tests/run-all.sh [--list] [--only ID[,ID...]] [--skip ID[,ID...]]"
list=false
only=""
skip=""
while [ $# -gt 0 ]; do
    case "$1" in
        --list) list=true ;;
        --only|--skip)
            [ $# -ge 2 ] && [ -n "$2" ] || { echo "Tests/run-all.sh: $1 needs a list of stage ids or groups ($usage)" >&2; exit 2; }
            if [ "$1" = --only ]; then only="${only:+$only,}$2"; else skip="${skip:+$skip,}$2"; fi
            shift ;;
        -h|--help) echo "$usage"; exit 0 ;;
        *) echo "Tests/run-all.sh: unknown option '$1' ($usage)" >&2; exit 2 ;;
    esac
    shift
done

ids=() groups=() titles=() commands=()
# stage ID GROUP "TITLE" COMMAND...: registers one stage (run below).
stage() {
    ids+=("$1") groups+=("$2") titles+=("$3")
    shift 3
    commands+=("$(printf '%q ' "$@")")
}
# Whether ID (of GROUP) is in the comma-separated LIST.
listed() {
    local list=",$1," id="$2" group="$3"
    [[ "$list" == *",$id,"* || "$list" == *",$group,"* ]]
}

stage setup setup "set-up" Tests/setup.sh
stage build build "swift build" swift build
stage test unit "swift test" swift test
stage example unit "example package resolves through the Swift API" Tests/example.sh
stage test-asan unit "swift test under AddressSanitizer" env ASAN_OPTIONS=detect_leaks=1 \
    LSAN_OPTIONS="suppressions=$PWD/Tests/lsan-suppressions.txt" swift test --sanitize=address --scratch-path .build-asan
stage fuzz unit "fuzz targets, 15 s each" Tests/fuzz/run.sh --seconds 15 --jobs 2
stage docs check "documentation (DocC catalog, no warnings)" Tests/docs.sh
stage format check "swift-format lint (Tests/format.sh)" Tests/format.sh
stage man-page check "man page agrees with --help (Tests/man-page.sh)" Tests/man-page.sh
stage interop interop "interop (rust-nostr)" env NOSTR_DNS_BIN="$PWD/.build/debug/nostr-dns" .venv/bin/python -m pytest -q Tests/interop \
    --ignore=Tests/interop/test_https.py
stage soak interop "100,000 names against a relay allowing 10 subscriptions" env NOSTR_DNS_BIN="$PWD/.build/debug/nostr-dns" \
    .venv/bin/python -m pytest -q -s Tests/interop/soak_subscriptions.py
stage https interop "HTTPS trust in the npub (curl, openssl DANE)" env NOSTR_DNS_BIN="$PWD/.build/debug/nostr-dns" \
    .venv/bin/python -m pytest -q Tests/interop/test_https.py
stage interop-asan interop "interop under AddressSanitizer" bash -c 'swift build --sanitize=address --scratch-path .build-asan --product nostr-dns \
    && env ASAN_OPTIONS=detect_leaks=1 NOSTR_DNS_SANITIZER=address NOSTR_DNS_BIN="$PWD/.build-asan/debug/nostr-dns" \
    .venv/bin/python -m pytest -q Tests/interop'
stage aarch64 cross "cross aarch64 under qemu" env HOST_BIN="$PWD/.build/debug/nostr-dns" cross/test-qemu.sh
stage aarch64-relays cross "relays with the aarch64 binary under qemu" Tests/interop/qemu-aarch64.sh
stage aarch64-https cross "HTTPS with the aarch64 binary under qemu" Tests/interop/qemu-cross.sh aarch64 Tests/interop/test_https.py
stage armv7 cross "cross armv7 under qemu" env HOST_BIN="$PWD/.build/debug/nostr-dns" cross/test-qemu.sh --arch armv7
stage armv7-relays cross "relays with the armv7 binary under qemu" Tests/interop/qemu-cross.sh armv7
stage armv7-https cross "HTTPS with the armv7 binary under qemu" Tests/interop/qemu-cross.sh armv7 Tests/interop/test_https.py
stage deploy cross "deploy staging root" Tests/deploy/test-staging.sh
stage release release "release build" swift build -c release
stage static release "static release build" bash -c 'swift build -c release -Xswiftc -static-executable --scratch-path .build-static \
    && file .build-static/release/nostr-dns | grep -q "statically linked" \
    && .build-static/release/nostr-dns --version'
stage bench-verify bench "bench verify" .build/release/nostr-dns bench verify
stage verify-alloc bench "no allocation per verified event" Tests/bench/verify-allocations.sh
stage bench-resolve bench "bench resolve" Tests/bench/resolve-cold.sh
stage bench-wsn bench "bench wsn vs wss" Tests/bench/wsn-throughput.sh --bin .build/release/nostr-dns
stage dns-qps bench "bench dns qps" bash -c 'cross/build.sh x86_64 >/dev/null && Tests/bench/dns-qps.sh'
stage dns-memory bench "bench dns memory" Tests/bench/dns-memory.sh
stage dns-alloc bench "no allocation per cached DNS answer" Tests/bench/dns-allocations.sh
stage dns-rss-1m bench "dns memory after 1M queries" Tests/bench/dns-rss-1m.sh
stage mdns bench "bench mdns" Tests/bench/mdns-bench.sh
stage mdns-alloc bench "no allocation per mDNS answer" Tests/bench/mdns-allocations.sh

if $list; then
    for i in "${!ids[@]}"; do
        printf '%-15s %-8s %s\n' "${ids[$i]}" "${groups[$i]}" "${titles[$i]}"
    done
    exit 0
fi
for name in ${only//,/ } ${skip//,/ }; do
    known=false
    for i in "${!ids[@]}"; do
        [ "$name" = "${ids[$i]}" ] || [ "$name" = "${groups[$i]}" ] && known=true
    done
    $known || { echo "Tests/run-all.sh: no stage or group '$name' (Tests/run-all.sh --list shows them)" >&2; exit 2; }
done

passed=0
failed=0
failures=()
for i in "${!ids[@]}"; do
    id="${ids[$i]}" group="${groups[$i]}" name="${titles[$i]}"
    if [ -n "$skip" ] && listed "$skip" "$id" "$group"; then continue; fi
    if [ -n "$only" ] && [ "$id" != setup ] && ! listed "$only" "$id" "$group"; then continue; fi
    echo
    echo "=== $name"
    start=$SECONDS
    if eval "${commands[$i]}"; then
        passed=$((passed + 1))
        echo "=== $name: ok ($((SECONDS - start)) s)"
    else
        failed=$((failed + 1))
        failures+=("$name")
        echo "=== $name: FAILED ($((SECONDS - start)) s)"
    fi
done

echo
if [ "$failed" -gt 0 ]; then
    echo "failed stages: ${failures[*]}"
fi
echo "stages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
