"""wsn://<npub>@host:port end to end: nostr-dns gateway (BOLT 8 responder with
the host's key) in front of the real nostr-relay, nostr-dns publish-ip and
resolve as clients, and an independent Python BOLT 8 initiator (bolt8.py) for
interop and for hostile input."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import time

import dns.rdatatype
import pytest

import bolt8
import peers
from cli import new_host, out, parse_publish, relay_args, show
from test_dns import DnsServer, answers, query

VECTOR_RS = bytes.fromhex("028d7500dd4c12685d1f568b4c2b5048e8534b873319f3a8daa612b469132ec7f7")


class Gateway:
    def __init__(self, nostr_dns, host, upstream: str, *extra):
        self.port = peers.free_port()
        self.host = host
        self.proc = nostr_dns.popen("--key", host.key_path, "-v", "gateway",
                                    "--listen", f"127.0.0.1:{self.port}", "--upstream", upstream, *extra,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        peers.wait_until(lambda: peers._tcp_open("127.0.0.1", self.port), 15, "gateway listening")

    def url(self, npub: str | None = None) -> str:
        return f"wsn://{npub or self.host.npub}@127.0.0.1:{self.port}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture
def gateway(nostr_dns, relay, tmp_path):
    g = Gateway(nostr_dns, new_host(tmp_path, "-gw"), relay.url)
    yield g
    assert g.stop() == 0, g.proc.stderr.read().decode()


def publish_ip(nostr_dns, host, relays, *args):
    return nostr_dns.run("--key", host.key_path, *relay_args(*relays), "publish-ip", "--timeout", "10", *args,
                         timeout=60)


def resolve(nostr_dns, name, relays, *args):
    return nostr_dns.run(*relay_args(*relays), "resolve", name, "--timeout", "10", *args, timeout=60)


def ws_req(channel: bolt8.Channel, sub: str, flt: dict) -> list:
    """One REQ over a WebSocket inside the channel; the EVENTs until EOSE."""
    frame = json.dumps(["REQ", sub, flt]).encode()
    mask = b"\x01\x02\x03\x04"
    payload = bytes(b ^ mask[i % 4] for i, b in enumerate(frame))
    assert len(payload) < 126
    channel.send(bytes([0x81, 0x80 | len(payload)]) + mask + payload)
    events = []
    while True:
        while len(channel.plain) < 2:
            channel.plain += channel.recv_message()
        n = channel.plain[1] & 0x7F
        hdr = 2 if n < 126 else 4
        while len(channel.plain) < hdr:
            channel.plain += channel.recv_message()
        if n == 126:
            n = int.from_bytes(channel.plain[2:4], "big")
        while len(channel.plain) < hdr + n:
            channel.plain += channel.recv_message()
        msg = json.loads(channel.plain[hdr:hdr + n])
        channel.plain = channel.plain[hdr + n:]
        if msg[0] == "EOSE":
            return events
        if msg[0] == "EVENT":
            events.append(msg[2])


def open_ws(channel: bolt8.Channel):
    channel.send(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    head = channel.recv_until(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head


# ---------------------------------------------------------------------------


def test_python_initiator_reproduces_bolt8_vector():
    """The test's own BOLT 8 client is right before it judges the gateway."""
    i = bolt8.Initiator(VECTOR_RS, ls=bolt8.PrivateKey(bytes([0x11] * 32)), e=bolt8.PrivateKey(bytes([0x12] * 32)))
    assert i.act_one().hex() == ("00036360e856310ce5d294e8be33fc807077dc56ac80d95d9cd4ddbd21325eff73f7"
                                 "0df6086551151f58b8afe6c195782c6a")
    act3 = i.act_three(bytes.fromhex("0002466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f27"
                                     "6e2470b93aac583c9ef6eafca3f730ae"))
    assert act3.hex().endswith("8dc68b1c466263b47fdf31e560e139ba")
    assert i.sk.hex() == "969ab31b4d288cedf6218839b27a3e2140827047f2c0f01bf5c04435d43511a9"


