"""Relay host names are looked up without blocking the server's loop
(`RelayPoolOptions.nonBlockingLookup`, the Design article, "Relay host names").

Each test runs in its own network namespace, inside a private mount
namespace where /etc/resolv.conf (and /etc/hosts) are bind-mounted from
files of the test (`unshare -m --propagation private`): the real files are
never touched. Name servers there: a black hole (a UDP socket that reads
and never answers) and dnsmasq; nostr-relay runs in the namespace too.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

import peers
from cli import new_host, out, relay_args, show

DIG = shutil.which("dig") or "/usr/bin/dig"
DNSMASQ = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"

# Binds 127.0.0.53:53 and reads whatever comes, answering nothing.
BLACK_HOLE = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.53", 53))
print("ready", flush=True)
n = 0
while True:
    s.recvfrom(4096)
    n += 1
    print("query", n, flush=True)
"""

# Asks `nostr.` SOA every `interval` seconds for `duration` seconds; prints
# one JSON list of answer times in seconds (None for no answer in 2 s).
SOA_PROBE = """
import json, sys, time
import dns.message, dns.query, dns.rcode
port, duration, interval = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
times = []
end = time.monotonic() + duration
while time.monotonic() < end:
    q = dns.message.make_query("nostr.", "SOA")
    t = time.monotonic()
    try:
        r = dns.query.udp(q, "127.0.0.1", port=port, timeout=2)
        times.append(time.monotonic() - t if r.rcode() == dns.rcode.NOERROR and r.answer else None)
    except Exception:
        times.append(None)
    time.sleep(interval)
print(json.dumps(times))
"""


# Inside the namespace: a wsn:// channel through the gateway (handshake
# done, so the gateway starts looking its relay up), then a second one,
# timed; then how long until the gateway closes the first. One JSON object.
GATEWAY_PROBE = """
import json, socket, sys, time
sys.path.insert(0, sys.argv[1])
import bolt8
port, rs = int(sys.argv[2]), bytes.fromhex(sys.argv[3])
first = bolt8.Channel("127.0.0.1", port, rs)
time.sleep(0.5)
t = time.monotonic()
second = bolt8.Channel("127.0.0.1", port, rs)  # returns once the gateway sent act two
handshake = time.monotonic() - t
first.sock.settimeout(30)
t = time.monotonic()
try:
    closed = first.sock.recv(1) == b""
except OSError:
    closed = True
print(json.dumps({"second_handshake": handshake, "first_closed": closed, "after": time.monotonic() - t}))
"""


def private_etc(netns: peers.Netns, resolv: Path, hosts: Path | None, argv: list) -> list[str]:
    """argv run in `netns` with `resolv` (and `hosts`) bind-mounted over the
    /etc files in a private mount namespace of its own."""
    script = 'mount --bind "$0" /etc/resolv.conf || exit 97; '
    extra = []
    if hosts is not None:
        script += 'mount --bind "$1" /etc/hosts || exit 97; shift; '
        extra = [str(hosts)]
    script += 'exec "$@"'
    return netns.exec_argv(["unshare", "-m", "--propagation", "private", "sh", "-c", script,
                            str(resolv), *extra, *[str(a) for a in argv]])


def dig_short(netns, port: int, name: str, rtype: str) -> list[str]:
    """`dig +short` against the server on 127.0.0.1:PORT inside `netns`."""
    r = subprocess.run(netns.exec_argv([DIG, "@127.0.0.1", "-p", str(port), name, rtype, "+short", "+time=4",
                                        "+tries=1"]), capture_output=True, text=True)
    return r.stdout.split()


def resolves_to(netns, port: int, name: str, address: str, proc: peers.Proc):
    """Waits until `name` A is answered with `address` (the relay read through its host name)."""
    peers.wait_until(lambda: dig_short(netns, port, name, "A") == [address], 20, f"{name} A", proc, interval=0.5)


def publish_in(nostr_dns, netns, relay_factory, tmp_path: Path, *addresses: str):
    """A nostr-relay inside `netns` and a new host that published `addresses` there."""
    relay = relay_factory(netns=netns)
    host = new_host(tmp_path)
    ips = [arg for a in addresses for arg in ("--ip", a)]
    published = nostr_dns.run("--key", host.key_path, *relay_args(relay.url), "publish-ip", *ips,
                              prefix=netns.exec_argv([]), timeout=60)
    assert published.returncode == 0, show(published)
    return relay, host


