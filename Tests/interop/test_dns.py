"""`nostr-dns dns` against real peers: records published with the real
publish-ip / publish-cert commands to nostr-relay 1.14, asked for by dig and
kdig (UDP and TCP), dnspython, and dnsmasq forwarding the nostr. zone
(`server=/nostr/127.0.0.1#PORT`). Everything on loopback.
"""

from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
import time
from pathlib import Path

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

import peers
from cli import new_host, relay_args, show

DIG = shutil.which("dig") or "/usr/bin/dig"
KDIG = shutil.which("kdig") or "/usr/bin/kdig"
DNSMASQ = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"


class DnsServer:
    """`nostr-dns dns` on 127.0.0.1:PORT and [::1]:PORT, its log in a file."""

    def __init__(self, nostr_dns, workdir: Path, relays: list[str], *extra: str, cache: Path | None = None):
        self.port = peers.free_port_both()
        self.cache = cache or (workdir / "dns-cache")
        workdir.mkdir(parents=True, exist_ok=True)
        argv = nostr_dns.argv([*relay_args(*relays), "-v", "dns", "--listen", f"127.0.0.1:{self.port}",
                               "--listen", f"[::1]:{self.port}", "--cache", self.cache, "--timeout", "3", *extra])
        self.proc = peers.Proc(f"nostr-dns-dns:{self.port}", argv, workdir / f"dns-{self.port}.log",
                               env=nostr_dns.full_env())
        peers.wait_until(self.ready, 15, "nostr-dns dns", self.proc)

    def ready(self) -> bool:
        r = query("nostr.", "SOA", self.port, timeout=0.5)
        return r.rcode() == dns.rcode.NOERROR

    def stop(self):
        # SIGTERM saves the cache file on the way out: under qemu on a busy
        # machine that may take longer than the default 5 s before SIGKILL.
        self.proc.stop(timeout=30)


def query(name: str, rdtype: str, port: int, tcp: bool = False, timeout: float = 8, host: str = "127.0.0.1",
          payload: int | None = None):
    q = dns.message.make_query(name, rdtype, use_edns=payload is not None, payload=payload or 1232)
    if tcp:
        return dns.query.tcp(q, host, port=port, timeout=timeout)
    return dns.query.udp(q, host, port=port, timeout=timeout, ignore_trailing=False)


def dig(*args: str, timeout: float = 20) -> subprocess.CompletedProcess:
    return subprocess.run([DIG, *args], capture_output=True, text=True, timeout=timeout)


def kdig(*args: str, timeout: float = 20) -> subprocess.CompletedProcess:
    return subprocess.run([KDIG, *args], capture_output=True, text=True, timeout=timeout)


def publish_ip(nostr_dns, host, relay, *args):
    proc = nostr_dns.run("--key", host.key_path, *relay_args(relay.url), "publish-ip", *args, timeout=60)
    assert proc.returncode == 0, show(proc)


def answers(resp, rdtype) -> list[str]:
    out = []
    for rrset in resp.answer:
        if rrset.rdtype == rdtype:
            out += [r.to_text() for r in rrset]
    return sorted(out)


def soa_in_authority(resp) -> bool:
    return any(rrset.rdtype == dns.rdatatype.SOA and rrset.name == dns.name.from_text("nostr.")
               for rrset in resp.authority)


@pytest.fixture
def host(tmp_path):
    return new_host(tmp_path)


@pytest.fixture
def server(nostr_dns, relay, tmp_path):
    s = DnsServer(nostr_dns, tmp_path / "dns", [relay.url])
    yield s
    s.stop()


@pytest.fixture
def published(nostr_dns, relay, host):
    publish_ip(nostr_dns, host, relay, "--ip", "192.0.2.10", "--ip", "2001:db8::10", "--ttl", "300")
    return host


# ---------------------------------------------------------------------------
# dig, kdig, dnspython


