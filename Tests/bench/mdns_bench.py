"""Benchmark of `nostr-dns mdns` against avahi-daemon 0.8 and python-zeroconf
0.154, side by side in one run, in network namespaces: each responder on a
host of its own, each host on its own veth link to the querier's host B
(so a query wakes only the responder it is for).

- Idle resident memory (VmRSS from /proc/PID/status, after the responders
  have started, probed and announced, and answered the measured queries):
  nostr-dns vs avahi-daemon plus the dbus-daemon it needs.
- Answer latency for a name each responder already has: nostr-dns for a
  published npub it has cached (one warm-up query fills the cache from the
  nostr-relay on A's loopback), avahi for its own host name, zeroconf for a
  host name it registered. Each sample is one legacy-unicast query (RFC 6762
  §6.7, from an ephemeral port on B to 224.0.0.251 on veth-b) timed from
  sendto to the reply; rounds alternate between the three responders and
  the medians are compared.

Asserts: nostr-dns RSS < avahi + dbus RSS; nostr-dns no slower than each of
the others: the median over rounds of the ratio of its latency to the
other's, the two measured back to back in the same round (so under the same
load), at most LATENCY_SLACK (scheduling noise on a shared 2-core machine).
Prints one JSON object with every figure (the plain medians too).

    mdns_bench.py BINARY [ROUNDS] [--report-only BINARY2]
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "interop"))

import dns.flags  # noqa: E402
import dns.message  # noqa: E402
from nostr_sdk import Keys  # noqa: E402

import mdns_rig  # noqa: E402
import peers  # noqa: E402

LATENCY_SLACK = 1.10
ZC_NAME = "zcbench.local."
AVAHI_NAME = "avahi-a.local."

QUERIER = r"""
import json, select, socket, sys, time
import dns.message, dns.flags
rounds = int(sys.argv[1])
pairs = [a.split("=") for a in sys.argv[2:]]
names = [n for n, _ in pairs]
via = dict(pairs)
def once(name):
    ifaddr = via[name]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(ifaddr))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    s.bind((ifaddr, 0))
    q = dns.message.make_query(name, "A"); q.flags &= ~dns.flags.RD
    wire = q.to_wire()
    t0 = time.perf_counter()
    s.sendto(wire, ("224.0.0.251", 5353))
    end = t0 + 2.0
    while True:
        left = end - time.perf_counter()
        if left <= 0:
            s.close(); return None
        r, _, _ = select.select([s], [], [], left)
        if not r:
            s.close(); return None
        data, src = s.recvfrom(9000)
        if len(data) >= 2 and data[:2] == wire[:2]:
            ms = (time.perf_counter() - t0) * 1e3
            s.close(); return ms
out = {n: [] for n in names}
for k in range(rounds):
    order = names[k % len(names):] + names[:k % len(names)]
    for n in order:
        out[n].append(once(n))
        time.sleep(0.02)
print(json.dumps(out))
"""


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def children(pid: int) -> list[int]:
    """Child processes of pid, from /proc (field 4 of /proc/N/stat is the parent)."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d.name))
    return out