def start_dns(nostr_dns, netns, tmp_path: Path, relay_url: str, resolv: Path, hosts: Path | None = None,
              name: str = "dns") -> tuple[peers.Proc, int]:
    port = peers.free_port()
    argv = nostr_dns.argv([*relay_args(relay_url), "-v", "dns", "--listen", f"127.0.0.1:{port}",
                           "--no-cache", "--timeout", "3"])
    proc = peers.Proc(f"nostr-dns-{name}", private_etc(netns, resolv, hosts, argv), tmp_path / f"{name}.log",
                      env=nostr_dns.full_env())

    def ready():
        r = subprocess.run(netns.exec_argv([DIG, "@127.0.0.1", "-p", str(port), "nostr.", "SOA", "+short",
                                            "+time=1", "+tries=1"]), capture_output=True, text=True)
        return r.returncode == 0 and "hostmaster.nostr." in r.stdout

    peers.wait_until(ready, 15, "nostr-dns dns in the namespace", proc, interval=0.2)
    return proc, port


def test_black_hole_name_server_never_stalls_the_dns_server(nostr_dns, netns, tmp_path):
    resolv = tmp_path / "resolv.conf"
    # Two rounds of 2 s: a lookup gives up after 6 s (glibc's res_send timers).
    resolv.write_text("nameserver 127.0.0.53\noptions timeout:2 attempts:2\n")
    hole = peers.Proc("black-hole", netns.exec_argv([peers.PYTHON, "-c", BLACK_HOLE]), tmp_path / "hole.log")
    try:
        peers.wait_until(lambda: "ready" in hole.log_text(), 10, "the black-hole name server", hole)
        proc, port = start_dns(nostr_dns, netns, tmp_path, "ws://relay.example.com:7777", resolv)
        try:
            probe = subprocess.run(netns.exec_argv([peers.PYTHON, "-c", SOA_PROBE, str(port), "15", "0.25"]),
                                   capture_output=True, text=True, timeout=60)
            assert probe.returncode == 0, probe.stderr
            times = json.loads(probe.stdout)
            slow = [t for t in times if t is None or t > 0.2]
            assert not slow, f"{len(slow)} of {len(times)} SOA queries took over 200 ms: {times}\n" + proc.log_tail()
            assert len(times) >= 40, times
            log = proc.log_text()
            assert "relay.example.com: lookup failed: no answer from 127.0.0.53" in log, proc.log_tail()
            assert proc.alive(), proc.log_tail()
        finally:
            proc.stop()
        # The lookups did reach the name server of the bind-mounted resolv.conf (A and AAAA, retried).
        assert hole.log_text().count("query") >= 4, hole.log_text()
    finally:
        hole.stop()


def test_relay_name_answered_by_dnsmasq_resolves_published_records(nostr_dns, netns, relay_factory, tmp_path):
    relay, host = publish_in(nostr_dns, netns, relay_factory, tmp_path, "192.0.2.61", "2001:db8::61")

    dnsmasq_log = tmp_path / "dnsmasq.log"
    dnsmasq = peers.Proc("dnsmasq", netns.exec_argv([
        DNSMASQ, "--no-daemon", "--no-resolv", "--no-hosts", "--address=/relay.test/127.0.0.1",
        "--listen-address=127.0.0.53", "--bind-interfaces", "--port", "53", "--log-queries",
        "--log-facility=-", f"--pid-file={tmp_path / 'dnsmasq.pid'}", "--user=root", "--group=root"]), dnsmasq_log)
    try:
        def dnsmasq_ready():
            r = subprocess.run(netns.exec_argv([DIG, "@127.0.0.53", "relay.test", "A", "+short", "+time=1",
                                                "+tries=1"]), capture_output=True, text=True)
            return r.stdout.split() == ["127.0.0.1"]

        peers.wait_until(dnsmasq_ready, 15, "dnsmasq in the namespace", dnsmasq, interval=0.2)
        resolv = tmp_path / "resolv.conf"
        resolv.write_text("# written by the test\nsearch example.org\nnameserver 127.0.0.53\n")
        # /etc/hosts without the name: the answer must come from DNS.
        hosts = tmp_path / "hosts"
        hosts.write_text("127.0.0.1 localhost\n")
        proc, port = start_dns(nostr_dns, netns, tmp_path, f"ws://relay.test:{relay.port}", resolv, hosts)
        try:
            resolves_to(netns, port, host.name, "192.0.2.61", proc)
            assert dig_short(netns, port, host.name, "AAAA") == ["2001:db8::61"], proc.log_tail()
            assert "lookup failed" not in proc.log_text(), proc.log_tail()
        finally:
            proc.stop()
        # Absolute name: asked as relay.test, never with the search domain appended.
        text = dnsmasq_log.read_text()
        assert "query[A] relay.test from 127.0.0.1" in text, text
        assert "query[AAAA] relay.test from 127.0.0.1" in text, text
        assert "example.org" not in text, text
    finally:
        dnsmasq.stop()