def test_publish_and_resolve_over_wsn(nostr_dns, gateway, relay, tmp_path):
    host = new_host(tmp_path)
    url = gateway.url()
    proc = publish_ip(nostr_dns, host, [url], "--ip", "192.0.2.7", "--ip", "2001:db8::7")
    assert proc.returncode == 0, show(proc)
    block, = parse_publish(out(proc))
    assert block.results[url.lower()][0] == "accepted", show(proc)
    # The event reached the real relay behind the gateway ...
    got = peers.raw_req(relay.url, {"authors": [host.hex], "kinds": [30053]})
    assert [e["id"] for e in got] == [block.id]
    # ... and comes back through the channel.
    proc = resolve(nostr_dns, host.npub, [url])
    assert proc.returncode == 0, show(proc)
    assert out(proc).splitlines() == ["192.0.2.7", "2001:db8::7"]


def test_python_bolt8_client_speaks_websocket_through_the_gateway(gateway, relay, tmp_path):
    host = new_host(tmp_path)
    ev = peers.sdk_event(host.keys, 30053, "", [["d", ""], ["ip4", "198.51.100.1"]])
    peers.sdk_publish_ok(relay.url, ev)
    ch = bolt8.Channel("127.0.0.1", gateway.port, bolt8.npub_point(gateway.host.hex))
    try:
        open_ws(ch)
        events = ws_req(ch, "s", {"authors": [host.hex], "kinds": [30053]})
        assert [e["id"] for e in events] == [ev.id().to_hex()]
    finally:
        ch.close()


def test_wsn_npub_alone_finds_the_gateway_through_its_address_record(nostr_dns, relay, tmp_path):
    gw_host = new_host(tmp_path, "-gw")
    g = Gateway(nostr_dns, gw_host, relay.url, "--relay", relay.url)
    try:
        # Without --publish nothing finds it yet.
        client = new_host(tmp_path)
        bare = f"wsn://{gw_host.npub}"
        proc = publish_ip(nostr_dns, client, [bare, relay.url], "--ip", "192.0.2.9")
        block, = parse_publish(out(proc))
        assert block.results[bare.lower()][0] == "failed", show(proc)
    finally:
        assert g.stop() == 0
    g = Gateway(nostr_dns, gw_host, relay.url, "--relay", relay.url, "--publish")
    try:
        peers.wait_until(lambda: peers.raw_req(relay.url, {"authors": [gw_host.hex], "kinds": [30053], "#d": ["wsn"]}),
                         15, "the gateway's address record")
        rec, = peers.raw_req(relay.url, {"authors": [gw_host.hex], "kinds": [30053], "#d": ["wsn"]})
        assert ["port", str(g.port)] in rec["tags"] and ["ip4", "127.0.0.1"] in rec["tags"]
        proc = publish_ip(nostr_dns, client, [bare, relay.url], "--ip", "192.0.2.10")
        assert proc.returncode == 0, show(proc)
        block, = parse_publish(out(proc))
        # Both URLs lead to the same relay: whichever came second hears "duplicate".
        status, message = block.results[bare.lower()]
        assert status == "accepted" or (status == "rejected" and "duplicate" in message), show(proc)
        proc = resolve(nostr_dns, client.npub, [bare, relay.url], "--json")
        assert proc.returncode == 0, show(proc)
    finally:
        assert g.stop() == 0


def test_client_expecting_another_npub_is_refused_before_any_byte(nostr_dns, gateway, tmp_path):
    other = new_host(tmp_path, "-other")
    url = gateway.url(other.npub)
    client = new_host(tmp_path)
    proc = publish_ip(nostr_dns, client, [url], "--ip", "192.0.2.11")
    assert proc.returncode == 1, show(proc)
    block, = parse_publish(out(proc))
    status, message = block.results[url.lower()]
    assert status == "failed" and "wsn://" in message, show(proc)
    # Nothing reached the relay.
    assert peers.raw_req(gateway_upstream(gateway), {"authors": [client.hex]}) == []


def gateway_upstream(g: Gateway) -> str:
    return g.proc.args[g.proc.args.index("--upstream") + 1]


def test_gateway_with_another_key_in_the_middle_is_refused(nostr_dns, gateway, relay, tmp_path):
    impostor = Gateway(nostr_dns, new_host(tmp_path, "-impostor"), relay.url)
    try:
        # The URL names the real gateway's npub, the address is the impostor's.
        url = f"wsn://{gateway.host.npub}@127.0.0.1:{impostor.port}"
        client = new_host(tmp_path)
        proc = publish_ip(nostr_dns, client, [url], "--ip", "192.0.2.12")
        assert proc.returncode == 1, show(proc)
        block, = parse_publish(out(proc))
        assert block.results[url.lower()][0] == "failed"
        assert peers.raw_req(relay.url, {"authors": [client.hex]}) == []
        proc = resolve(nostr_dns, client.npub, [url])
        assert proc.returncode != 0, show(proc)
    finally:
        assert impostor.stop() == 0


