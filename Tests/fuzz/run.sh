#!/usr/bin/env bash
# Tests/fuzz/run.sh: builds the libFuzzer targets (Swift's
# -sanitize=fuzzer,address) and runs each for a chosen time, from seed
# corpora written by Tests/fuzz/seeds.py plus the corpus earlier runs grew
# (.build-fuzz/corpus/<target>). The kept crash inputs in
# Tests/fuzz/regressions/<target>/ are replayed first and must pass.
# Prints each target's executions; exits 1 on any crash, timeout or
# out-of-memory, leaving the input in .build-fuzz/crashes/<target>/ (copy it
# to Tests/fuzz/regressions/<target>/<what-it-is> once fixed).
#
#   Tests/fuzz/run.sh [--seconds N] [--jobs J] [TARGET...]
#     --seconds N  time per target (default 15; the Security article's long run: 600)
#     --jobs J     targets run side by side (default 1)
#     TARGET       some of the targets (default: all; --list names them)
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=15
jobs=1
want=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="${2:?--seconds needs a number}"; shift 2 ;;
        --jobs) jobs="${2:?--jobs needs a number}"; shift 2 ;;
        --list) want=(--list); shift ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "fuzz: unknown option $1" >&2; exit 2 ;;
        *) want+=("$1"); shift ;;
    esac
done
[[ "$seconds" =~ ^[0-9]+$ && "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz: --seconds and --jobs take numbers" >&2; exit 2; }

all=(dns dns-message mdns json event relay-message signed-record bech32 names config
     websocket-upgrade websocket-frames http-response http-request noise-acts noise-transport stun certificate)
if [ "${want[0]:-}" = --list ]; then printf '%s\n' "${all[@]}"; exit 0; fi
[ ${#want[@]} -gt 0 ] || want=("${all[@]}")
for t in "${want[@]}"; do
    [[ " ${all[*]} " == *" $t "* ]] || { echo "fuzz: no target $t (--list names them)" >&2; exit 2; }
done

work=.build-fuzz
bin=$work/release/nostr-dns-fuzz
echo "fuzz: building the targets (-sanitize=fuzzer,address)"
swift build --package-path Tests/fuzz -c release --scratch-path "$work" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library 2>&1 \
    | grep -v -e "Cannot export local symbol" -e "^\[" || true
[ -x "$bin" ] || { echo "fuzz: the build failed" >&2; exit 1; }
[ -x .venv/bin/python ] || { echo "fuzz: no .venv; run Tests/setup.sh first" >&2; exit 1; }
rm -rf "$work/seeds"
.venv/bin/python Tests/fuzz/seeds.py "$work/seeds"

# Detect leaks too (LeakSanitizer); a slow input (10 s) is a failure.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
run_target() {
    local t=$1 log=$work/logs/$1.log
    mkdir -p "$work/corpus/$t" "$work/crashes/$t" "$work/logs"
    local regressions=()
    if [ -d "Tests/fuzz/regressions/$t" ]; then
        mapfile -t regressions < <(find "Tests/fuzz/regressions/$t" -type f | sort)
    fi
    if [ ${#regressions[@]} -gt 0 ]; then
        if ! NOSTR_DNS_FUZZ_TARGET=$t "$bin" "${regressions[@]}" > "$work/logs/$t.regressions.log" 2>&1; then
            echo "$t: a kept regression input crashes again (see $work/logs/$t.regressions.log)" > "$work/logs/$t.result"
            return 1
        fi
    fi
    local rc=0
    NOSTR_DNS_FUZZ_TARGET=$t "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$work/crashes/$t/" \
        "$work/corpus/$t" "$work/seeds/$t" > "$log" 2>&1 || rc=$?
    local execs rate corpus
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    corpus=$(find "$work/corpus/$t" -type f | wc -l)
    if [ $rc -ne 0 ]; then
        echo "$t: CRASH after ${execs:-?} executions: $(grep -m1 -E 'ERROR:|Fatal error|SUMMARY' "$log" || true)" \
             "(input in $work/crashes/$t/, log $log)" > "$work/logs/$t.result"
        return 1
    fi
    printf '%-18s %12s executions in %ss (%s/s), %s regressions replayed, corpus %s\n' \
        "$t" "${execs:-?}" "$seconds" "${rate:-?}" "${#regressions[@]}" "$corpus" > "$work/logs/$t.result"
}

echo "fuzz: ${#want[@]} targets, ${seconds}s each, $jobs at a time"
pids=()
failed=0
for t in "${want[@]}"; do
    rm -f "$work/logs/$t.result"
    run_target "$t" &
    pids+=($!)
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
done
for p in "${pids[@]}"; do wait "$p" || true; done
for t in "${want[@]}"; do
    if [ -f "$work/logs/$t.result" ]; then cat "$work/logs/$t.result"; else echo "$t: no result"; fi
    grep -q "executions in" "$work/logs/$t.result" 2>/dev/null || failed=$((failed + 1))
done
if [ $failed -ne 0 ]; then
    echo "fuzz: $failed of ${#want[@]} targets FAILED"
    exit 1
fi
echo "fuzz: ${#want[@]} targets, no crash"