def test_dig_resolves_a_published_name_over_udp_and_tcp(server, published):
    name = published.name
    for transport in ("+notcp", "+tcp"):
        r = dig(f"@127.0.0.1", "-p", str(server.port), name, "A", "+short", transport)
        assert r.returncode == 0 and r.stdout.split() == ["192.0.2.10"], r.stdout + r.stderr
        r = dig(f"@::1", "-p", str(server.port), name, "AAAA", "+short", transport)
        assert r.returncode == 0 and r.stdout.split() == ["2001:db8::10"], r.stdout + r.stderr


def test_kdig_resolves_over_udp_and_tcp(server, published):
    for transport in ([], ["+tcp"]):
        r = kdig("@127.0.0.1", "-p", str(server.port), published.name, "A", "+short", *transport)
        assert r.returncode == 0 and r.stdout.split() == ["192.0.2.10"], r.stdout + r.stderr


def test_dnspython_answer_is_authoritative_with_the_record_ttl(server, published):
    resp = query(published.name, "A", server.port)
    assert resp.rcode() == dns.rcode.NOERROR
    assert resp.flags & dns.flags.AA and resp.flags & dns.flags.QR
    assert answers(resp, dns.rdatatype.A) == ["192.0.2.10"]
    assert 290 <= resp.answer[0].ttl <= 300
    # Over TCP, several queries on one connection.
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        for rdtype, want in (("A", ["192.0.2.10"]), ("AAAA", ["2001:db8::10"]), ("A", ["192.0.2.10"])):
            q = dns.message.make_query(published.name, rdtype)
            dns.query.send_tcp(s, q)
            r, _ = dns.query.receive_tcp(s)
            assert r.id == q.id and answers(r, dns.rdatatype.from_text(rdtype)) == want


def test_label_name_and_any(server, nostr_dns, relay, host):
    publish_ip(nostr_dns, host, relay, "--ip", "198.51.100.7", "--name", "www")
    resp = query(f"www.{host.name}", "A", server.port)
    assert answers(resp, dns.rdatatype.A) == ["198.51.100.7"]
    # RFC 8482: ANY gets the address records, nothing more.
    resp = query(f"www.{host.name}", "ANY", server.port, tcp=True)
    assert answers(resp, dns.rdatatype.A) == ["198.51.100.7"] and len(resp.answer) == 1


def test_mixed_case_question_is_echoed_and_answered(server, published):
    mixed = "".join(c.upper() if i % 2 else c for i, c in enumerate(published.npub)) + ".NoStR."
    q = dns.message.make_query(mixed, "A")
    wire = q.to_wire()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(8)
        s.sendto(wire, ("127.0.0.1", server.port))
        data, _ = s.recvfrom(4096)
    # The question section comes back byte for byte, case and all.
    assert data[12:12 + len(wire) - 12] == wire[12:]
    resp = dns.message.from_wire(data)
    assert answers(resp, dns.rdatatype.A) == ["192.0.2.10"]
    assert resp.answer[0].name.to_text() == mixed


def test_tlsa_from_publish_cert(server, nostr_dns, relay, host, tmp_path):
    pem, _key = peers.make_self_signed(tmp_path / "cert", "site", cn="localhost", days=20)
    proc = nostr_dns.run("--key", host.key_path, *relay_args(relay.url), "publish-cert", "--cert", pem, "--port", "4443")
    assert proc.returncode == 0, show(proc)
    r = dig("@127.0.0.1", "-p", str(server.port), f"_4443._tcp.{host.name}", "TLSA", "+short")
    fields = r.stdout.split()
    assert fields[:3] == ["3", "1", "1"] and "".join(fields[3:]) == peers.spki_sha256(pem).upper(), r.stdout + r.stderr
    # Another port of the same npub: no such name.
    resp = query(f"_443._tcp.{host.name}", "TLSA", server.port)
    assert resp.rcode() == dns.rcode.NXDOMAIN and soa_in_authority(resp)


