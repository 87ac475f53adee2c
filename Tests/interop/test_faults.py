"""Fault tests of the long-running servers with real peers (issue #9, item 3).

`nostr-dns dns` (and `nostr-dns mdns` for the flood) under: a real
nostr-relay 1.14 killed (SIGKILL) or frozen (SIGSTOP) and brought back
several times; relays that send frames no WebSocket library would
(evil_frames.py, an ATTACKER); relays that accept and never answer; TLS
front ends that fail the handshake; floods of UDP queries, garbage
datagrams and TCP connections. Each test shows that cached names are
answered throughout, that the server recovers by itself, that its log says
why a relay was dropped, and that its resident memory (VmRSS from
/proc/PID/status, read before and after the fault) stays within
RSS_MARGIN_KB. Everything runs on loopback or in network namespaces.

The margin, RSS_MARGIN_KB = 2 MB: the debug build sits at about 14.5 MB
once it has answered and connected; after each fault below it measured
+0 to +0.8 MB (the figures are printed, with -s). 2 MB is far below what
the faults cost without the limits (before they were added, an endless
stream of events took the server to 140 MB; a 10 MB frame, 2^40 announced
bytes, unbounded pongs or 2,000 connections' buffers would each exceed it)
and above the noise of malloc keeping some pages after a burst.
"""

from __future__ import annotations

import os
import random
import re
import resource
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest
from nostr_sdk import Keys

import mdns_rig
import peers
from cli import new_host
from conftest import make_key_dir, write_key_file
from test_dns import DnsServer, answers, dig, publish_ip, query

DNSPERF = shutil.which("dnsperf") or "/usr/bin/dnsperf"
RSS_MARGIN_KB = 2048
# Set by the "interop under AddressSanitizer" stage: that binary keeps freed
# memory in ASan's quarantine and runs several times slower, so its VmRSS
# says nothing about ours and a dig may time out in a flood. There the
# tests check answers, recovery and the log (and ASan checks every access);
# the memory bounds and answers during floods are checked on the plain build.
SANITIZED = bool(os.environ.get("NOSTR_DNS_SANITIZER"))