def closed_by_peer(s: socket.socket, timeout: float = 5) -> bool:
    s.settimeout(timeout)
    try:
        while True:
            if not s.recv(4096):
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def test_garbage_truncated_acts_and_oversized_lengths_harm_no_other_connection(nostr_dns, gateway, relay, tmp_path):
    host = new_host(tmp_path)
    ev = peers.sdk_event(host.keys, 30053, "", [["d", ""], ["ip4", "198.51.100.2"]])
    peers.sdk_publish_ok(relay.url, ev)
    rs = bolt8.npub_point(gateway.host.hex)
    good = bolt8.Channel("127.0.0.1", gateway.port, rs)
    open_ws(good)
    attackers = []
    try:
        # Garbage instead of act one: refused (closed) at once.
        s = socket.create_connection(("127.0.0.1", gateway.port))
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + b"\xff" * 40)
        assert closed_by_peer(s)
        # A bad version byte.
        s = socket.create_connection(("127.0.0.1", gateway.port))
        act = bytearray(bolt8.Initiator(rs).act_one())
        act[0] = 1
        s.sendall(bytes(act))
        assert closed_by_peer(s)
        # A truncated act one that stalls: held until the handshake timeout,
        # meanwhile harmless; one that ends: closed.
        stall = socket.create_connection(("127.0.0.1", gateway.port))
        stall.sendall(bolt8.Initiator(rs).act_one()[:30])
        attackers.append(stall)
        s = socket.create_connection(("127.0.0.1", gateway.port))
        s.sendall(bolt8.Initiator(rs).act_one()[:30])
        s.shutdown(socket.SHUT_WR)
        assert closed_by_peer(s)
        # A truncated act three.
        s = socket.create_connection(("127.0.0.1", gateway.port))
        i = bolt8.Initiator(rs)
        s.sendall(i.act_one())
        act3 = i.act_three(bolt8.recv_exact(s, 50))
        s.sendall(act3[:40])
        s.shutdown(socket.SHUT_WR)
        assert closed_by_peer(s)
        # Oversized: a length header of garbage (fails its tag) ...
        ch = bolt8.Channel("127.0.0.1", gateway.port, rs)
        ch.sock.sendall(b"\xff" * 18 + b"\x00" * 65535)
        assert closed_by_peer(ch.sock)
        # ... and an authentic 65535-byte length whose body is garbage.
        ch = bolt8.Channel("127.0.0.1", gateway.port, rs)
        ch.sock.sendall(ch.noise.seal_length_only(65535) + b"\x00" * (65535 + 16))
        assert closed_by_peer(ch.sock)
        # The good connection still works, and new ones too.
        assert [e["id"] for e in ws_req(good, "after", {"authors": [host.hex]})] == [ev.id().to_hex()]
        proc = resolve(nostr_dns, host.npub, [gateway.url()])
        assert out(proc).splitlines() == ["198.51.100.2"], show(proc)
        assert gateway.proc.poll() is None
    finally:
        good.close()
        for a in attackers:
            a.close()


def test_gateway_usage_errors_exit_2(nostr_dns, tmp_path):
    host = new_host(tmp_path)
    for args in (["gateway"], ["gateway", "--listen", "127.0.0.1:1"],
                 ["gateway", "--listen", "nope", "--upstream", "ws://127.0.0.1:1"],
                 ["gateway", "--listen", "127.0.0.1:1", "--upstream", "wss://127.0.0.1:1"]):
        proc = nostr_dns.run("--key", host.key_path, *args)
        assert proc.returncode == 2, show(proc)


def gateway_log(g: Gateway) -> list[str]:
    """The gateway's -v lines, once it has stopped."""
    assert g.stop() == 0
    return [line for line in g.proc.stderr.read().decode().splitlines() if line.startswith("gateway: ")]


