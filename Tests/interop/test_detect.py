"""publish-ip --detect: interface addresses (inside a network namespace that
the test builds) and the mapped address from a real STUN server (coturn);
--watch, the dynamic-DNS daemon.

In the namespace: lo, and veth links whose both ends stay inside it (no
route anywhere). nostr-relay runs there too, on the namespace's own lo, and
nostr-dns and rust-nostr are run there with `ip netns exec`.
"""

import json
import signal
import subprocess
import time

import pytest
from nostr_sdk import Event

import peers
from cli import err, new_host, norm_url, out, parse_publish, record_filter, relay_args, show, tag_values

# Published by --detect iface: global unicast on an up, non-loopback interface.
GLOBAL_V4 = ["93.184.216.34/24", "94.130.10.20/24"]
GLOBAL_V6 = ["2a01:4f8::1/64", "2a00:1450:4001:824::200e/64"]
# Never published.
EXCLUDED_V4 = [
    "10.1.2.3/8", "172.16.5.4/12", "192.168.77.1/24",        # private
    "169.254.10.1/16",                                     # link-local
    "100.64.1.1/10",                                       # CGNAT
    "192.0.2.1/24", "198.51.100.1/24", "203.0.113.1/24",    # documentation
    "198.18.0.1/15",                                       # benchmarking
]
EXCLUDED_V6 = [
    "fd00:1::1/64",                                        # ULA
    "fe80::1234/64",                                       # link-local
    "2001:db8::1/64",                                      # documentation
]
# Global, but on an interface that is down.
DOWN_V4, DOWN_V6 = "95.216.1.1/24", "2a01:4f9::5/64"


def plain(cidrs):
    return {c.split("/")[0] for c in cidrs}


@pytest.fixture
def host(tmp_path):
    return new_host(tmp_path)


@pytest.fixture
def lan(netns, relay_factory):
    """A namespace with every kind of address, and a nostr-relay on its lo."""
    netns.add_veth("nd0", "nd1")
    for a in GLOBAL_V4 + EXCLUDED_V4:
        netns.ip("addr", "add", a, "dev", "nd0")
    for a in GLOBAL_V6 + EXCLUDED_V6:
        netns.ip("addr", "add", a, "dev", "nd0", "nodad")
    netns.add_veth("nd2", "nd3", up=False)
    netns.ip("addr", "add", DOWN_V4, "dev", "nd2")
    netns.ip("addr", "add", DOWN_V6, "dev", "nd2", "nodad")
    relay = relay_factory(netns=netns)
    return netns, relay


def ns_events(netns, url, flt) -> list[dict]:
    """Every version the relay returns, each verified by rust-nostr."""
    proc = netns.tool("rawreq", url, json.dumps(flt))
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    for e in events:
        assert Event.from_json(json.dumps(e)).verify(), e
    return events


def newest(events):
    return max(events, key=lambda e: (e["created_at"], [-ord(c) for c in e["id"]])) if events else None


def test_detect_iface_publishes_only_global_addresses_of_up_interfaces(nostr_dns, lan, host):
    netns, relay = lan
    proc = nostr_dns.run("--key", host.key_path, *relay_args(relay.url), "publish-ip", "--detect", "iface",
                         prefix=netns.exec_argv([]))
    assert proc.returncode == 0, show(proc)
    block, = parse_publish(out(proc))
    assert block.results == {norm_url(relay.url): ("accepted", None)}
    fetched = netns.tool("fetch", relay.url, json.dumps(record_filter(host.hex)))
    assert fetched.returncode == 0, fetched.stderr
    events = [json.loads(line) for line in fetched.stdout.splitlines()]
    assert len(events) == 1 and events[0]["id"] == block.id
    tags = events[0]["tags"]
    assert set(tag_values(tags, "ip4")) == plain(GLOBAL_V4), tags
    assert set(tag_values(tags, "ip6")) == plain(GLOBAL_V6), tags
    assert len(tag_values(tags, "ip4")) == 2 and len(tag_values(tags, "ip6")) == 2, "no duplicates"
    assert ["d", ""] in tags and ["alt", "DNS records"] in tags

    # and it resolves, inside the namespace
    r = nostr_dns.run(*relay_args(relay.url), "resolve", host.npub, prefix=netns.exec_argv([]))
    assert r.returncode == 0, show(r)
    lines = r.stdout.decode().splitlines()
    assert set(lines[:2]) == plain(GLOBAL_V4) and set(lines[2:]) == plain(GLOBAL_V6)


def test_detect_iface_with_only_private_addresses_publishes_nothing(nostr_dns, netns, relay_factory, host):
    netns.add_veth("nd0", "nd1")
    netns.ip("addr", "add", "192.168.1.10/24", "dev", "nd0")
    netns.ip("addr", "add", "fd00:1::10/64", "dev", "nd0", "nodad")
    relay = relay_factory(netns=netns)
    proc = nostr_dns.run("--key", host.key_path, *relay_args(relay.url), "publish-ip", "--detect", "iface",
                         prefix=netns.exec_argv([]))
    assert proc.returncode == 1, show(proc)
    assert "unknown command" not in err(proc).lower(), show(proc)
    assert "published" not in out(proc)
    assert ns_events(netns, relay.url, {"authors": [host.hex]}) == []


