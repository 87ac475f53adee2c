"""Cold resolve: whole-process wall time of one lookup, nostr-dns versus the
proof of concept's Python stack (electrum-aionostr), against one local
nostr-relay 1.14, in one run, alternating.

    python Tests/bench/resolve_cold.py [--bin PATH] [-n 20] [--min-ratio 10] [--baseline-only]

Steps: start nostr-relay (gunicorn, 1 worker, temporary SQLite) on
127.0.0.1; publish one kind 30053 address record with rust-nostr (nostr-sdk);
then N times each, alternating:
  A. `nostr-dns resolve <npub> --relay ws://127.0.0.1:PORT` (a fresh process);
  B. `python Tests/bench/aionostr_lookup.py ws://127.0.0.1:PORT <hex>` (a fresh
     interpreter: imports, connect, REQ kind 30053 by author and #d, newest
     verified event, print its ip4 tags).
Every run must print exactly the published address, else the benchmark fails.
Prints min/median/mean/p90 of each and the ratio of the medians (B / A).
Exit 1 if the ratio is below --min-ratio (the issue's bar is 10), or on any error.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
sys.path.insert(0, str(REPO_ROOT / "Tests" / "interop"))

import peers  # noqa: E402  (Tests/interop/peers.py: the relay and rust-nostr helpers)

ADDRESS = "93.184.216.34"


def timed_run(argv: list[str], env: dict | None = None) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, env=env, timeout=60)
    return time.perf_counter() - start, proc


def check(name: str, proc: subprocess.CompletedProcess):
    text = proc.stdout.decode("utf-8", "replace")
    if proc.returncode != 0 or text.split() != [ADDRESS]:
        raise SystemExit(f"resolve-cold: {name} gave exit {proc.returncode}, stdout {text!r}, "
                         f"stderr {proc.stderr.decode('utf-8', 'replace')[-2000:]!r}")


def summary(name: str, xs: list[float]) -> str:
    ms = sorted(x * 1000 for x in xs)
    p90 = ms[min(len(ms) - 1, int(round(0.9 * (len(ms) - 1))))]
    return (f"{name:<28} n={len(ms):<3} min {ms[0]:8.1f} ms   median {statistics.median(ms):8.1f} ms   "
            f"mean {statistics.fmean(ms):8.1f} ms   p90 {p90:8.1f} ms")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=str(REPO_ROOT / ".build" / "release" / "nostr-dns"))
    ap.add_argument("-n", type=int, default=20)
    ap.add_argument("--min-ratio", type=float, default=10.0)
    ap.add_argument("--baseline-only", action="store_true",
                    help="time only the Python baseline (for builds without `resolve`)")
    args = ap.parse_args()

    from nostr_sdk import Keys

    binary = Path(args.bin)
    if not args.baseline_only and not binary.is_file():
        print(f"resolve-cold: no binary at {binary} (swift build -c release)", file=sys.stderr)
        return 1

    with tempfile.TemporaryDirectory(prefix="resolve-cold-") as tmp:
        relay = peers.NostrRelay(Path(tmp) / "relay")
        try:
            relay.start()
            keys = Keys.generate()
            ev = peers.sdk_event(keys, 30053, "", [["d", ""], ["ip4", ADDRESS], ["alt", "DNS records"]])
            peers.sdk_publish_ok(relay.url, ev)
            npub, pubkey = keys.public_key().to_bech32(), keys.public_key().to_hex()

            home = Path(tmp) / "home"
            home.mkdir(mode=0o700)
            env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
                   "LC_ALL": "C.UTF-8"}
            ours = [str(binary), "resolve", npub, "--relay", relay.url]
            theirs = [sys.executable, str(HERE / "aionostr_lookup.py"), relay.url, pubkey]

            print(f"relay: nostr-relay 1.14 at {relay.url}; record: kind 30053 d='' ip4 {ADDRESS}")
            print(f"A: {' '.join(ours[:2])} <npub> --relay {relay.url}")
            print(f"B: python aionostr_lookup.py (electrum-aionostr "
                  f"{_version('electrum-aionostr')}, Python {sys.version.split()[0]})")

            # one unmeasured run each: page cache, relay warm-up
            t, p = timed_run(theirs, env)
            check("electrum-aionostr", p)
            if not args.baseline_only:
                t, p = timed_run(ours, env)
                check("nostr-dns resolve", p)

            a_times, b_times = [], []
            for _ in range(args.n):
                if not args.baseline_only:
                    t, p = timed_run(ours, env)
                    check("nostr-dns resolve", p)
                    a_times.append(t)
                t, p = timed_run(theirs, env)
                check("electrum-aionostr", p)
                b_times.append(t)
        finally:
            relay.stop()

    print(summary("B electrum-aionostr (Python)", b_times))
    if args.baseline_only:
        print("resolve-cold: baseline only; nostr-dns not measured")
        return 0
    print(summary("A nostr-dns resolve", a_times))
    ratio = statistics.median(b_times) / statistics.median(a_times)
    verdict = "ok" if ratio >= args.min_ratio else "BELOW THE BAR"
    print(f"ratio of medians (B / A): {ratio:.1f}x  (bar: >= {args.min_ratio:g}x) {verdict}")
    return 0 if ratio >= args.min_ratio else 1


def _version(dist: str) -> str:
    from importlib.metadata import version
    try:
        return version(dist)
    except Exception:  # noqa: BLE001
        return "?"


if __name__ == "__main__":
    sys.exit(main())
