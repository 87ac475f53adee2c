"""The test peers themselves: each fixture starts a real peer that behaves as
the CLI tests assume. These run without the nostr-dns binary, so a broken peer
shows up here, apart from a broken CLI.
"""

import json
import socket
import time

import pytest
from nostr_sdk import Keys

import peers


def _record(keys, ip="93.184.216.34", created_at=None, d=""):
    return peers.sdk_event(keys, 30053, "", [["d", d], ["ip4", ip], ["alt", "DNS records"]], created_at)


def _flt(keys, d=""):
    return {"kinds": [30053], "authors": [keys.public_key().to_hex()], "#d": [d]}


def test_nostr_relay_stores_what_rust_nostr_publishes_and_serves_it_verified(relay):
    keys = Keys.generate()
    ev = _record(keys)
    peers.sdk_publish_ok(relay.url, ev)
    got = peers.sdk_fetch(relay.url, _flt(keys))
    assert [e.id().to_hex() for e in got] == [ev.id().to_hex()]
    assert got[0].verify()


def test_nostr_relay_returns_both_versions_when_the_older_is_published_last(relay):
    """The precondition of the client-side 'newest wins' tests (the Design article, "Resolution rules")."""
    keys = Keys.generate()
    now = int(time.time())
    new, old = _record(keys, "5.6.7.8", now - 10), _record(keys, "1.2.3.4", now - 100)
    peers.sdk_publish_ok(relay.url, new)
    peers.sdk_publish_ok(relay.url, old)
    got = peers.raw_req(relay.url, _flt(keys))
    assert sorted(e["id"] for e in got) == sorted([new.id().to_hex(), old.id().to_hex()])


def test_nostr_relay_refuses_forged_events(relay):
    keys = Keys.generate()
    ev = peers.event_dict(_record(keys))
    ev["sig"] = ev["sig"][:-1] + ("0" if ev["sig"][-1] != "0" else "1")
    ok = peers.raw_publish(relay.url, ev)
    assert ok == ["OK", "", False, "invalid: Bad signature"], ok  # sic: empty id
    assert peers.raw_req(relay.url, _flt(keys)) == []


def test_relay_restart_keeps_its_events_and_pause_blocks_answers(relay_factory):
    r = relay_factory()
    keys = Keys.generate()
    ev = _record(keys)
    peers.sdk_publish_ok(r.url, ev)
    r.restart()
    assert [e["id"] for e in peers.raw_req(r.url, _flt(keys))] == [ev.id().to_hex()]
    r.pause()
    try:
        with pytest.raises(Exception):
            peers.raw_req(r.url, _flt(keys), timeout=1)
        # the kernel still accepts the TCP connection
        with socket.create_connection(("127.0.0.1", r.port), timeout=1):
            pass
    finally:
        r.resume()
    assert len(peers.raw_req(r.url, _flt(keys))) == 1


def test_relay_with_blacklist_rejects_with_its_message(relay_factory):
    keys = Keys.generate()
    r = relay_factory(extra_validators=["nostr_relay.validators.is_author_blacklisted"],
                      extra_config=f"pubkey_blacklist:\n  - {keys.public_key().to_hex()}\n")
    ok = peers.raw_publish(r.url, peers.event_dict(_record(keys)))
    assert ok == ["OK", "", False, f"rejected: {keys.public_key().to_hex()} not allowed"], ok
    other = Keys.generate()
    assert peers.raw_publish(r.url, peers.event_dict(_record(other)))[2] is True


def test_ipv6_relay_on_loopback(ipv6_relay):
    assert ipv6_relay.url.startswith("ws://[::1]:")
    keys = Keys.generate()
    peers.sdk_publish_ok(ipv6_relay.url, _record(keys))
    assert len(peers.sdk_fetch(ipv6_relay.url, _flt(keys))) == 1