def test_detect_stun_publishes_the_mapped_address_from_coturn(nostr_dns, relay, stun_server, host):
    proc = nostr_dns.run("--key", host.key_path, *relay_args(relay.url), "publish-ip",
                         "--detect", f"stun:127.0.0.1:{stun_server.port}")
    assert proc.returncode == 0, show(proc)
    block, = parse_publish(out(proc))
    assert block.results == {norm_url(relay.url): ("accepted", None)}
    ev, = peers.sdk_fetch(relay.url, record_filter(host.hex))
    tags = [t.to_vec() for t in ev.tags()]
    assert tag_values(tags, "ip4") == ["127.0.0.1"] and tag_values(tags, "ip6") == []


def test_detect_stun_without_a_server_fails_and_publishes_nothing(nostr_dns, relay, host):
    port = peers.free_port(udp=True)
    start = time.monotonic()
    proc = nostr_dns.run("--key", host.key_path, *relay_args(relay.url), "publish-ip",
                         "--detect", f"stun:127.0.0.1:{port}", "--timeout", "3")
    elapsed = time.monotonic() - start
    assert proc.returncode == 1, show(proc)
    assert "published" not in out(proc)
    assert f"127.0.0.1:{port}" in err(proc) or "stun" in err(proc).lower(), show(proc)
    assert elapsed < 3 + 5, f"{elapsed:.1f} s"
    assert peers.raw_req(relay.url, {"authors": [host.hex]}) == []


def test_watch_republishes_when_the_address_changes_and_exits_0_on_sigterm(nostr_dns, netns, relay_factory, host):
    netns.add_veth("nd0", "nd1")
    netns.ip("addr", "add", "93.184.216.34/24", "dev", "nd0")
    relay = relay_factory(netns=netns)
    flt = record_filter(host.hex)
    daemon = nostr_dns.popen("--key", host.key_path, *relay_args(relay.url), "publish-ip", "--detect", "iface",
                             "--watch", "--interval", "1", prefix=netns.exec_argv([]))
    try:
        def published():
            if daemon.poll() is not None:
                o, e = daemon.communicate()
                pytest.fail(f"publish-ip --watch exited with {daemon.returncode}\n{o.decode()}\n{e.decode()}")
            return newest(ns_events(netns, relay.url, flt))
        first = peers.wait_until(published, 10, "the first record from publish-ip --watch")
        assert tag_values(first["tags"], "ip4") == ["93.184.216.34"]
        assert daemon.poll() is None, "the daemon keeps running"
        time.sleep(1.1)  # a new second, so the next record can be strictly newer

        netns.ip("addr", "del", "93.184.216.34/24", "dev", "nd0")
        netns.ip("addr", "add", "93.184.216.35/24", "dev", "nd0")
        changed_at = time.monotonic()

        def moved():
            ev = published()
            return ev if tag_values(ev["tags"], "ip4") == ["93.184.216.35"] else None
        second = peers.wait_until(moved, 8, "a newer record with the new address", interval=0.25)
        assert second["created_at"] > first["created_at"]
        assert time.monotonic() - changed_at < 8

        r = nostr_dns.run(*relay_args(relay.url), "resolve", host.npub, prefix=netns.exec_argv([]))
        assert r.stdout.decode().splitlines() == ["93.184.216.35"], show(r)
    finally:
        if daemon.poll() is None:
            daemon.send_signal(signal.SIGTERM)
        try:
            stdout, stderr = daemon.communicate(timeout=5)
            code = daemon.returncode
        except subprocess.TimeoutExpired:
            daemon.kill()
            stdout, stderr = daemon.communicate()
            code = "no exit within 5 s of SIGTERM"
        except ValueError:  # its pipes were already read by published()
            stdout = stderr = b""
            code = daemon.returncode
    assert code == 0, f"exit {code}\n{stdout.decode()}\n{stderr.decode()}"
    blocks = parse_publish(stdout.decode())
    assert len([b for b in blocks if b.kind == 30053]) >= 2, stdout.decode()


def stop_daemon(daemon, within: float):
    """SIGTERM, then (exit code, seconds it took); a daemon still running after `within` s is killed."""
    start = time.monotonic()
    daemon.send_signal(signal.SIGTERM)
    try:
        daemon.wait(timeout=within)
        return daemon.returncode, time.monotonic() - start
    except subprocess.TimeoutExpired:
        daemon.kill()
        daemon.wait()
        return f"no exit within {within} s of SIGTERM", time.monotonic() - start