def test_nodata_has_soa_in_authority(server, nostr_dns, relay, host):
    publish_ip(nostr_dns, host, relay, "--ip", "192.0.2.11")
    for rdtype in ("AAAA", "TXT", "MX"):
        resp = query(host.name, rdtype, server.port)
        assert resp.rcode() == dns.rcode.NOERROR and resp.answer == [] and soa_in_authority(resp), resp.to_text()
        assert resp.authority[0].ttl <= 60


def test_nxdomain_has_soa_in_authority(server, published):
    resp = query(f"nothere.{published.name}", "A", server.port)
    assert resp.rcode() == dns.rcode.NXDOMAIN and soa_in_authority(resp), resp.to_text()
    assert resp.flags & dns.flags.AA
    # Not an npub at all (bad checksum): no relay lookup, NXDOMAIN at once.
    bad = published.npub[:-1] + ("q" if published.npub[-1] != "q" else "p")
    start = time.monotonic()
    resp = query(f"{bad}.nostr", "A", server.port)
    assert resp.rcode() == dns.rcode.NXDOMAIN and soa_in_authority(resp)
    assert time.monotonic() - start < 1
    r = dig("@127.0.0.1", "-p", str(server.port), "nostr.", "SOA", "+short")
    assert r.stdout.split()[:2] == ["nostr.", "hostmaster.nostr."], r.stdout


def test_malformed_queries_get_formerr_or_nothing_and_the_server_keeps_serving(server, published):
    def raw(packet: bytes) -> bytes | None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(1.0)
            s.sendto(packet, ("127.0.0.1", server.port))
            try:
                return s.recvfrom(4096)[0]
            except socket.timeout:
                return None
    header = struct.pack(">HHHHHH", 0xBEEF, 0x0100, 1, 0, 0, 0)
    attacks = {
        "pointer loop": header + b"\xc0\x0c" + b"\x00\x01\x00\x01",
        "forward pointer": header + b"\xc0\x20" + b"\x00\x01\x00\x01" + b"\x00" * 20,
        "reserved label type": header + b"\x41abc\x00\x00\x01\x00\x01",
        "counts beyond the packet": struct.pack(">HHHHHH", 0xBEEF, 0x0100, 1, 0xFFFF, 0, 0) + b"\x00\x00\x01\x00\x01",
        "two questions": struct.pack(">HHHHHH", 0xBEEF, 0x0100, 2, 0, 0, 0) + b"\x00\x00\x01\x00\x01" * 2,
        "truncated question": header + b"\x05nostr",
    }
    for what, packet in attacks.items():
        data = raw(packet)
        assert data is not None, what
        resp_id, flags = struct.unpack(">HH", data[:4])
        assert resp_id == 0xBEEF and flags & 0x8000 and flags & 0xF == dns.rcode.FORMERR, what
    # Too short for a header, or a response: no answer at all.
    assert raw(b"\x12\x34\x01") is None
    assert raw(struct.pack(">HHHHHH", 1, 0x8100, 0, 0, 0, 0)) is None
    # Still serving.
    assert answers(query(published.name, "A", server.port), dns.rdatatype.A) == ["192.0.2.10"]


def test_truncated_over_udp_then_complete_over_tcp(server, nostr_dns, relay, host):
    addresses = [f"2001:db8::{i:x}" for i in range(1, 61)]  # 60 AAAA records: about 1700 octets
    args = []
    for a in addresses:
        args += ["--ip", a]
    publish_ip(nostr_dns, host, relay, *args)
    resp = query(host.name, "AAAA", server.port, payload=1232)
    assert resp.flags & dns.flags.TC and resp.answer == [], resp.to_text()
    resp = query(host.name, "AAAA", server.port, tcp=True)
    assert len(answers(resp, dns.rdatatype.AAAA)) == 60
    # dig retries over TCP by itself.
    r = dig("@127.0.0.1", "-p", str(server.port), host.name, "AAAA", "+short")
    assert len(r.stdout.split()) == 60, r.stdout + r.stderr