def rss_kb(pid: int) -> int:
    """VmRSS of a process, in kB (/proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def assert_rss_bounded(before: int, after: int, what: str):
    print(f"RSS {what}: before {before} kB, after {after} kB, difference {after - before:+d} kB "
          f"(bound: +{RSS_MARGIN_KB} kB)")
    if SANITIZED:
        return
    assert after <= before + RSS_MARGIN_KB, f"{what}: VmRSS grew from {before} kB to {after} kB"


def assert_rss_settles(pid: int, before: int, what: str, timeout: float = 10) -> int:
    """The fault is over: VmRSS must come back within the margin (buffers of
    dropped connections freed) within `timeout`; prints the figures."""
    try:
        peers.wait_until(lambda: rss_kb(pid) <= before + RSS_MARGIN_KB, 0 if SANITIZED else timeout,
                         f"VmRSS after {what}")
    except peers.PeerError:
        pass
    after = rss_kb(pid)
    assert_rss_bounded(before, after, what)
    return after


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def a_records(port: int, name: str, timeout: float = 2.0, tcp: bool = False) -> list[str]:
    return answers(query(name, "A", port, tcp=tcp, timeout=timeout), dns.rdatatype.A)


class Asker:
    """Asks the server for one name over UDP every 0.2 s in a thread, until
    stop(); a query counts as failed when two tries of 2 s each brought no
    answer, or an answer not in `accept` (a list of right answers: while an
    update travels, the old and the new address are both right)."""

    def __init__(self, port: int, name: str, want: list[str], pid: int | None = None):
        self.port, self.name, self.accept = port, name, [want]
        self.pid = pid
        self.peak_rss = 0
        self.asked = 0
        self.failures: list[str] = []
        self.worst = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            start = time.monotonic()
            got = None
            for _ in range(2):
                try:
                    got = a_records(self.port, self.name)
                    break
                except Exception as exc:  # noqa: BLE001 - a timeout is a failure, recorded
                    got = repr(exc)
            self.asked += 1
            if self.pid:
                self.peak_rss = max(self.peak_rss, rss_kb(self.pid))
            self.worst = max(self.worst, time.monotonic() - start)
            if got not in self.accept:
                self.failures.append(f"{time.strftime('%H:%M:%S')} {got}")
            self._stop.wait(0.2)

    def stop(self) -> "Asker":
        self._stop.set()
        self._thread.join(10)
        print(f"asked {self.asked} times for {self.name[:16]}...: {len(self.failures)} failures, "
              f"slowest {self.worst * 1000:.0f} ms" + (f"; peak VmRSS {self.peak_rss} kB" if self.pid else ""))
        return self


def settled_rss(server: DnsServer) -> int:
    """VmRSS once the server has answered a few queries (its buffers touched)."""
    for _ in range(3):
        query("nostr.", "SOA", server.port)
    return rss_kb(server.proc.pid)


def log_lines(server: DnsServer, url: str) -> list[str]:
    return [line for line in server.proc.log_text().splitlines() if f"relay {url}: " in line]


# ---------------------------------------------------------------------------
# 1. a relay killed and restarted mid-subscription


def test_relay_killed_or_frozen_repeatedly_cached_names_answered_and_updates_arrive_after_each(
        nostr_dns, relay_factory, tmp_path):
    """SIGKILL (three times) and SIGSTOP/SIGCONT of the only relay: the cached
    name is answered throughout; after each return an update published on the
    relay reaches the server through its re-opened subscription; a new name
    asked while the relay is frozen gets SERVFAIL within --timeout; the log
    tells each loss; VmRSS bounded."""
    r = relay_factory()
    host = new_host(tmp_path)
    publish_ip(nostr_dns, host, r, "--ip", "192.0.2.30", "--ttl", "300")
    s = DnsServer(nostr_dns, tmp_path / "dns", [r.url])
    try:
        assert a_records(s.port, host.name) == ["192.0.2.30"]
        peers.wait_until(lambda: log_lines(s, r.url), 10, "the relay connected")
        before = settled_rss(s)
        asker = Asker(s.port, host.name, ["192.0.2.30"])
        ip = 30
        for round_ in range(3):
            losses = sum("next attempt" in line for line in log_lines(s, r.url))
            r.proc.signal_group(signal.SIGKILL)
            peers.wait_until(lambda: sum("next attempt" in line for line in log_lines(s, r.url)) > losses, 20,
                             "the server noticed the relay was gone")
            time.sleep(1.0)  # down for a while: reconnects are refused, with backoff
            r.stop()
            r.start()
            time.sleep(1.1)  # a newer created_at
            ip += 1
            asker.accept = [[f"192.0.2.{ip - 1}"], [f"192.0.2.{ip}"]]
            publish_ip(nostr_dns, host, r, "--ip", f"192.0.2.{ip}", "--ttl", "300")
            peers.wait_until(lambda: a_records(s.port, host.name) == [f"192.0.2.{ip}"], 45,
                             f"the update after restart {round_ + 1}")
            asker.accept = [[f"192.0.2.{ip}"]]
            print(f"after SIGKILL {round_ + 1}: VmRSS {rss_kb(s.proc.pid)} kB")
        # Frozen: the TCP connection stays, nobody answers.
        r.pause()
        try:
            frozen = new_host(tmp_path, "-frozen")
            start = time.monotonic()
            resp = query(frozen.name, "A", s.port, timeout=10)
            assert resp.rcode() == dns.rcode.SERVFAIL and time.monotonic() - start < 3 + 2
            assert a_records(s.port, host.name) == [f"192.0.2.{ip}"]
        finally:
            r.resume()
        time.sleep(1.1)
        asker.accept = [[f"192.0.2.{ip}"], ["192.0.2.99"]]
        publish_ip(nostr_dns, host, r, "--ip", "192.0.2.99", "--ttl", "300")
        peers.wait_until(lambda: a_records(s.port, host.name) == ["192.0.2.99"], 20, "the update after SIGCONT")
        asker.accept = [["192.0.2.99"]]
        time.sleep(0.5)
        asker.stop()
        assert asker.failures == [] and asker.asked > 20
        lost = [line for line in log_lines(s, r.url) if "next attempt" in line]
        print("\n".join(lost))
        assert len(lost) >= 3 and sum("connected" in line for line in log_lines(s, r.url)) >= 4
        assert_rss_bounded(before, rss_kb(s.proc.pid), "relay killed 3 times and frozen once")
    finally:
        s.stop()


# ---------------------------------------------------------------------------
# 2. a relay that sends oversized or malformed frames (ATTACKER)

# mode of evil_frames.py -> what the server's log must say about that relay
DROPPED = {
    "bad-opcode": "WebSocket protocol violation",
    "notice-then-bad-opcode": "WebSocket protocol violation",  # one valid message does not reset the backoff
    "rsv-bits": "WebSocket protocol violation",
    "masked": "WebSocket protocol violation",
    "bad-close": "WebSocket protocol violation",
    "short-close": "WebSocket protocol violation",
    "big-ping": "WebSocket protocol violation",
    "len-2-40": "WebSocket frame or message too large",
    "text-10mb": "WebSocket frame or message too large",
    "fragment-1mb": "WebSocket frame or message too large",
    "bad-utf8": "invalid UTF-8",
    "ping-flood": "does not read what is sent to it",
}
IGNORED = {
    "not-json": "ignoring what is not NIP-01",
    "wrong-shape": "ignoring what is not NIP-01",
    "junk-stream": "ignoring what is not NIP-01",
}
FLOODS = ["event-stream", "fragment-flood"]


def test_relays_sending_malformed_oversized_or_endless_frames_are_dropped_with_backoff(
        nostr_dns, relay_factory, tmp_path):
    """Sixteen attacking relays (evil_frames.py: reserved opcode and bits,
    the same after one valid NOTICE, a
    2^40-byte and a 10 MB frame, invalid UTF-8, a masked frame, bad close
    frames, an endless fragment, a ping flood that never reads the pongs,
    non-JSON and wrongly shaped JSON, endless events and junk) beside one
    good nostr-relay: the cached name is answered throughout and a new name
    resolves; each frame-breaking relay is dropped, its reason logged, and
    retried later and later (backoff); messages that are not NIP-01 are
    logged and dropped; VmRSS bounded. The endless fragment and the ping
    flood go on until the server drops them, and each relay is judged once
    the server has dropped and retried it: how long that takes depends on
    the machine (seconds per megabyte under ASan on a loaded 2-core
    machine), what the server logs does not."""
    good = relay_factory()
    host = new_host(tmp_path)
    publish_ip(nostr_dns, host, good, "--ip", "192.0.2.40", "--ttl", "300")
    evil = peers.EvilFrames(tmp_path / "evil", [*DROPPED, *IGNORED, *FLOODS], flood_seconds=3, hold=True).start()
    s = DnsServer(nostr_dns, tmp_path / "dns", [good.url, *evil.urls.values()])
    try:
        assert a_records(s.port, host.name) == ["192.0.2.40"]
        # Before: every relay connected, the attackers holding still.
        peers.wait_until(lambda: all(log_lines(s, url) for url in evil.urls.values()), 15, "every relay connected")
        before = settled_rss(s)
        go = evil.go()
        asker = Asker(s.port, host.name, ["192.0.2.40"], pid=s.proc.pid)
        start = time.monotonic()
        # A name first asked for during the attack: the good relay answers it.
        late = new_host(tmp_path, "-late")
        publish_ip(nostr_dns, late, good, "--ip", "192.0.2.41", "--ttl", "300")
        assert a_records(s.port, late.name, timeout=8) == ["192.0.2.41"]
        window = 18.0
        time.sleep(max(0.0, window - (time.monotonic() - start)))
        asker.stop()
        assert asker.failures == [], asker.failures
        # While attacked, what a relay may cost is bounded by the WebSocket
        # limits (a 1 MB message, 2 MB unsent): measured +3 to +5 MB at the
        # peak, for a moment. Unbounded, one stream of events took 140 MB.
        assert SANITIZED or asker.peak_rss <= before + 16 * 1024, asker.peak_rss
        assert s.proc.alive()

        def dropped_and_retried(mode: str, reason: str) -> bool:
            return len(evil.connections(mode)) >= 2 and any(
                reason in line and "next attempt in" in line for line in log_lines(s, evil.urls[mode]))

        # Each relay is judged once the server has dropped it and connected
        # again, however long the reading took (bounded: the attacks that
        # end on their own stop within FLOOD_SECONDS or 60 s).
        deadline = time.monotonic() + (120 if SANITIZED else 40)
        while time.monotonic() < deadline and not all(dropped_and_retried(m, r) for m, r in DROPPED.items()):
            time.sleep(0.2)
        for mode, reason in DROPPED.items():
            conns = evil.connections(mode)
            times = [go, *conns[1:]]  # the first connection attacks at `go`
            gaps = [round(b - a, 2) for a, b in zip(times, times[1:])]
            lines = log_lines(s, evil.urls[mode])
            in_window = [t for t in conns if t <= go + window]
            print(f"{mode}: {len(conns)} connections, {len(in_window)} in {window:.0f} s, gaps {gaps}; "
                  f"log: {lines[-1] if lines else None}")
            assert any(reason in line and "next attempt in" in line for line in lines), (mode, lines)
            # Retried, and later each time: 0.25-0.5 s, 0.5-1 s, 1-2 s, ... (not every half second).
            # A gap is the attack's own length (up to seconds while every
            # attacker floods at once, under ASan) plus the delay the server
            # logged: so each gap is at least its delay, and the delays grow.
            assert len(conns) >= 2 and len(in_window) <= 8, (mode, gaps)
            delays = [float(m.group(1)) for line in lines if (m := re.search(r"next attempt in ([0-9.]+) s", line))]
            assert len(delays) >= len(gaps), (mode, delays, gaps)
            assert all(gap >= delay - 0.06 for gap, delay in zip(gaps, delays)), (mode, gaps, delays)
            if len(delays) >= 4:
                assert delays[3] > delays[0], (mode, delays)
        # The endless fragment is sent until the server drops the connection,
        # however slowly it reads (a loaded machine, ASan): each connection
        # that ended was dropped by the server after more than the 1 MiB
        # limit, not closed by the attacker (whose reset in the middle of
        # the message the server would log instead of the limit).
        # The same for the ping flood, which ends when the server, holding
        # 2 MB of pongs it cannot send, drops it.
        for mode, least in (("fragment-1mb", 1 << 20), ("ping-flood", 1 << 20)):
            peers.wait_until(lambda: len(evil.endings(mode)) >= len(evil.connections(mode)) - 1, 10,
                             f"{mode}: every connection but the last one ended")
            endings = evil.endings(mode)
            print(f"{mode} endings: {endings}")
            assert endings, mode
            for ending in endings:
                m = re.fullmatch(r"dropped by the client after (\d+) bytes", ending)
                assert m and int(m.group(1)) > least, (mode, endings)
        for mode, reason in IGNORED.items():
            lines = log_lines(s, evil.urls[mode])
            assert any(reason in line for line in lines), (mode, lines)
        for mode in FLOODS:
            print(f"{mode}: {evil.endings(mode)}")
            assert evil.connections(mode), mode
        evil.stop()  # the attack ends: the connections it held are dropped
        assert_rss_settles(s.proc.pid, before, "sixteen attacking relays")
    finally:
        s.stop()
        evil.stop()


# ---------------------------------------------------------------------------
# 3. a relay that accepts the connection and never answers


def test_black_hole_and_mute_relays_hold_up_neither_answers_nor_lookups(
        nostr_dns, relay_factory, black_hole, evil_relay_factory, tmp_path):
    """Beside a good relay, a TCP black hole (handshake done by the kernel,
    nothing ever read or sent) and a relay that completes the WebSocket
    upgrade and then stays mute: cached names answered at once, a new name
    resolved as soon as the good relay answers (not after --timeout), the
    black hole dropped after the 10 s connect timeout and retried; VmRSS
    bounded."""
    good = relay_factory()
    mute = evil_relay_factory([], mode="mute")
    host = new_host(tmp_path)
    publish_ip(nostr_dns, host, good, "--ip", "192.0.2.50", "--ttl", "300")
    s = DnsServer(nostr_dns, tmp_path / "dns", [good.url, black_hole.url, mute.url])
    try:
        assert a_records(s.port, host.name) == ["192.0.2.50"]
        before = settled_rss(s)
        asker = Asker(s.port, host.name, ["192.0.2.50"])
        late = new_host(tmp_path, "-late")
        publish_ip(nostr_dns, late, good, "--ip", "192.0.2.51", "--ttl", "300")
        started = time.monotonic()
        assert a_records(s.port, late.name, timeout=8) == ["192.0.2.51"]
        took = time.monotonic() - started
        print(f"a new name with a black hole and a mute relay: {took * 1000:.0f} ms")
        assert took < 2.0  # the lookup settles 0.3 s after the good relay's EOSE; --timeout is 3 s
        peers.wait_until(lambda: any("timed out after 10 s connecting" in line and "next attempt in" in line
                                     for line in log_lines(s, black_hole.url)), 25, "the black hole dropped")
        asker.stop()
        assert asker.failures == []
        assert any("connected" in line for line in log_lines(s, mute.url))
        assert_rss_bounded(before, rss_kb(s.proc.pid), "black hole and mute relay")
    finally:
        s.stop()


# ---------------------------------------------------------------------------
# 4. TLS handshake failures


def test_tls_handshake_failures_are_logged_and_the_good_wss_relay_keeps_serving(
        nostr_dns, relay, wss_relay, wss_other_name, test_ca, tmp_path):
    """wss:// relays whose TLS front end (stunnel4) has a certificate for
    another name, one from an untrusted CA, a self-signed one, and one that
    answers the ClientHello with garbage, beside a good wss:// relay (stunnel4
    with the test CA's localhost certificate, --ca-file): the cached name is
    answered throughout, a new name resolves through the good relay, every
    bad one is logged with its TLS error and retried; VmRSS bounded."""
    d = tmp_path / "tls"
    d.mkdir()
    untrusted_cert, untrusted_key = peers.make_leaf(d, "untrusted", "localhost", "DNS:localhost,IP:127.0.0.1",
                                                    test_ca.wrong_ca, test_ca.wrong_ca_key)
    self_cert, self_key = peers.make_self_signed(d, "self", cn="localhost")
    fronts = [peers.Stunnel(d / "untrusted", relay.port, untrusted_cert, untrusted_key).start(),
              peers.Stunnel(d / "self", relay.port, self_cert, self_key).start()]
    garbage = peers.EvilFrames(d / "garbage", ["tls-garbage"]).start()
    bad = {"other name": wss_other_name.url, "untrusted CA": fronts[0].url(), "self-signed": fronts[1].url(),
           "garbage": garbage.urls["tls-garbage"].replace("ws://127.0.0.1", "wss://localhost")}
    host = new_host(tmp_path)
    publish_ip(nostr_dns, host, relay, "--ip", "192.0.2.60", "--ttl", "300")
    s = DnsServer(nostr_dns, tmp_path / "dns", [wss_relay.url, *bad.values()], "--ca-file", test_ca.ca)
    try:
        assert a_records(s.port, host.name, timeout=8) == ["192.0.2.60"]
        before = settled_rss(s)
        asker = Asker(s.port, host.name, ["192.0.2.60"])
        late = new_host(tmp_path, "-late")
        publish_ip(nostr_dns, late, relay, "--ip", "192.0.2.61", "--ttl", "300")
        assert a_records(s.port, late.name, timeout=8) == ["192.0.2.61"]

        def each_failed_three_times():
            return all(sum("next attempt in" in line for line in log_lines(s, url)) >= 3 for url in bad.values())
        peers.wait_until(each_failed_three_times, 30, "every bad TLS relay failed and was retried")
        peers.wait_until(lambda: asker.asked >= 10, 10, "ten queries during the failures")
        asker.stop()
        assert asker.failures == []
        for what, url in bad.items():
            lines = log_lines(s, url)
            print(f"{what}: {lines[0]}")
            assert all("TLS" in line or "tls" in line for line in lines if "next attempt" in line), lines
            assert not any(line.endswith(": connected") for line in lines), lines
        assert any(line.endswith(": connected") for line in log_lines(s, wss_relay.url))
        assert_rss_bounded(before, rss_kb(s.proc.pid), "four failing TLS relays")
    finally:
        s.stop()
        garbage.stop()
        for f in fronts:
            f.stop()


# ---------------------------------------------------------------------------
# 5. floods


@pytest.fixture
def cached(nostr_dns, relay_factory, tmp_path):
    """A server with one name cached from a good relay: (server, name)."""
    r = relay_factory()
    host = new_host(tmp_path)
    publish_ip(nostr_dns, host, r, "--ip", "192.0.2.70", "--ttl", "300")
    s = DnsServer(nostr_dns, tmp_path / "dns", [r.url])
    assert a_records(s.port, host.name) == ["192.0.2.70"]
    yield s, host.name
    s.stop()


def garbage_datagrams(port: int, seconds: float) -> int:
    """Random datagrams (0 to 1500 bytes; some with a plausible header) at the server for `seconds`."""
    rng = random.Random(9)
    sent = 0
    end = time.monotonic() + seconds
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        while time.monotonic() < end:
            body = rng.randbytes(rng.randrange(0, 1500))
            if rng.random() < 0.5:
                body = struct.pack(">HHHHHH", rng.randrange(65536), 0x0100, rng.randrange(4), rng.randrange(4),
                                   rng.randrange(4), rng.randrange(4)) + body[:200]
            try:
                s.sendto(body, ("127.0.0.1", port))
                sent += 1
            except OSError:
                pass
    return sent


def test_udp_query_flood_and_garbage_datagrams_leave_the_cached_name_answered(cached, tmp_path):
    """dnsperf without a rate cap (the cached name, unknown npubs that each
    start a relay lookup, names outside the zone, bad npubs) and random
    datagrams from Python at the same time: dig over UDP still gets the
    cached answer during the flood and after it; VmRSS bounded."""
    s, name = cached
    before = settled_rss(s)
    # Unknown npubs each start a relay lookup (nostr-relay allows 32
    # subscriptions per connection: more would just wait out --timeout).
    unknown = [f"{Keys.generate().public_key().to_bech32()}.nostr A" for _ in range(20)]
    qfile = tmp_path / "queries.txt"
    qfile.write_text("\n".join([f"{name} A"] * 300 + unknown + ["example.com A"] * 50
                               + ["npub1qqqqqqqqqqqqqqqq.nostr AAAA"] * 50 + [f"www.{name} TXT"] * 50) + "\n")
    seconds = 8
    perf = subprocess.Popen([DNSPERF, "-s", "127.0.0.1", "-p", str(s.port), "-d", str(qfile), "-l", str(seconds),
                             "-c", "4", "-q", "500", "-t", "5"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    junk = {}
    t = threading.Thread(target=lambda: junk.setdefault("sent", garbage_datagrams(s.port, seconds - 1)), daemon=True)
    t.start()
    time.sleep(1.5)
    during, retries = [], 0
    while perf.poll() is None and len(during) < 5:
        # A flooded UDP socket drops datagrams, dig's among them: like any stub
        # resolver it retries (";; communications error ... timed out" lines),
        # and what counts is that a retry gets the cached answer.
        r = dig("@127.0.0.1", "-p", str(s.port), name, "A", "+short", "+notcp", "+time=2", "+tries=3")
        during.append([line for line in r.stdout.splitlines() if line and not line.startswith(";;")])
        retries += r.stdout.count("timed out")
        time.sleep(0.5)
    out, _ = perf.communicate(timeout=60)
    t.join(30)
    print(out[out.find("Statistics:"):].strip())
    print(f"garbage datagrams sent: {junk.get('sent')}; dig during the flood: {during}, "
          f"after {retries} timed-out tries")
    assert "Queries completed" in out
    assert during and (SANITIZED or all(d == ["192.0.2.70"] for d in during)), during
    r = dig("@127.0.0.1", "-p", str(s.port), name, "A", "+short", "+notcp")
    assert r.stdout.split() == ["192.0.2.70"]
    assert_rss_bounded(before, rss_kb(s.proc.pid), "UDP query flood and garbage datagrams")


def test_tcp_connection_flood_is_capped_and_tcp_answers_again_once_it_ends(cached):
    """2,000 TCP connections opened and held (every other one with half a
    length prefix or half a message sent): the server holds at most 64
    (its file descriptors stay bounded), UDP answers the cached name during
    the flood, the held connections are closed by the server (eviction, 10 s
    idle timeout), and TCP answers once the flood ends; VmRSS bounded."""
    s, name = cached
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    before = settled_rss(s)
    fds_before = open_fds(s.proc.pid)
    held = []
    wire = dns.message.make_query(name, "A").to_wire()
    try:
        for i in range(2000):
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.settimeout(5)
            try:
                c.connect(("127.0.0.1", s.port))
            except OSError:
                c.close()
                continue
            if i % 4 == 1:
                c.send(b"\x00")  # half a length prefix
            elif i % 4 == 3:
                c.send(struct.pack(">H", len(wire)) + wire[:7])  # half a message
            held.append(c)
        fds_during = open_fds(s.proc.pid)
        print(f"{len(held)} connections opened; server file descriptors {fds_before} before, {fds_during} during")
        assert len(held) >= 1900
        assert fds_during <= fds_before + 64 + 2
        assert a_records(s.port, name) == ["192.0.2.70"]
        # Every held connection is closed by the server: evicted, or idle for 10 s.
        def closed(c: socket.socket) -> bool:
            c.settimeout(0.01)
            try:
                return c.recv(1) == b""
            except socket.timeout:
                return False
            except OSError:
                return True
        open_ones = list(held)
        deadline = time.monotonic() + 20
        while open_ones and time.monotonic() < deadline:
            open_ones = [c for c in open_ones if not closed(c)]
            time.sleep(0.5)
        assert open_ones == [], f"{len(open_ones)} connections still open after 20 s"
    finally:
        for c in held:
            c.close()
    assert a_records(s.port, name, tcp=True) == ["192.0.2.70"]
    r = dig("@127.0.0.1", "-p", str(s.port), name, "A", "+short", "+tcp")
    assert r.stdout.split() == ["192.0.2.70"], r.stdout + r.stderr
    peers.wait_until(lambda: open_fds(s.proc.pid) <= fds_before + 1, 15, "the server's descriptors back")
    assert_rss_bounded(before, rss_kb(s.proc.pid), "2,000 TCP connections")


def test_mdns_responder_survives_a_flood_of_malformed_and_valid_packets(nostr_dns, tmp_path):
    """`nostr-dns mdns` on lo inside a network namespace of its own, flooded
    for 6 s from inside that namespace with malformed packets, random bytes
    and valid queries (multicast on that lo and unicast): a legacy unicast
    query is answered during the flood, python-zeroconf resolves the name
    after it; VmRSS bounded."""
    ns = peers.Netns("mfl")
    try:
        keys = Keys.generate()
        name = keys.public_key().to_bech32() + ".local"
        key = write_key_file(make_key_dir(tmp_path), keys.secret_key().to_bech32())
        argv = nostr_dns.argv(["--relay", peers.closed_port_url(), "--key", key, "mdns", "--no-cache", "--interface", "lo"],
                              prefix=ns.exec_argv([]))
        proc = peers.Proc("nostr-dns-mdns-flood", argv, tmp_path / "mdns-flood.log", env=nostr_dns.full_env())
        try:
            z = mdns_rig.retry(lambda: mdns_rig.tool(ns, "zc", "127.0.0.1", name + ".", "v4", 3000)["ok"], 30)
            assert z, proc.log_text()
            before = rss_kb(proc.pid)
            flood = peers.Proc("mdns-flood", ns.exec_argv([peers.PYTHON, mdns_rig.TOOL, "flood", "127.0.0.1",
                                                           name + ".", "6"]), tmp_path / "flood.log")
            time.sleep(1.5)
            # During the flood, a legacy unicast query (its answer comes back
            # by unicast to the asker's own port): python-zeroconf listens on
            # 5353 and gets the multicast half of the flood itself, which a
            # loaded machine's Python cannot always keep up with. The flood
            # can fill the responder's receive queue (up to 230k packets/s),
            # so a query may be dropped by the kernel: it is asked until one
            # is answered or the flood ends.
            def answered_during():
                got = mdns_rig.tool(ns, "query", "127.0.0.1", name + ".", "A", "--id", "4242", "--wait", "0.5")
                return [a["addr"] for r in got["replies"] if r["id"] == 4242 for a in r["answers"] if "addr" in a]
            during = [answered_during()]
            while ["127.0.0.1"] not in during and flood.popen.poll() is None:
                during.append(answered_during())
            flood.popen.wait(30)
            print(flood.log_text().strip())
            assert flood.popen.returncode == 0 and "sent" in flood.log_text()
            assert SANITIZED or ["127.0.0.1"] in during, during
            after = mdns_rig.tool(ns, "zc", "127.0.0.1", name + ".", "v4", 3000)
            assert after["ok"] and after["addresses"][0] == "127.0.0.1", after
            assert proc.alive()
            assert_rss_bounded(before, rss_kb(proc.pid), "mDNS flood")
        finally:
            proc.stop()
    finally:
        ns.delete()