def test_relay_name_from_etc_hosts_needs_no_name_server(nostr_dns, netns, relay_factory, tmp_path):
    relay, host = publish_in(nostr_dns, netns, relay_factory, tmp_path, "192.0.2.62")
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.53\n")  # nothing listens there
    hosts = tmp_path / "hosts"
    hosts.write_text("# test\n127.0.0.1 localhost\n127.0.0.1\tnas.lan Relay.Hosts.Test  # the relay\n")
    proc, port = start_dns(nostr_dns, netns, tmp_path, f"ws://relay.hosts.test:{relay.port}", resolv, hosts)
    try:
        resolves_to(netns, port, host.name, "192.0.2.62", proc)
    finally:
        proc.stop()


def start_gateway(nostr_dns, netns, tmp_path: Path, upstream: str, resolv: Path, hosts: Path | None = None):
    """`nostr-dns -v gateway` in `netns` with its own /etc files; (proc, port, gateway host)."""
    gw = new_host(tmp_path, "-gw")
    port = peers.free_port()
    argv = nostr_dns.argv(["--key", gw.key_path, "-v", "gateway", "--listen", f"127.0.0.1:{port}",
                           "--upstream", upstream])
    proc = peers.Proc("nostr-dns-gateway", private_etc(netns, resolv, hosts, argv), tmp_path / "gateway.log",
                      env=nostr_dns.full_env())
    peers.wait_until(lambda: "gateway wsn://" in proc.log_text(), 15, "the gateway", proc, interval=0.2)
    return proc, port, gw


def test_gateway_looks_its_relay_up_without_stalling_other_channels(nostr_dns, netns, tmp_path):
    """`gateway --upstream ws://relay.test:7777` with a name server that
    never answers: a channel that is up waits for the lookup while a second
    client's BOLT 8 handshake completes at once (getaddrinfo blocked the
    loop for the whole lookup), and the waiting channel is closed with the
    reason when the lookup gives up."""
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.53\noptions timeout:2 attempts:2\n")
    hole = peers.Proc("black-hole", netns.exec_argv([peers.PYTHON, "-c", BLACK_HOLE]), tmp_path / "hole.log")
    try:
        peers.wait_until(lambda: "ready" in hole.log_text(), 10, "the black-hole name server", hole)
        proc, port, gw = start_gateway(nostr_dns, netns, tmp_path, "ws://relay.test:7777", resolv)
        try:
            probe = subprocess.run(netns.exec_argv([peers.PYTHON, "-c", GATEWAY_PROBE, str(Path(__file__).parent),
                                                    str(port), "02" + gw.hex]),
                                   capture_output=True, text=True, timeout=60)
            assert probe.returncode == 0, probe.stderr + proc.log_tail()
            got = json.loads(probe.stdout)
            print(got)
            assert got["second_handshake"] < 1.0, (got, proc.log_tail())
            assert got["first_closed"] and got["after"] < 20, (got, proc.log_tail())
            peers.wait_until(lambda: "cannot resolve relay.test: lookup failed: no answer from 127.0.0.53"
                             in proc.log_text(), 10, "the reason in the gateway's log", proc)
            assert proc.alive(), proc.log_tail()
        finally:
            proc.stop()
        assert hole.log_text().count("query") >= 2, hole.log_text()
    finally:
        hole.stop()


def test_gateway_relay_name_from_etc_hosts_carries_a_publish(nostr_dns, netns, relay_factory, tmp_path):
    """The gateway's relay named in /etc/hosts only: `publish-ip` over
    wsn:// through the gateway is accepted by the relay behind it."""
    relay = relay_factory(netns=netns)
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.53\n")  # nothing listens there
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n127.0.0.1 relay.hosts.test\n")
    proc, port, gw = start_gateway(nostr_dns, netns, tmp_path, f"ws://relay.hosts.test:{relay.port}", resolv, hosts)
    try:
        host = new_host(tmp_path)
        url = f"wsn://{gw.npub}@127.0.0.1:{port}"
        published = nostr_dns.run("--key", host.key_path, *relay_args(url), "publish-ip", "--ip", "192.0.2.63",
                                  "--timeout", "10", prefix=netns.exec_argv([]), timeout=60)
        assert published.returncode == 0, show(published) + proc.log_tail()
        assert f"accepted {url}" in out(published), show(published)
        assert "channel up with" in proc.log_text(), proc.log_tail()
    finally:
        proc.stop()