def test_a_client_beyond_the_cap_gets_in_and_the_least_recently_active_makes_room(nostr_dns, relay, tmp_path):
    g = Gateway(nostr_dns, new_host(tmp_path, "-gw"), relay.url, "--max-connections", "2")
    rs = bolt8.npub_point(g.host.hex)
    held = []
    try:
        held = [bolt8.Channel("127.0.0.1", g.port, rs) for _ in range(2)]
        for ch in held:
            open_ws(ch)
        # held[0] is the more recently active one (the gateway counts
        # activity in milliseconds: a pause keeps the two apart).
        time.sleep(0.05)
        assert ws_req(held[0], "x", {"kinds": [1], "limit": 1}) is not None
        third = bolt8.Channel("127.0.0.1", g.port, rs)
        open_ws(third)
        assert ws_req(third, "y", {"kinds": [1], "limit": 1}) is not None
        # held[1], idle the longest, made room; held[0] still works.
        assert closed_by_peer(held[1].sock)
        assert ws_req(held[0], "z", {"kinds": [1], "limit": 1}) is not None
        third.close()
    finally:
        for ch in held:
            ch.close()
        lines = gateway_log(g)
        print("\n".join(lines))
    room = [line for line in lines if "making room for" in line]
    assert len(room) == 1 and "least recently active" in room[0], lines


def test_attack_idle_handshaken_connections_at_the_cap_cannot_lock_out_real_clients(nostr_dns, relay, tmp_path):
    """ATTACKER: --max-connections channels, handshake completed, then held
    idle (before, every new client was refused for as long as they were
    held, and told the gateway might be an impostor). A real nostr-dns client
    still publishes and resolves through the gateway, an active Python
    client keeps its channel while more idle connections arrive, and the
    connections the gateway closed to make room are the attacker's."""
    cap = 8
    g = Gateway(nostr_dns, new_host(tmp_path, "-gw"), relay.url, "--max-connections", str(cap),
                "--idle-timeout", "600")
    rs = bolt8.npub_point(g.host.hex)
    idle = []
    good = None
    try:
        idle = [bolt8.Channel("127.0.0.1", g.port, rs) for _ in range(cap)]
        time.sleep(0.3)  # every one established on the gateway's side
        host = new_host(tmp_path)
        proc = publish_ip(nostr_dns, host, [g.url()], "--ip", "192.0.2.21")
        assert proc.returncode == 0, show(proc)
        block, = parse_publish(out(proc))
        assert block.results[g.url().lower()][0] == "accepted", show(proc)
        proc = resolve(nostr_dns, host.npub, [g.url()])
        assert proc.returncode == 0 and out(proc).splitlines() == ["192.0.2.21"], show(proc)
        # An active client stays while as many idle connections again arrive.
        good = bolt8.Channel("127.0.0.1", g.port, rs)
        open_ws(good)
        for _ in range(cap):
            assert ws_req(good, "a", {"authors": [host.hex], "kinds": [30053]}) != []
            idle.append(bolt8.Channel("127.0.0.1", g.port, rs))
            time.sleep(0.05)
        assert ws_req(good, "b", {"authors": [host.hex], "kinds": [30053]}) != []
        # The first idle connections are the ones that went.
        assert all(closed_by_peer(ch.sock) for ch in idle[:cap])
        assert g.proc.poll() is None
    finally:
        for ch in idle:
            ch.close()
        if good:
            good.close()
    lines = gateway_log(g)
    room = [line for line in lines if "making room for" in line]
    # publish-ip made room once (its slot was free again for resolve and the
    # good client, unless the gateway had not yet seen it close), and each of
    # the second batch once; never a refusal.
    assert cap + 1 <= len(room) <= cap + 3, lines
    assert not any("refused" in line for line in lines), lines


def test_attack_idle_channels_are_closed_after_the_idle_timeout_and_active_ones_are_not(nostr_dns, relay, tmp_path):
    """ATTACKER: a channel held open without a byte is closed after
    --idle-timeout; one that keeps talking stays."""
    g = Gateway(nostr_dns, new_host(tmp_path, "-gw"), relay.url, "--idle-timeout", "2")
    rs = bolt8.npub_point(g.host.hex)
    try:
        quiet = bolt8.Channel("127.0.0.1", g.port, rs)
        open_ws(quiet)
        busy = bolt8.Channel("127.0.0.1", g.port, rs)
        open_ws(busy)
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            assert ws_req(busy, "k", {"kinds": [1], "limit": 1}) is not None
            time.sleep(0.5)
        assert closed_by_peer(quiet.sock, timeout=10)
        assert ws_req(busy, "k", {"kinds": [1], "limit": 1}) is not None
        quiet_peer = "127.0.0.1:%d" % quiet.sock.getsockname()[1]
        quiet.close()
        busy.close()
    finally:
        lines = gateway_log(g)
    # The quiet one, and only it, was closed for being idle (2 s or more:
    # when the loop got to it).
    idle = [m for line in lines if (m := re.fullmatch(r"gateway: closed (\S+): idle for (\d+) s", line))]
    assert [m.group(1) for m in idle] == [quiet_peer] and int(idle[0].group(2)) >= 2, lines