def test_watch_publishes_the_mapped_address_from_coturn(nostr_dns, relay, stun_server, host, tmp_path):
    log = open(tmp_path / "daemon.log", "wb")
    daemon = nostr_dns.popen("--key", host.key_path, *relay_args(relay.url), "publish-ip",
                             "--detect", f"stun:127.0.0.1:{stun_server.port}", "--watch", "--interval", "1",
                             stdout=log, stderr=log)
    try:
        def published():
            assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()
            return newest(peers.raw_req(relay.url, record_filter(host.hex)))
        ev = peers.wait_until(published, 10, "the record from publish-ip --watch --detect stun", interval=0.25)
        assert tag_values(ev["tags"], "ip4") == ["127.0.0.1"] and tag_values(ev["tags"], "ip6") == []
    finally:
        code, _ = stop_daemon(daemon, 5)
        log.close()
    assert code == 0, (tmp_path / "daemon.log").read_text()


def test_watch_serves_relays_and_ends_on_sigterm_while_the_stun_server_is_silent(nostr_dns, relay, host, tmp_path):
    """coturn answers the first checks, then is paused (SIGSTOP: its socket
    takes the requests, nothing answers). While the daemon's STUN probe waits
    (--timeout 60), a relay that was down comes up: the daemon connects to it
    and publishes the record there; then SIGTERM ends it at once, exit 0."""
    coturn = peers.Coturn(tmp_path / "coturn").start()
    late = peers.NostrRelay(tmp_path / "late-relay")  # its port, not listening yet
    log = open(tmp_path / "daemon.log", "wb")
    daemon = nostr_dns.popen("--key", host.key_path, *relay_args(relay.url, late.url), "publish-ip",
                             "--detect", f"stun:127.0.0.1:{coturn.port}", "--watch", "--interval", "1",
                             "--timeout", "60", stdout=log, stderr=log)
    flt = record_filter(host.hex)
    code = elapsed = None
    try:
        def on(url):
            def found():
                assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()
                return newest(peers.raw_req(url, flt))
            return found
        first = peers.wait_until(on(relay.url), 10, "the record on the first relay", interval=0.25)
        assert tag_values(first["tags"], "ip4") == ["127.0.0.1"]

        coturn.proc.signal_group(signal.SIGSTOP)
        time.sleep(2)  # the next check has started: its probe waits for coturn
        late.start()
        ev = peers.wait_until(on(late.url), 30, "the record on the relay that came up during the STUN wait",
                              interval=0.25)
        assert ev["id"] == first["id"]
        assert "timed out" not in (tmp_path / "daemon.log").read_text(), "the probe is still waiting"
    finally:
        if daemon.poll() is None:
            code, elapsed = stop_daemon(daemon, 10)
        log.close()
        late.stop()
        coturn.stop()
    assert code == 0, f"exit {code}\n" + (tmp_path / "daemon.log").read_text()
    assert elapsed < 2, f"{elapsed:.1f} s from SIGTERM to exit"


def test_watch_ends_on_sigterm_while_the_stun_servers_name_server_is_silent(nostr_dns, netns, relay_factory, host,
                                                                             tmp_path):
    """The STUN server is given by name, and the namespace's only name server
    is a black hole (timeout:5 attempts:3, so getaddrinfo would block for
    15 s): SIGTERM while the lookup waits ends the daemon at once, exit 0."""
    from test_relay_lookup import BLACK_HOLE, private_etc
    resolv, hosts = tmp_path / "resolv.conf", tmp_path / "hosts"
    resolv.write_text("nameserver 127.0.0.53\noptions timeout:5 attempts:3\n")
    hosts.write_text("127.0.0.1 localhost\n")
    relay = relay_factory(netns=netns)
    hole = peers.Proc("black-hole", netns.exec_argv([peers.PYTHON, "-c", BLACK_HOLE]), tmp_path / "hole.log")
    log = open(tmp_path / "daemon.log", "wb")
    daemon = None
    try:
        peers.wait_until(lambda: "ready" in hole.log_text(), 10, "the black-hole name server", hole)
        argv = nostr_dns.argv(["--key", host.key_path, *relay_args(relay.url), "publish-ip",
                               "--detect", "stun:stun.example.com:3478", "--watch", "--interval", "1",
                               "--timeout", "60"])
        daemon = subprocess.Popen(private_etc(netns, resolv, hosts, argv), stdin=subprocess.DEVNULL,
                                  stdout=log, stderr=log, env=nostr_dns.full_env())
        peers.wait_until(lambda: "query" in hole.log_text(), 10, "the STUN server's lookup at the name server")
        time.sleep(0.5)
        assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()
        code, elapsed = stop_daemon(daemon, 30)
    finally:
        if daemon is not None and daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        log.close()
        hole.stop()
    assert code == 0, f"exit {code}\n" + (tmp_path / "daemon.log").read_text()
    assert elapsed < 2, f"{elapsed:.1f} s from SIGTERM to exit"