@pytest.mark.parametrize("front", ["wss_relay", "nginx_relay"])
def test_tls_front_end_with_test_ca_carries_nostr_both_ways(request, front):
    f = request.getfixturevalue(front)
    keys = Keys.generate()
    ev = _record(keys)
    # rust-nostr over wss with the private CA (CustomWebSocketTransport)
    peers.sdk_publish_ok(f.url, ev, ca=f.ca)
    assert [e.id().to_hex() for e in peers.sdk_fetch(f.url, _flt(keys), ca=f.ca)] == [ev.id().to_hex()]
    # the same relay, plain, behind it
    assert [e["id"] for e in peers.raw_req(f.backend.url, _flt(keys))] == [ev.id().to_hex()]
    # and over ::1
    assert len(peers.raw_req(f.url_for("::1"), _flt(keys), ca=f.ca)) == 1


def test_tls_front_ends_fail_with_the_wrong_ca_or_name(wss_relay, wss_other_name, test_ca):
    import ssl
    keys = Keys.generate()
    with pytest.raises(ssl.SSLCertVerificationError):
        peers.raw_req(wss_relay.url, _flt(keys), ca=test_ca.wrong_ca, timeout=3)
    with pytest.raises(ssl.SSLCertVerificationError):
        peers.raw_req(wss_other_name.url, _flt(keys), ca=test_ca.ca, timeout=3)
    assert peers.raw_req(wss_relay.url, _flt(keys), ca=test_ca.ca) == []


def test_test_ca_certificates_have_the_expected_names(test_ca):
    import subprocess
    def text(p):
        return subprocess.run(["openssl", "x509", "-in", str(p), "-noout", "-text"],
                              capture_output=True, text=True, check=True).stdout
    server = text(test_ca.server_cert)
    assert "DNS:localhost" in server and "IP Address:127.0.0.1" in server and "IP Address:0:0:0:0:0:0:0:1" in server
    assert "prime256v1" in server
    other = text(test_ca.other_cert)
    assert "DNS:other.example" in other and "localhost" not in other
    for cert in (test_ca.server_cert, test_ca.other_cert):
        ok = subprocess.run(["openssl", "verify", "-CAfile", str(test_ca.ca), str(cert)], capture_output=True)
        assert ok.returncode == 0
        bad = subprocess.run(["openssl", "verify", "-CAfile", str(test_ca.wrong_ca), str(cert)], capture_output=True)
        assert bad.returncode != 0


def test_local_relay_round_trip(local_relay):
    keys = Keys.generate()
    ev = _record(keys)
    peers.sdk_publish_ok(local_relay.url, ev)
    assert [e.id().to_hex() for e in peers.sdk_fetch(local_relay.url, _flt(keys))] == [ev.id().to_hex()]


def test_coturn_answers_binding_requests_with_xor_mapped_address(stun_server):
    addr, port, local_port = peers.stun_binding("127.0.0.1", stun_server.port)
    assert addr == "127.0.0.1" and port == local_port


def test_evil_relay_serves_forged_events_that_real_clients_reject(evil_relay_factory):
    keys = Keys.generate()
    ev = peers.event_dict(_record(keys))
    forged = dict(ev, sig="00" * 64)
    e = evil_relay_factory([ev, forged])
    got = peers.raw_req(e.url, {"kinds": [1]})
    assert got == [ev, forged]
    # rust-nostr drops the forged one
    assert [x.id().to_hex() for x in peers.sdk_fetch(e.url, {"kinds": [1]})] == [ev["id"]]


def test_netns_relay_and_addresses(netns, relay_factory):
    netns.add_veth("nd0", "nd1")
    netns.ip("addr", "add", "93.184.216.34/24", "dev", "nd0")
    netns.ip("addr", "add", "2a01:4f8::1/64", "dev", "nd0", "nodad")
    r = relay_factory(netns=netns)
    r2 = netns.tool("rawreq", r.url, json.dumps({"kinds": [1]}))
    assert r2.returncode == 0, r2.stderr
    # the relay is not reachable from the root namespace
    with pytest.raises(Exception):
        peers.raw_req(r.url, {"kinds": [1]}, timeout=1)
    assert "93.184.216.34/24" in netns.ip("addr", "show", "dev", "nd0").stdout