def main():
    binary = Path(sys.argv[1]).resolve()
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 and not sys.argv[2].startswith("--") else 40
    extra = None
    if "--report-only" in sys.argv:
        extra = Path(sys.argv[sys.argv.index("--report-only") + 1]).resolve()
    work = Path(tempfile.mkdtemp(prefix="mdns-bench-"))
    os.chmod(work, 0o700)
    env = {k: v for k, v in os.environ.items() if k not in ("NOSTR_DNS_KEY", "NOSTR_DNS_RELAYS")}
    env["HOME"] = str(work)
    env["XDG_CONFIG_HOME"] = str(work / ".config")
    # A star: host B (the querier) has one veth link to each responder's host,
    # so a query wakes only the responder it is for (three daemons sharing one
    # port would all wake for every query, and the order the kernel wakes
    # them in would favour one).
    b = peers.Netns("qB")
    hosts = []
    for k in range(3):
        a = peers.Netns(f"r{k}")
        a.ip("link", "add", f"veth-{k}a", "type", "veth", "peer", "name", f"veth-{k}b")
        a.ip("link", "set", f"veth-{k}b", "netns", b.name)
        a.ip("addr", "add", f"198.18.{k}.1/24", "dev", f"veth-{k}a")
        b.ip("addr", "add", f"198.18.{k}.2/24", "dev", f"veth-{k}b")
        a.ip("link", "set", f"veth-{k}a", "up")
        b.ip("link", "set", f"veth-{k}b", "up")
        hosts.append(a)
    ours_ns, avahi_ns, zc_ns = hosts
    procs = []
    try:
        relay = peers.NostrRelay(work / "relay", netns=ours_ns).start()
        procs.append(relay)
        keydir = work / "keys"
        keydir.mkdir(mode=0o700)

        def key_file(name: str, keys) -> Path:
            p = keydir / name
            p.write_text(keys.secret_key().to_bech32() + "\n")
            p.chmod(0o600)
            return p

        host_keys, pub_keys = Keys.generate(), Keys.generate()
        npub_name = pub_keys.public_key().to_bech32() + ".local."
        pub = subprocess.run(ours_ns.exec_argv([binary, "--relay", relay.url, "--key", key_file("pub", pub_keys),
                                               "publish-ip", "--ip", "203.0.113.7"]),
                             capture_output=True, text=True, env=env, timeout=60)
        assert pub.returncode == 0, pub.stderr

        def start_ours(bin_path: Path, tag: str):
            p = peers.Proc(f"nostr-dns-{tag}", ours_ns.exec_argv([bin_path, "--relay", relay.url, "--key",
                                                                  key_file(f"host-{tag}", host_keys), "mdns",
                                                                  "--no-cache", "--interface", "veth-0a"]),
                           work / f"nostr-dns-{tag}.log", env=env)
            mdns_rig.wait_for_log(p, "with no conflict; announcing", timeout=30)
            return p

        ours = start_ours(binary, "main")
        procs.append(ours)
        avahi_host = mdns_rig.AvahiHost(avahi_ns, work / "avahi", "veth-1a", host_name="avahi-a")
        avahi = avahi_host.proc
        procs.append(avahi)
        zc = peers.Proc("zeroconf", zc_ns.exec_argv([
            peers.PYTHON, "-c",
            "import socket,time; from zeroconf import Zeroconf,ServiceInfo,IPVersion; "
            "z=Zeroconf(interfaces=['198.18.2.1'],ip_version=IPVersion.V4Only); "
            "i=ServiceInfo('_b._udp.local.','zcbench._b._udp.local.',addresses=[socket.inet_aton('198.18.2.1')],"
            f"port=9,server='{ZC_NAME}'); z.register_service(i); print('registered',flush=True); time.sleep(3600)"]),
            work / "zc.log")
        procs.append(zc)
        mdns_rig.wait_for_log(zc, "registered", timeout=30)
        time.sleep(2.5)  # avahi's own probing and announcing

        # Warm up: the npub into our cache (first query starts the lookup), one each for the others.
        targets = [f"{npub_name}=198.18.0.2", f"{AVAHI_NAME}=198.18.1.2", f"{ZC_NAME}=198.18.2.2"]
        warm = subprocess.run(b.exec_argv([peers.PYTHON, "-c", QUERIER, "3", *targets]),
                              capture_output=True, text=True, timeout=120)
        assert warm.returncode == 0, warm.stderr
        time.sleep(1.0)
        r = subprocess.run(b.exec_argv([peers.PYTHON, "-c", QUERIER, str(rounds), *targets]),
                           capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr
        samples = json.loads(r.stdout)
        time.sleep(2.0)  # idle

        ours_rss = rss_kb(ours.pid)
        avahi_pid = avahi.pid
        dbus = [p for p in children(avahi_pid) if "dbus-daemon" in Path(f"/proc/{p}/cmdline").read_text()]
        avahi_rss = rss_kb(avahi_pid)
        dbus_rss = sum(rss_kb(p) for p in dbus)
        zc_rss = rss_kb(zc.pid)

        def summary(values):
            got = [v for v in values if v is not None]
            return {"median_ms": round(statistics.median(got), 3) if got else None,
                    "min_ms": round(min(got), 3) if got else None, "answered": len(got), "asked": len(values)}

        lat = {"nostr-dns": summary(samples[npub_name]), "avahi": summary(samples[AVAHI_NAME]),
               "zeroconf": summary(samples[ZC_NAME])}
        def paired(other):
            """Median over rounds of ours / other, each pair measured back to back
            (the same load on the machine for both)."""
            ratios = [o / t for o, t in zip(samples[npub_name], samples[other]) if o is not None and t]
            return round(statistics.median(ratios), 3) if ratios else None

        result = {
            "binary": str(binary),
            "rss_kb": {"nostr-dns": ours_rss, "avahi-daemon": avahi_rss, "dbus-daemon": dbus_rss,
                       "avahi+dbus": avahi_rss + dbus_rss, "python-zeroconf": zc_rss},
            "rss_ratio_avahi_dbus_over_ours": round((avahi_rss + dbus_rss) / ours_rss, 2),
            "latency": lat,
            "latency_ratio_avahi_over_ours": round(lat["avahi"]["median_ms"] / lat["nostr-dns"]["median_ms"], 2),
            "latency_ratio_zeroconf_over_ours": round(lat["zeroconf"]["median_ms"] / lat["nostr-dns"]["median_ms"], 2),
            "paired_median_ours_over_avahi": paired(AVAHI_NAME),
            "paired_median_ours_over_zeroconf": paired(ZC_NAME),
        }
        if extra is not None and extra.exists():
            ours.stop()
            procs.remove(ours)
            other = start_ours(extra, "other")
            procs.append(other)
            time.sleep(1.0)
            result["rss_kb"]["nostr-dns (" + extra.name + " " + str(extra.parent.name) + ")"] = rss_kb(other.pid)
        print(json.dumps(result, indent=1))
        ok = True
        if not ours_rss < avahi_rss + dbus_rss:
            print(f"FAIL: nostr-dns RSS {ours_rss} kB is not below avahi+dbus {avahi_rss + dbus_rss} kB")
            ok = False
        for other, key in (("avahi", "paired_median_ours_over_avahi"), ("zeroconf", "paired_median_ours_over_zeroconf")):
            if lat["nostr-dns"]["answered"] < rounds or lat[other]["median_ms"] is None:
                print(f"FAIL: answers missing: {lat}")
                ok = False
                break
            if result[key] > LATENCY_SLACK:
                print(f"FAIL: nostr-dns answers slower than {other}: median of paired ratios {result[key]} "
                      f"(medians {lat['nostr-dns']['median_ms']} vs {lat[other]['median_ms']} ms)")
                ok = False
        print("mdns bench: " + ("ok" if ok else "FAILED"))
        return 0 if ok else 1
    finally:
        for p in reversed(procs):
            p.stop()
        for ns in (*hosts, b):
            ns.delete()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