def test_unknown_name_without_relays_is_servfail_after_the_deadline(nostr_dns, tmp_path):
    s = DnsServer(nostr_dns, tmp_path / "dns", [peers.closed_port_url()])
    try:
        npub = new_host(tmp_path).npub
        start = time.monotonic()
        resp = query(f"{npub}.nostr", "A", s.port)
        assert resp.rcode() == dns.rcode.SERVFAIL
        assert time.monotonic() - start < 4
    finally:
        s.stop()


# ---------------------------------------------------------------------------
# other names


def start_dnsmasq(tmp_path: Path, *args: str) -> tuple[peers.Proc, int]:
    port = peers.free_port_both()
    argv = [DNSMASQ, "--keep-in-foreground", "--no-daemon", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
            "--listen-address=127.0.0.1", "--bind-interfaces", f"--port={port}", "--pid-file=",
            "--user=" + (os.environ.get("USER") or "root"), "--log-facility=-", *args]
    proc = peers.Proc(f"dnsmasq:{port}", argv, tmp_path / f"dnsmasq-{port}.log")

    def ready():
        r = dig("@127.0.0.1", "-p", str(port), "ready.invalid", "+time=1", "+tries=1")
        return "status:" in r.stdout
    peers.wait_until(ready, 10, "dnsmasq", proc)
    return proc, port


def test_dnsmasq_forwards_the_nostr_zone(server, published, tmp_path):
    proc, port = start_dnsmasq(tmp_path, f"--server=/nostr/127.0.0.1#{server.port}")
    try:
        r = dig("@127.0.0.1", "-p", str(port), published.name, "A", "+short")
        assert r.stdout.split() == ["192.0.2.10"], r.stdout + r.stderr
        r = dig("@127.0.0.1", "-p", str(port), published.name, "AAAA", "+short", "+tcp")
        assert r.stdout.split() == ["2001:db8::10"], r.stdout + r.stderr
    finally:
        proc.stop()


def test_other_names_forwarded_to_upstream_or_refused(nostr_dns, relay, server, tmp_path):
    up, up_port = start_dnsmasq(tmp_path, "--address=/example.test/203.0.113.5")
    s = DnsServer(nostr_dns, tmp_path / "dns-fwd", [relay.url], "--upstream", f"127.0.0.1:{up_port}")
    try:
        for tcp in (False, True):
            resp = query("www.Example.test", "A", s.port, tcp=tcp)
            assert answers(resp, dns.rdatatype.A) == ["203.0.113.5"], resp.to_text()
            assert resp.question[0].name.to_text() == "www.Example.test."
        # No upstream: REFUSED.
        resp = query("www.example.test", "A", server.port)
        assert resp.rcode() == dns.rcode.REFUSED
    finally:
        s.stop()
        up.stop()


def test_forwarded_answer_with_the_wrong_id_or_question_is_ignored(nostr_dns, relay, tmp_path):
    """ATTACKER: a fake upstream answers first with a wrong ID, then with the
    wrong question, then correctly; only the last may reach the client."""
    fake = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    fake.bind(("127.0.0.1", 0))
    s = DnsServer(nostr_dns, tmp_path / "dns-fake", [relay.url], "--upstream", f"127.0.0.1:{fake.getsockname()[1]}")
    try:
        q = dns.message.make_query("victim.example", "A")
        client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        client.settimeout(8)
        client.sendto(q.to_wire(), ("127.0.0.1", s.port))
        fake.settimeout(8)
        data, source = fake.recvfrom(4096)
        forwarded = dns.message.from_wire(data)
        assert source[1] != s.port  # a socket of its own (random port)

        def reply(msg_id, name, address):
            r = dns.message.make_response(dns.message.make_query(name, "A"))
            r.id = msg_id
            r.answer.append(dns.rrset.from_text(name + ".", 60, "IN", "A", address))
            fake.sendto(r.to_wire(), source)
        reply(forwarded.id ^ 0x5555, "victim.example", "6.6.6.6")
        reply(forwarded.id, "other.example", "6.6.6.7")
        reply(forwarded.id, "victim.example", "192.0.2.99")
        data, _ = client.recvfrom(4096)
        resp = dns.message.from_wire(data)
        assert resp.id == q.id and answers(resp, dns.rdatatype.A) == ["192.0.2.99"]
        client.close()
    finally:
        s.stop()
        fake.close()


