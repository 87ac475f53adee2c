"""Heap allocations per answered mDNS query, in steady state, measured with
valgrind's heap totals (as Tests/bench/verify-allocations.sh does for
verification): the responder runs under valgrind in a network namespace of
its own (loopback only, a nostr-relay 1.14 on it), its own name and a
published npub are queried (the npub once first, so it is cached), then
N or 3N legacy-unicast queries follow, alternating between the two names;
the difference in allocation calls between the two runs, divided by the
extra queries, is what answering allocates. Both runs last the same time.
With "multicast", the queries are full mDNS queries (from port 5353) for
the npub alone, 1.15 s apart (past the 1 s rate limit and the 20-120 ms
delay): answers that wait in the responder's queue and go out from its
timer (RFC 6762 §6), N and 3N of them, in runs of 40 s.

    mdns_allocations.py BINARY [N] [multicast]
Exits 1 unless every query was answered and the difference is below one
allocation per four queries (the relay connection's own allocations vary
by a few dozen between runs; one per query would add 2N). The
binary must be dynamically linked (the SwiftPM build): valgrind cannot see
the malloc of a static one.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "interop"))

from nostr_sdk import Keys  # noqa: E402

import mdns_rig  # noqa: E402
import peers  # noqa: E402


def run(binary: Path, queries: int, work: Path, env: dict, host_key: Path, names: list[str], relay_url: str,
        ns: peers.Netns, tag: str, multicast: bool = False) -> tuple[int, int]:
    log = work / f"valgrind-{tag}.log"
    proc = peers.Proc(f"valgrind-{tag}", ns.exec_argv(["valgrind", "--tool=memcheck", binary, "--relay", relay_url,
                                                       "--key", host_key, "mdns", "--no-cache", "--interface", "lo"]),
                      log, env=env)
    try:
        mdns_rig.wait_for_log(proc, "with no conflict; announcing", timeout=120)
        for n in names:  # warm-up: the npub into the cache, every path taken once
            for _ in range(3):
                mdns_rig.tool(ns, "query", "127.0.0.1", n + ".", "A", "--wait", "1.0")
        time.sleep(2.5)  # past the announcements
        answered = 0
        start = time.time()
        if multicast:
            got = mdns_rig.tool(ns, "query", "127.0.0.1", names[-1] + ".", "A", "--port", 5353, "--count", queries,
                                "--interval", "1.15", "--wait", "1.0", timeout=200)
            answered += sum(1 for r in got["replies"] if r["answers"])
        else:
            per_name = queries // len(names)
            for n in names:
                got = mdns_rig.tool(ns, "query", "127.0.0.1", n + ".", "A", "--count", per_name, "--interval", "0.005",
                                    "--wait", "1.0", timeout=120)
                answered += sum(1 for r in got["replies"] if r["answers"])
        duration = 40.0 if multicast else 20.0
        time.sleep(max(0.0, duration - (time.time() - start)))  # same duration for both runs
        proc.signal_group(signal.SIGTERM)
        proc.popen.wait(60)
    finally:
        proc.stop()
    text = log.read_text()
    m = re.search(r"total heap usage: ([0-9,]+) allocs", text)
    if not m:
        raise RuntimeError(f"no valgrind summary in {log}:\n{text[-2000:]}")
    return int(m.group(1).replace(",", "")), answered


def main():
    binary = Path(sys.argv[1]).resolve()
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    multicast = len(sys.argv) > 3 and sys.argv[3] == "multicast"
    work = Path(tempfile.mkdtemp(prefix="mdns-alloc-"))
    os.chmod(work, 0o700)
    env = {k: v for k, v in os.environ.items() if k not in ("NOSTR_DNS_KEY", "NOSTR_DNS_RELAYS")}
    env["HOME"] = str(work)
    ns = peers.Netns("malloc")
    relay = None
    try:
        relay = peers.NostrRelay(work / "relay", netns=ns).start()
        keydir = work / "keys"
        keydir.mkdir(mode=0o700)
        host, pub = Keys.generate(), Keys.generate()
        paths = {}
        for tag, k in (("host", host), ("pub", pub)):
            p = keydir / tag
            p.write_text(k.secret_key().to_bech32() + "\n")
            p.chmod(0o600)
            paths[tag] = p
        r = subprocess.run(ns.exec_argv([binary, "--relay", relay.url, "--key", paths["pub"], "publish-ip",
                                         "--ip", "203.0.113.7", "--ip", "2001:db8::7"]),
                           capture_output=True, text=True, env=env, timeout=60)
        assert r.returncode == 0, r.stderr
        names = [host.public_key().to_bech32() + ".local", pub.public_key().to_bech32() + ".local"]
        a1, got1 = run(binary, n, work, env, paths["host"], names, relay.url, ns, "n", multicast)
        a3, got3 = run(binary, 3 * n, work, env, paths["host"], names, relay.url, ns, "3n", multicast)
        extra = 2 * n
        print(f"heap allocations: {a1} with {n} queries ({got1} answered), {a3} with {3 * n} ({got3} answered); "
              f"{a3 - a1} more for {extra} more answered queries")
        print(f"allocations per answered query (steady state): {(a3 - a1) / extra:.2f}")
        # A static binary's malloc is invisible to valgrind (0 allocations): refuse it.
        # The relay connection and timers allocate a little, at moments that
        # differ between runs (a few dozen calls either way); one allocation
        # per query would add `extra`. So: fewer than one per four queries.
        ok = a1 > 0 and got1 == n and got3 == 3 * n and (a3 - a1) * 4 < extra
        print("mdns allocations: " + ("ok" if ok else "FAILED"))
        return 0 if ok else 1
    finally:
        if relay:
            relay.stop()
        ns.delete()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
