"""ATTACKER: DNS rebinding through the zone (issue 16 item 4). Anyone can make
an npub and sign an address record that points `rebind.<npub>.nostr` at
127.0.0.1, the router's 192.168.1.1 or the cloud metadata service
169.254.169.254; a web page on that name could then reach them from the
browser as its own origin. Published to a real nostr-relay 1.14 and asked
for with dig, kdig, `resolve`, dnsmasq (rebind protection on) and, in
network namespaces, mDNS queriers: loopback, unspecified, broadcast,
multicast and link-local addresses (and their IPv6 embeddings) are never
answered; private ones (RFC 1918, CGNAT, ULA) only for trusted npubs.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess

import pytest
from nostr_sdk import Keys

import mdns_rig
import peers
from cli import address_record, err, new_host, out, relay_args, show
from conftest import make_key_dir, write_key_file
from test_dns import DnsServer, dig, kdig, start_dnsmasq

REBIND_V4 = ["127.0.0.1", "0.0.0.0", "255.255.255.255", "224.0.0.251", "169.254.169.254", "10.0.0.1",
             "192.168.1.1", "172.16.0.1", "100.64.0.1", "127.1.2.3", "93.184.216.34"]
REBIND_V6 = ["::1", "fe80::1", "ff02::1", "::ffff:127.0.0.1", "::", "::ffff:169.254.169.254", "64:ff9b::7f00:1",
             "2002:7f00:1::1", "fd00::1", "2001:db8::1"]
# A global address outside the documentation ranges: dnsmasq's rebind
# protection blocks 192.0.2/24 and the other TEST-NETs too.
GLOBAL = {"93.184.216.34", "2001:db8::1"}
PRIVATE = {"10.0.0.1", "192.168.1.1", "172.16.0.1", "100.64.0.1", "fd00::1"}
NEVER = set(REBIND_V4 + REBIND_V6) - GLOBAL - PRIVATE


def norm(texts) -> set[str]:
    return {str(ipaddress.ip_address(t)) for t in texts}


def publish_rebind(relay_url: str, keys, d: str = "rebind"):
    peers.sdk_publish_ok(relay_url, address_record(keys, ip4=REBIND_V4, ip6=REBIND_V6, d=d, ttl=300))


def dig_all(port: int, name: str, *transport: str) -> set[str]:
    got = set()
    for rdtype in ("A", "AAAA"):
        r = dig("@127.0.0.1", "-p", str(port), name, rdtype, "+short", "+time=8", "+tries=1", *transport)
        assert r.returncode == 0, r.stdout + r.stderr
        got |= set(r.stdout.split())
    return norm(got)


@pytest.fixture
def attacker(relay):
    keys = Keys.generate()
    publish_rebind(relay.url, keys)
    return keys


@pytest.fixture
def friend(relay):
    keys = Keys.generate()
    publish_rebind(relay.url, keys)
    return keys


def name(keys, label: str = "rebind") -> str:
    return f"{label}.{keys.public_key().to_bech32()}.nostr"


# ---------------------------------------------------------------------------
# dns


def test_dns_rebinding_record_of_an_untrusted_npub_answers_no_loopback_link_local_or_private(
        nostr_dns, relay, attacker, friend, tmp_path):
    s = DnsServer(nostr_dns, tmp_path / "dns", [relay.url], "--trust", friend.public_key().to_bech32())
    try:
        assert dig_all(s.port, name(attacker)) == norm(GLOBAL), s.proc.log_text()
        assert dig_all(s.port, name(attacker), "+tcp") == norm(GLOBAL)
        r = kdig("@127.0.0.1", "-p", str(s.port), name(attacker), "AAAA", "+short")
        assert norm(r.stdout.split()) == norm({"2001:db8::1"}), r.stdout + r.stderr
        r = kdig("@127.0.0.1", "-p", str(s.port), name(attacker), "ANY", "+tcp", "+short")
        assert norm(r.stdout.split()) == norm(GLOBAL), r.stdout + r.stderr
        # What was dropped and why, at -v: once per record, not per query.
        log = s.proc.log_text()
        assert log.count("dropped 127.0.0.1 (loopback, never answered)") == 1, log
        assert log.count("dropped 169.254.169.254 (link-local, never answered)") == 1, log
        assert "dropped ::ffff:127.0.0.1 (loopback, never answered)" in log, log
        assert "dropped 192.168.1.1 (private, npub not trusted)" in log, log
    finally:
        s.stop()


def test_dns_trusted_npub_gets_private_answers_but_never_loopback_or_link_local(nostr_dns, relay, friend, tmp_path):
    s = DnsServer(nostr_dns, tmp_path / "dns", [relay.url], "--trust", friend.public_key().to_bech32())
    try:
        got = dig_all(s.port, name(friend))
        assert got == norm(GLOBAL | PRIVATE), s.proc.log_text()
        assert not got & norm(NEVER)
    finally:
        s.stop()


def test_dns_own_key_is_trusted_and_private_answers_all_in_the_config_still_never_loopback(
        nostr_dns, relay, attacker, tmp_path):
    host = new_host(tmp_path)
    publish_rebind(relay.url, host.keys)
    s = DnsServer(nostr_dns, tmp_path / "own", [relay.url], "--key", host.key_path)
    try:
        assert dig_all(s.port, name(host.keys)) == norm(GLOBAL | PRIVATE), s.proc.log_text()
        assert dig_all(s.port, name(attacker)) == norm(GLOBAL)
    finally:
        s.stop()
    config = tmp_path / "config"
    config.write_text("# every npub's private addresses\nprivate-answers = all\n")
    s = DnsServer(nostr_dns, tmp_path / "all", [relay.url], "--config", str(config))
    try:
        assert dig_all(s.port, name(attacker)) == norm(GLOBAL | PRIVATE), s.proc.log_text()
    finally:
        s.stop()


def test_bad_trust_settings_are_refused_with_exit_2(nostr_dns, tmp_path):
    npub = Keys.generate().public_key().to_bech32()
    for args, mentions in ((["dns", "--trust", "npub1notakey"], "trust"), (["dns", "--private-answers", "some"], "some"),
                           (["resolve", npub, "--trust", "192.168.1.1"], "192.168.1.1"),
                           (["fetch", f"https://{npub}.nostr/", "--trust", "x"], "trust"),
                           (["dns", "--allow-from", "10.0.0.0/40"], "10.0.0.0/40"),
                           (["dns", "--rate-limit", "-1"], "--rate-limit")):
        r = nostr_dns.run("--relay", "ws://127.0.0.1:1", *args, timeout=20)
        assert r.returncode == 2 and mentions in err(r), show(r)
    config = tmp_path / "config"
    config.write_text("private-answers = everything\n")
    r = nostr_dns.run("--relay", "ws://127.0.0.1:1", "--config", str(config), "dns", timeout=20)
    assert r.returncode == 2 and "private-answers" in err(r), show(r)


def test_dnsmasq_rebind_protection_allowed_per_trusted_name_passes_only_that_names_private_answers(
        nostr_dns, relay, attacker, friend, tmp_path):
    """The deployment's instructions: dnsmasq keeps stop-dns-rebind on and
    allows the trusted name only (rebind-domain-ok=/<npub>.nostr/)."""
    trusted = friend.public_key().to_bech32()
    s = DnsServer(nostr_dns, tmp_path / "dns", [relay.url], "--trust", trusted)
    proc, port = start_dnsmasq(tmp_path, f"--server=/nostr/127.0.0.1#{s.port}", "--stop-dns-rebind",
                               f"--rebind-domain-ok=/{trusted}.nostr/")
    try:
        r = dig("@127.0.0.1", "-p", str(port), name(friend), "A", "+short")
        assert norm(r.stdout.split()) == norm({a for a in GLOBAL | PRIVATE if ":" not in a}), r.stdout + r.stderr
        r = dig("@127.0.0.1", "-p", str(port), name(attacker), "A", "+short")
        assert norm(r.stdout.split()) == norm({"93.184.216.34"}), r.stdout + r.stderr
    finally:
        proc.stop()
        s.stop()


# ---------------------------------------------------------------------------
# resolve


def test_resolve_prints_no_dangerous_address_and_says_why_with_v(nostr_dns, relay, attacker):
    r = nostr_dns.run(*relay_args(relay.url), "-v", "resolve", name(attacker), "--timeout", "8")
    assert r.returncode == 0, show(r)
    assert norm(out(r).split()) == norm(GLOBAL), show(r)
    assert "dropped 127.0.0.1 (loopback, never answered)" in err(r), show(r)
    assert "dropped 10.0.0.1 (private, npub not trusted)" in err(r), show(r)
    r = nostr_dns.run(*relay_args(relay.url), "resolve", name(attacker), "--json", "--timeout", "8")
    assert norm(json.loads(out(r))["addresses"]) == norm(GLOBAL), show(r)
    r = nostr_dns.run(*relay_args(relay.url), "resolve", name(attacker), "--trust",
                      attacker.public_key().to_bech32(), "--timeout", "8")
    assert norm(out(r).split()) == norm(GLOBAL | PRIVATE), show(r)
    # Only loopback and the like: nothing to print, exit 3.
    only = Keys.generate()
    peers.sdk_publish_ok(relay.url, address_record(only, ip4=["127.0.0.1"], ip6=["::1"]))
    r = nostr_dns.run(*relay_args(relay.url), "resolve", only.public_key().to_bech32(), "--timeout", "8")
    assert r.returncode == 3 and out(r) == "", show(r)


def test_fetch_never_connects_to_an_untrusted_npubs_loopback_address(nostr_dns, relay):
    only = Keys.generate()
    peers.sdk_publish_ok(relay.url, address_record(only, ip4=["127.0.0.1", "169.254.169.254"]))
    r = nostr_dns.run(*relay_args(relay.url), "-v", "fetch", f"https://{only.public_key().to_bech32()}.nostr/",
                      "--timeout", "8")
    assert r.returncode == 3 and "no address record" in err(r), show(r)
    assert "dropped 127.0.0.1 (loopback, never answered)" in err(r), show(r)


# ---------------------------------------------------------------------------
# mDNS, between two network namespaces


def mdns_addresses(link, npub: str) -> set[str]:
    """A and AAAA of <npub>.local by legacy unicast queries from host B, asked
    until the responder has looked the name up (both families answered)."""
    name = npub + ".local"

    def ask():
        got = set()
        for rdtype, code in (("A", 1), ("AAAA", 28)):
            reply = mdns_rig.tool(link.b, "query", mdns_rig.B_ADDR, name + ".", rdtype, "--id", 4343,
                                  "--dest", "224.0.0.251", "--wait", 1.0)
            for r in reply["replies"]:
                got |= {a["addr"] for a in r["answers"] if a["type"] == code and a["name"].rstrip(".").lower() == name}
        # Both families answered (the first query only starts the lookup).
        return got if any(":" in a for a in got) and any(":" not in a for a in got) else set()
    return norm(mdns_rig.retry(ask, 15))


def test_mdns_answers_another_npubs_name_without_dangerous_or_untrusted_private_addresses(
        nostr_dns, link, ns_relay, tmp_path):
    attacker, friend = Keys.generate(), Keys.generate()
    for k in (attacker, friend):
        ev = peers.event_dict(address_record(k, ip4=REBIND_V4, ip6=REBIND_V6, ttl=300))
        p = subprocess.run(link.a.exec_argv([peers.PYTHON, str(mdns_rig.HERE / "dns_tool.py"), "publish",
                                             ns_relay.url, json.dumps(ev)]),
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0 and '"OK"' in p.stdout and "true" in p.stdout, p.stdout + p.stderr
    own = Keys.generate()
    key = write_key_file(make_key_dir(tmp_path), own.secret_key().to_bech32(), name="own-nsec")
    argv = nostr_dns.argv(["--relay", ns_relay.url, "--key", key, "-v", "mdns", "--interface", "veth-a", "--no-cache",
                           "--trust", friend.public_key().to_bech32()], prefix=link.a.exec_argv([]))
    proc = peers.Proc("nostr-dns-mdns", argv, tmp_path / "mdns.log", env=nostr_dns.full_env())
    try:
        mdns_rig.wait_for_log(proc, "with no conflict; announcing", timeout=15)
        got = mdns_addresses(link, attacker.public_key().to_bech32())
        assert got == norm(GLOBAL), proc.log_text()
        got = mdns_addresses(link, friend.public_key().to_bech32())
        assert got == norm(GLOBAL | PRIVATE), proc.log_text()
        # python-zeroconf asks the same name the multicast way.
        z = mdns_rig.tool(link.b, "zc", mdns_rig.B_ADDR, attacker.public_key().to_bech32() + ".local.", "v4", 3000)
        assert z["ok"] and norm(z["addresses"]) == norm(GLOBAL), z
        assert "dropped 127.0.0.1 (loopback, never answered)" in proc.log_text()
    finally:
        proc.stop()