# ---------------------------------------------------------------------------
# the cache: stale answers, updates, the cache file


def test_update_arrives_through_the_open_subscription(server, nostr_dns, relay, published):
    assert answers(query(published.name, "A", server.port), dns.rdatatype.A) == ["192.0.2.10"]
    time.sleep(1.1)  # a newer created_at
    publish_ip(nostr_dns, published, relay, "--ip", "192.0.2.20", "--ttl", "300")
    peers.wait_until(lambda: answers(query(published.name, "A", server.port), dns.rdatatype.A) == ["192.0.2.20"],
                     10, "the update through the subscription")


def test_relay_stopped_then_back_cached_names_answered_and_updates_arrive(nostr_dns, relay_factory, tmp_path):
    r = relay_factory()
    host = new_host(tmp_path)
    publish_ip(nostr_dns, host, r, "--ip", "192.0.2.30", "--ttl", "300")
    s = DnsServer(nostr_dns, tmp_path / "dns", [r.url])
    try:
        assert answers(query(host.name, "A", s.port), dns.rdatatype.A) == ["192.0.2.30"]
        r.stop()
        # Relay gone: the cached name is still answered.
        assert answers(query(host.name, "A", s.port), dns.rdatatype.A) == ["192.0.2.30"]
        r.start()
        time.sleep(1.1)
        publish_ip(nostr_dns, host, r, "--ip", "192.0.2.31", "--ttl", "300")
        # Back: the pool reconnects (backoff) and resubscribes; the update arrives.
        peers.wait_until(lambda: answers(query(host.name, "A", s.port), dns.rdatatype.A) == ["192.0.2.31"],
                         40, "the update after the relay came back")
    finally:
        s.stop()


def test_restart_without_relays_answers_stale_from_the_cache_file(nostr_dns, relay_factory, tmp_path):
    """A router that reboots without internet still answers: the cache file."""
    r = relay_factory()
    host = new_host(tmp_path)
    publish_ip(nostr_dns, host, r, "--ip", "192.0.2.40", "--ttl", "300")
    cache = tmp_path / "state" / "dns-cache"
    s = DnsServer(nostr_dns, tmp_path / "dns1", [r.url], cache=cache)
    assert answers(query(host.name, "A", s.port), dns.rdatatype.A) == ["192.0.2.40"]
    s.stop()  # SIGTERM: saves the cache
    r.stop()
    assert cache.is_file() and host.hex in cache.read_text()
    s2 = DnsServer(nostr_dns, tmp_path / "dns2", [r.url], cache=cache)
    try:
        resp = query(host.name, "A", s2.port)
        assert answers(resp, dns.rdatatype.A) == ["192.0.2.40"]
        assert resp.answer[0].ttl == 30  # RFC 8767 §4: stale answers carry TTL 30
    finally:
        s2.stop()


def test_tampered_cache_file_is_not_trusted(nostr_dns, relay_factory, tmp_path):
    r = relay_factory()
    host = new_host(tmp_path)
    publish_ip(nostr_dns, host, r, "--ip", "192.0.2.50", "--ttl", "300")
    cache = tmp_path / "state" / "dns-cache"
    s = DnsServer(nostr_dns, tmp_path / "dns1", [r.url], cache=cache)
    assert answers(query(host.name, "A", s.port), dns.rdatatype.A) == ["192.0.2.50"]
    s.stop()
    r.stop()
    cache.write_text(cache.read_text().replace("192.0.2.50", "192.0.2.66"))
    s2 = DnsServer(nostr_dns, tmp_path / "dns2", [r.url], cache=cache)
    try:
        resp = query(host.name, "A", s2.port)
        assert resp.rcode() == dns.rcode.SERVFAIL and resp.answer == []
        assert "refused" in s2.proc.log_text()
    finally:
        s2.stop()


