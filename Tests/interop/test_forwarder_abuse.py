"""ATTACKER: the DNS server as an open forwarder and as an amplifier (issue 16
item 5), between two network namespaces (mdns_rig.Link): host A runs
`nostr-dns dns` on 198.18.0.1:53 and 127.0.0.1:53 with a real nostr-relay
1.14 and an upstream (dns_tool.py upstream: a careless server that answers
`big.example TXT` with 4 kB whatever the client's EDNS size); host B asks
from 198.18.0.2 (on A's network: an allowed source) and from 10.99.0.2 (off
A's networks: a stranger, or a spoofed victim) with dig, kdig and raw
sockets (dns_tool.py burst).

- Forwarding: only allowed sources (loopback, the listen addresses'
  networks, --allow-from), only with RD; others get REFUSED.
- Forwarded answers over UDP: at most 1,232 octets; larger ones come back
  as the question with TC, and dig gets the whole answer over TCP.
- The zone's own UDP answers: rate-limited per /24 (slip: every second
  answer over the limit truncated, the others dropped), so a burst aimed at
  one victim gets a bounded number of answers while another source is
  still answered.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from nostr_sdk import Keys

import mdns_rig
import peers
from cli import address_record
from test_dns import dig

A, B, OFF = mdns_rig.A_ADDR, mdns_rig.B_ADDR, mdns_rig.OFF_LINK
UPSTREAM_PORT = 5399
TOOL = mdns_rig.HERE / "dns_tool.py"
# The record with the most AAAA records that still fits a 1,232-octet answer:
# the zone's worst amplification.
MANY_AAAA = [f"2001:db8::{i:x}" for i in range(1, 37)]


def tool(ns, *args, timeout: float = 60) -> dict:
    r = subprocess.run(ns.exec_argv([peers.PYTHON, str(TOOL), *[str(a) for a in args]]),
                       capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


@pytest.fixture(scope="module")
def upstream(link, tmp_path_factory):
    p = peers.Proc("dns_tool-upstream", link.a.exec_argv([peers.PYTHON, TOOL, "upstream", "127.0.0.1", UPSTREAM_PORT]),
                   tmp_path_factory.mktemp("upstream") / "upstream.log")
    peers.wait_until(lambda: "ready" in p.log_text(), 15, "dns_tool upstream", p)
    yield p
    p.stop()


@pytest.fixture(scope="module")
def many(link, ns_relay):
    """An npub whose record holds 36 AAAA addresses."""
    keys = Keys.generate()
    ev = peers.event_dict(address_record(keys, ip6=MANY_AAAA, ttl=3600))
    r = subprocess.run(link.a.exec_argv([peers.PYTHON, TOOL, "publish", ns_relay.url, json.dumps(ev)]),
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and "true" in r.stdout, r.stdout + r.stderr
    return keys.public_key().to_bech32() + ".nostr"


class Server:
    """`nostr-dns -v dns` on host A: 198.18.0.1:PORT and 127.0.0.1:PORT."""

    def __init__(self, nostr_dns, link, relay, workdir, port: int = 53, *extra: str):
        self.port = port
        argv = nostr_dns.argv(["--relay", relay.url, "-v", "dns", "--listen", f"{A}:{port}", "--listen",
                               f"127.0.0.1:{port}", "--upstream", f"127.0.0.1:{UPSTREAM_PORT}", "--no-cache",
                               "--timeout", "5", *extra], prefix=link.a.exec_argv([]))
        self.proc = peers.Proc(f"nostr-dns-dns:{port}", argv, workdir / f"dns-{port}.log", env=nostr_dns.full_env())
        peers.wait_until(lambda: "listening on" in self.proc.log_text(), 15, "nostr-dns dns", self.proc)

    def stop(self):
        self.proc.stop()


@pytest.fixture(scope="module")
def server(nostr_dns, link, ns_relay, upstream, tmp_path_factory):
    s = Server(nostr_dns, link, ns_relay, tmp_path_factory.mktemp("dns"))
    yield s
    s.stop()


def dig_in(ns, *args) -> subprocess.CompletedProcess:
    return subprocess.run(ns.exec_argv(["dig", *args, "+time=5", "+tries=1"]), capture_output=True, text=True,
                          timeout=30)


def status(r: subprocess.CompletedProcess) -> str:
    for line in r.stdout.splitlines():
        if "status:" in line:
            return line.split("status:")[1].split(",")[0].strip()
    return "no answer: " + r.stdout + r.stderr


def msg_size(r: subprocess.CompletedProcess) -> int:
    for line in r.stdout.splitlines():
        if "MSG SIZE" in line:
            return int(line.split("rcvd:")[1])
    raise AssertionError(r.stdout + r.stderr)


# ---------------------------------------------------------------------------
# not an open forwarder


def test_open_resolver_probe_from_another_network_is_refused_over_udp_and_tcp(link, server):
    for transport in ("+notcp", "+tcp"):
        r = dig_in(link.b, f"@{A}", "-b", OFF, "www.example.test", "A", transport)
        assert status(r) == "REFUSED", r.stdout + r.stderr
        # The listen interface's own network is allowed.
        r = dig_in(link.b, f"@{A}", "-b", B, "www.example.test", "A", transport)
        assert status(r) == "NOERROR" and "203.0.113.5" in r.stdout, r.stdout + r.stderr
    # So is loopback.
    r = dig_in(link.a, "@127.0.0.1", "www.example.test", "A")
    assert status(r) == "NOERROR" and "203.0.113.5" in r.stdout
    assert f"refused to forward for {OFF}" in server.proc.log_text()


def test_allow_from_opens_forwarding_to_the_named_network_only(nostr_dns, link, ns_relay, upstream, tmp_path):
    s = Server(nostr_dns, link, ns_relay, tmp_path, 5354, "--allow-from", "10.99.0.0/24")
    try:
        r = dig_in(link.b, f"@{A}", "-p", "5354", "-b", OFF, "www.example.test", "A")
        assert status(r) == "NOERROR" and "203.0.113.5" in r.stdout, r.stdout + s.proc.log_text()
    finally:
        s.stop()


def test_query_without_recursion_desired_is_refused_even_from_an_allowed_source(link, server):
    for ns, source in ((link.b, ["-b", B]), (link.a, [])):
        target = A if ns is link.b else "127.0.0.1"
        r = dig_in(ns, f"@{target}", *source, "www.example.test", "A", "+norecurse")
        assert status(r) == "REFUSED", r.stdout
        r = dig_in(ns, f"@{target}", *source, "www.example.test", "A", "+recurse")
        assert status(r) == "NOERROR", r.stdout


def test_forwarded_large_answer_is_truncated_at_1232_over_udp_and_whole_over_tcp(link, server):
    # A 4 kB answer to a client that offers 4,096: cut to the question with TC.
    r = dig_in(link.b, f"@{A}", "-b", B, "big.example", "TXT", "+bufsize=4096", "+ignore")
    assert status(r) == "NOERROR" and " tc" in r.stdout.split("flags:")[1].split(";")[0], r.stdout
    assert msg_size(r) <= 1232, r.stdout
    # dig then asks over TCP and gets it whole.
    r = dig_in(link.b, f"@{A}", "-b", B, "big.example", "TXT", "+bufsize=4096")
    assert "Truncated, retrying in TCP mode" in r.stdout and msg_size(r) > 4000, r.stdout
    # Without EDNS, at most 512.
    r = dig_in(link.b, f"@{A}", "-b", B, "big.example", "TXT", "+noedns", "+ignore")
    assert msg_size(r) <= 512, r.stdout
    # The amplification a spoofed allowed source could get: about 1.
    got = tool(link.b, "burst", B, A, 53, "big.example", "TXT", 1, "--edns", 4096, "--wait", 3)
    assert got["replies"] == 1 and got["truncated"] == 1 and got["reply_bytes"] <= got["sent_bytes"] + 16, got


# ---------------------------------------------------------------------------
# not an amplifier


def test_reflection_burst_at_one_victim_is_rate_limited_and_another_source_still_answered(link, server, many):
    # Cached first (from loopback: not limited).
    r = dig_in(link.a, "@127.0.0.1", many, "AAAA", "+bufsize=1232")
    records = [line for line in r.stdout.splitlines() if not line.startswith(";") and " AAAA " in f" {line} "
               and line.split()[-2:-1] == ["AAAA"]]
    assert status(r) == "NOERROR" and len(records) == len(MANY_AAAA), r.stdout
    full = msg_size(r)
    n = 1000
    got = tool(link.b, "burst", OFF, A, 53, many, "AAAA", n, "--edns", 1232, "--wait", 2)
    query_size = got["sent_bytes"] // n
    whole = got["replies"] - got["truncated"]
    # 20 per second for the victim's /24 (plus what refills while the burst
    # lasts: the burst of 1,000 takes well under the 2 s it is waited for,
    # so at most 20 + 3 x 20), every second answer over the limit truncated.
    assert whole <= 80, got
    assert got["truncated"] <= n // 2 + 1, got
    assert got["replies"] < n * 0.6, got
    amplification = got["reply_bytes"] / got["sent_bytes"]
    unlimited = full / query_size
    print(f"\nburst of {n} x {query_size} B: {got['replies']} replies ({whole} whole of {full} B, "
          f"{got['truncated']} truncated), {got['reply_bytes']} B back: {amplification:.2f}x "
          f"(one answer alone: {unlimited:.1f}x)")
    assert unlimited > 10  # the record is the worst case
    assert amplification < 1.6, got
    # Another network is still answered, in full.
    other = tool(link.b, "burst", B, A, 53, many, "AAAA", 1, "--edns", 1232, "--wait", 2)
    assert other["replies"] == 1 and other["truncated"] == 0 and other["largest"] == full, other