def test_a_gateway_that_hangs_up_during_the_handshake_is_not_called_an_impostor(nostr_dns, tmp_path):
    """A relay that closes the connection after act one (busy, stopping, or
    holding another key: the client cannot tell) is reported as what
    happened, not as one that does not hold the npub's key."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def hang_up():
        for _ in range(4):
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.recv(50)
            conn.close()

    import threading
    threading.Thread(target=hang_up, daemon=True).start()
    try:
        gw = new_host(tmp_path, "-gw")
        proc = resolve(nostr_dns, new_host(tmp_path).npub, [f"wsn://{gw.npub}@127.0.0.1:{port}"])
        assert proc.returncode != 0, show(proc)
        text = out(proc) + proc.stderr.decode()
        assert "before proving the npub's key" in text and "does not hold" not in text, show(proc)
    finally:
        listener.close()


def _handshake_ok(port: int, rs: bytes) -> bool:
    try:
        ch = bolt8.Channel("127.0.0.1", port, rs, timeout=2)
        open_ws(ch)
        ch.close()
        return True
    except (OSError, ConnectionError, AssertionError):
        return False


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_gateway_stops_cleanly_on_signal_with_connections_open(nostr_dns, relay, tmp_path, sig):
    g = Gateway(nostr_dns, new_host(tmp_path, "-gw"), relay.url)
    ch = bolt8.Channel("127.0.0.1", g.port, bolt8.npub_point(g.host.hex))
    open_ws(ch)
    g.proc.send_signal(getattr(signal, sig))
    assert g.proc.wait(10) == 0
    assert closed_by_peer(ch.sock)
    ch.close()


def test_dns_server_finds_a_wsn_relay_published_after_it_started_and_follows_it_when_it_moves(
        nostr_dns, relay, relay_factory, tmp_path):
    """`nostr-dns dns --relay ws://R1 --relay wsn://<gateway npub>` started
    before the gateway had said where it is (a router that booted before its
    uplink): the wsn relay waits for its record instead of failing for good,
    is connected to once the gateway publishes its `wsn` address record to
    R1, and is followed to the new port when the gateway moves. The host's
    record is only on R2, behind the gateway, so every answer came through
    the wsn:// channel."""
    behind = relay_factory()
    gw_host = new_host(tmp_path, "-gw")
    host = new_host(tmp_path)
    proc = publish_ip(nostr_dns, host, [behind.url], "--ip", "192.0.2.21")
    assert proc.returncode == 0, show(proc)
    bare = f"wsn://{gw_host.npub}"
    s = DnsServer(nostr_dns, tmp_path / "dns", [relay.url, bare])

    def wsn_connections() -> int:
        return s.proc.log_text().count(f"relay {bare}: connected")

    try:
        peers.wait_until(lambda: f"relay {bare}: no address yet: waiting for its wsn address record" in s.proc.log_text(),
                         10, "the wsn relay waiting for its record", s.proc)
        g = Gateway(nostr_dns, gw_host, behind.url, "--relay", relay.url, "--publish")
        try:
            peers.wait_until(lambda: wsn_connections() == 1, 15, "the server connected to the gateway", s.proc)
            assert dns_a(s.port, host.name) == ["192.0.2.21"]
        finally:
            assert g.stop() == 0
        time.sleep(1.1)  # the moved gateway's record must be newer (created_at counts whole seconds)
        moved = Gateway(nostr_dns, gw_host, behind.url, "--relay", relay.url, "--publish")
        try:
            assert moved.port != g.port
            peers.wait_until(lambda: wsn_connections() == 2, 20, "the server connected to the moved gateway", s.proc)
            proc = publish_ip(nostr_dns, host, [behind.url], "--ip", "192.0.2.22")
            assert proc.returncode == 0, show(proc)
            # The update reaches the server through its subscription over the new channel.
            peers.wait_until(lambda: dns_a(s.port, host.name) == ["192.0.2.22"], 15, "the update", s.proc)
        finally:
            assert moved.stop() == 0
    finally:
        s.stop()


def dns_a(port: int, name: str) -> list[str]:
    return answers(query(name, "A", port, timeout=5), dns.rdatatype.A)