def test_bad_command_line_prints_usage_and_exits_2(nostr_dns):
    for args in (["--listen", "localhost:53"], ["--upstream", "dns.example:53"], ["--bogus"],
                 ["--cache", "/x", "--no-cache"], ["--cache-size", "3"]):
        proc = nostr_dns.run("dns", *args, timeout=10)
        assert proc.returncode == 2 and "usage: nostr-dns dns" in proc.stderr.decode(), show(proc)


# ---------------------------------------------------------------------------
# untrusted relays (ATTACKER: evil_relay.py delivers what real relays refuse)


def test_concurrent_queries_for_one_name_make_one_relay_lookup(nostr_dns, evil_relay_factory, tmp_path):
    keys = new_host(tmp_path)
    from cli import address_record
    ev = peers.event_dict(address_record(keys.keys, ip4=["192.0.2.77"], ttl=300))
    evil = evil_relay_factory([ev])
    s = DnsServer(nostr_dns, tmp_path / "dns", [evil.url])
    try:
        socks = []
        for i in range(20):
            c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            c.settimeout(8)
            c.sendto(dns.message.make_query(keys.name, "A").to_wire(), ("127.0.0.1", s.port))
            socks.append(c)
        for c in socks:
            resp = dns.message.from_wire(c.recvfrom(4096)[0])
            assert answers(resp, dns.rdatatype.A) == ["192.0.2.77"]
            c.close()
        lookups = [r for r in evil.requests() if r[1].startswith("lk")
                   and any(keys.hex in f.get("authors", []) for f in r[2:])]
        assert len(lookups) == 1, lookups
    finally:
        s.stop()


def test_forged_records_from_a_relay_are_never_answered(nostr_dns, evil_relay_factory, tmp_path):
    host = new_host(tmp_path)
    from cli import address_record
    good = peers.event_dict(address_record(host.keys, ip4=["192.0.2.88"], d="www", ttl=300))
    forged = peers.event_dict(address_record(host.keys, ip4=["192.0.2.89"], ttl=300, created_at=int(time.time())))
    forged["tags"] = [t if t[0] != "ip4" else ["ip4", "6.6.6.6"] for t in forged["tags"]]  # id no longer matches
    resigned = dict(forged, sig="00" * 64)
    evil = evil_relay_factory([forged, resigned, good])
    s = DnsServer(nostr_dns, tmp_path / "dns", [evil.url])
    try:
        resp = query(host.name, "A", s.port)
        assert resp.answer == [] and "6.6.6.6" not in resp.to_text()
        assert answers(query(f"www.{host.name}", "A", s.port), dns.rdatatype.A) == ["192.0.2.88"]
    finally:
        s.stop()


def test_tcp_connections_are_capped_and_idle_ones_closed(server, published):
    def closed(s: socket.socket, wait: float) -> bool:
        s.settimeout(wait)
        try:
            return s.recv(1) == b""
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False
    first = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    time.sleep(0.2)
    others = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(64)]
    # 65 connections for 64 places: the least recently active (the first) is closed.
    assert closed(first, 5)
    # The newest still answers.
    q = dns.message.make_query(published.name, "A")
    dns.query.send_tcp(others[-1], q)
    r, _ = dns.query.receive_tcp(others[-1], expiration=time.time() + 5)
    assert answers(r, dns.rdatatype.A) == ["192.0.2.10"]
    for s in [first, *others]:
        s.close()
    # RFC 7766 §6.2.3: an idle connection is closed (after 10 s here).
    idle = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    start = time.monotonic()
    assert closed(idle, 15)
    assert 9 <= time.monotonic() - start <= 13
    idle.close()
