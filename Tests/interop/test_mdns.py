"""`nostr-dns mdns`, the RFC 6762 responder for <npub>.local, against real
mDNS peers on a veth link between two network namespaces (mdns_rig.Link):

- host A runs the responder on veth-a (and a nostr-relay 1.14 on its lo,
  which publish-ip fills and the responder's resolver cache reads);
- host B runs avahi-daemon 0.8 (with its own dbus-daemon, in a private
  mount namespace) and queries with avahi-resolve, `getent hosts` through
  nss-mdns (mdns4_minimal in /etc/nsswitch.conf), python-zeroconf and raw
  packets (mdns_tool.py), every socket pinned to veth-b.

No datagram leaves the namespaces.
"""

from __future__ import annotations

import signal
import time

import pytest
from nostr_sdk import Keys, PublicKey

import mdns_rig
import peers
from cli import err, out
from conftest import make_key_dir, write_key_file

A, B, OFF = mdns_rig.A_ADDR, mdns_rig.B_ADDR, mdns_rig.OFF_LINK


@pytest.fixture(scope="module")
def avahi(link, tmp_path_factory):
    av = mdns_rig.AvahiHost(link.b, tmp_path_factory.mktemp("avahi"), "veth-b")
    yield av
    av.stop()


class Responder:
    """`nostr-dns -v mdns --interface veth-a` on host A, with its own key;
    with `cache`, that cache file (else --no-cache)."""

    def __init__(self, nostr_dns, link, workdir, relay_url: str, cache=None):
        self.keys = Keys.generate()
        self.npub = self.keys.public_key().to_bech32()
        self.name = f"{self.npub}.local"
        key_dir = make_key_dir(workdir)
        self.key = write_key_file(key_dir, self.keys.secret_key().to_bech32(), name=f"nsec-{self.npub[5:13]}")
        argv = nostr_dns.argv(["--relay", relay_url, "--key", self.key, "-v", "mdns", "--interface", "veth-a",
                               *(["--cache", str(cache)] if cache else ["--no-cache"])],
                              prefix=link.a.exec_argv([]))
        self.proc = peers.Proc("nostr-dns-mdns", argv, workdir / f"mdns-{self.npub[5:13]}.log",
                               env=nostr_dns.full_env())
        mdns_rig.wait_for_log(self.proc, "with no conflict; announcing", timeout=15)

    def log(self) -> str:
        return self.proc.log_text()

    def stop(self):
        self.proc.signal_group(signal.SIGTERM)
        try:
            self.proc.popen.wait(5)
        except Exception:
            pass
        self.proc.stop()


@pytest.fixture
def responder(nostr_dns, link, ns_relay, tmp_path):
    r = Responder(nostr_dns, link, tmp_path, ns_relay.url)
    yield r
    r.stop()


def answers(reply: dict, name: str, rtype: int) -> list[dict]:
    return [a for a in reply["answers"] if a["name"].rstrip(".").lower() == name.lower() and a["type"] == rtype]


def legacy(link, name: str, rtype: str = "A", src: str = B, dest: str = "224.0.0.251", qid: int = 4242, wait=1.5) -> dict:
    return mdns_rig.tool(link.b, "query", src, name + ".", rtype, "--id", qid, "--dest", dest, "--wait", wait)


# ---------------------------------------------------------------------------
# the host's own npub: from its interface addresses, no relay needed


def test_own_npub_resolves_with_relays_down_via_avahi_and_zeroconf(nostr_dns, link, avahi, tmp_path):
    closed = peers.closed_port_url()  # nothing listens there: every relay is down
    r = Responder(nostr_dns, link, tmp_path, closed)
    try:
        assert avahi.resolve(r.name) == A, r.log()
        z = mdns_rig.tool(link.b, "zc", B, r.name + ".", "v4", 3000)
        assert z["ok"] and A in z["addresses"], z
        z6 = mdns_rig.tool(link.b, "zc", B, r.name + ".", "v6", 3000)
        assert z6["ok"] and mdns_rig.A_ADDR6 in z6["addresses"], z6
        assert "serving " + r.name + " on veth-a" in r.log()
    finally:
        r.stop()
    assert "said goodbye" in r.log()


def test_legacy_unicast_echoes_id_and_question_with_ttl_at_most_ten(link, responder):
    got = legacy(link, responder.name, qid=0x5EED)
    assert got["replies"], responder.log()
    reply = got["replies"][0]
    assert reply["src"] == A and reply["sport"] == 5353
    assert not reply["multicast"], "legacy unicast answers go to the querier's own port"
    assert reply["id"] == 0x5EED
    assert [q["name"].lower() for q in reply["questions"]] == [responder.name.lower() + "."]
    recs = answers(reply, responder.name, 1)
    assert [a["addr"] for a in recs] == [A]
    assert all(a["ttl"] <= 10 and not a["cache_flush"] for a in reply["answers"]), reply


def test_multicast_query_gets_multicast_answer_with_cache_flush(link, responder):
    got = mdns_rig.tool(link.b, "query", B, responder.name + ".", "A", "--port", 5353, "--wait", 1.5)
    mine = [r for r in got["replies"] if answers(r, responder.name, 1)]
    assert mine, responder.log()
    reply = mine[0]
    assert reply["multicast"] and reply["id"] == 0 and reply["questions"] == []
    a = answers(reply, responder.name, 1)[0]
    assert a["addr"] == A and a["cache_flush"] and a["ttl"] == 120


def test_aaaa_query_is_answered_and_nsec_lists_what_exists(link, responder):
    got = legacy(link, responder.name, "AAAA")
    reply = got["replies"][0]
    addrs = {a["addr"] for a in answers(reply, responder.name, 28)}
    assert mdns_rig.A_ADDR6 in addrs, reply
    # A type the name lacks (TXT): an NSEC saying which types exist (RFC 6762 §6.1).
    txt = legacy(link, responder.name, "TXT")["replies"][0]
    nsec = answers(txt, responder.name, 47)
    assert nsec and nsec[0]["rdtypes"] == [1, 28], txt


def test_off_link_unicast_query_gets_no_answer(link, responder):
    off = mdns_rig.tool(link.b, "query", OFF, responder.name + ".", "A", "--dest", A, "--id", 77, "--wait", 1.5)
    assert off["replies"] == [], off
    mdns_rig.wait_for_log(responder.proc, f"query from {OFF}:", timeout=5)
    assert "not on the link" in responder.log()
    # The same query from an on-link source is answered.
    on = mdns_rig.tool(link.b, "query", B, responder.name + ".", "A", "--dest", A, "--id", 78, "--wait", 1.5)
    assert on["replies"] and on["replies"][0]["id"] == 78, responder.log()


def test_burst_of_identical_queries_is_rate_limited_to_one_multicast_per_second(link, responder):
    time.sleep(2.2)  # past the second announcement (1 s after the first) and its rate-limit window
    got = mdns_rig.tool(link.b, "query", B, responder.name + ".", "A", "--port", 5353, "--count", 20,
                        "--interval", 0.02, "--wait", 1.0)
    multicast = [r for r in got["replies"] if r["multicast"] and answers(r, responder.name, 1)]
    # 20 queries within 0.4 s: one answer, then at most one more once a second has passed.
    assert 1 <= len(multicast) <= 2, got
    assert responder.log().count("answered on this interface less than a second ago") >= 15


def test_malformed_packets_are_dropped_and_serving_goes_on(link, responder):
    header_only = "0000" + "0000" + "0001" + "0000" * 3          # claims a question, has none
    loop = "0000000000010000000000" + "00" + "c00c00010001"        # name pointer to itself
    counts = "0000000000ff00ff00ff00ff" + "00"                     # counts far beyond the size
    garbage = "ff" * 40
    short = "00"
    sent = mdns_rig.tool(link.b, "raw", B, A, header_only, loop, counts, garbage, short)
    assert sent["sent"] == 5
    mdns_rig.tool(link.b, "raw", B, "224.0.0.251", loop, garbage)
    got = legacy(link, responder.name, qid=99)
    assert got["replies"] and got["replies"][0]["id"] == 99, responder.log()
    assert responder.proc.alive()
    assert responder.log().count("ignored: malformed") >= 5, responder.log()


# ---------------------------------------------------------------------------
# another npub: published on nostr, resolved through the responder's cache


@pytest.fixture
def published(nostr_dns, link, ns_relay, tmp_path):
    """A second key that has published 203.0.113.7 and 2001:db8::7 on the relay."""
    keys = Keys.generate()
    key_dir = make_key_dir(tmp_path)
    key = write_key_file(key_dir, keys.secret_key().to_bech32(), name="published-nsec")
    p = nostr_dns.run("--relay", ns_relay.url, "--key", key, "publish-ip", "--ip", "203.0.113.7",
                      "--ip", "2001:db8::7", prefix=link.a.exec_argv([]))
    assert p.returncode == 0, err(p) + out(p)
    return keys.public_key().to_bech32() + ".local"


def test_published_npub_resolves_from_another_host_via_avahi_and_zeroconf(link, avahi, responder, published):
    assert mdns_rig.retry(lambda: avahi.resolve(published), 10) == "203.0.113.7", responder.log()
    z = mdns_rig.tool(link.b, "zc", B, published + ".", "v4", 3000)
    assert z["ok"] and z["addresses"][0] == "203.0.113.7", z
    got = legacy(link, published, "AAAA")
    assert [a["addr"] for a in answers(got["replies"][0], published, 28)] == ["2001:db8::7"]
    assert all(a["ttl"] <= 10 for a in got["replies"][0]["answers"])


def test_multicast_answer_with_shared_records_waits_20_to_120_ms(link, responder, published):
    # RFC 6762 §6: relayed npub records are shared: the multicast answer waits a random 20-120 ms.
    def cached():  # a legacy unicast query starts the lookup; answered once cached
        return [a["addr"] for r in legacy(link, published)["replies"] for a in answers(r, published, 1)]
    assert mdns_rig.retry(cached, 10) == ["203.0.113.7"], responder.log()
    got = mdns_rig.tool(link.b, "query", B, published + ".", "A", "--port", 5353, "--wait", 1.0)
    mine = [r for r in got["replies"] if answers(r, published, 1)]
    assert mine, responder.log()
    reply = mine[0]
    assert reply["multicast"] and reply["id"] == 0
    assert not any(a["cache_flush"] for a in reply["answers"]), reply
    assert reply["rtt_ms"] >= 20.0, reply


def test_unknown_npub_is_not_answered_before_the_relays_answer_and_never_guessed(link, responder):
    nobody = Keys.generate().public_key().to_bech32() + ".local"
    got = legacy(link, nobody, wait=1.0)
    assert got["replies"] == [], got
    again = legacy(link, nobody, wait=1.0)
    assert again["replies"] == [], again
    mdns_rig.wait_for_log(responder.proc, "no address record", timeout=5)


def test_names_learned_from_relays_are_answered_after_a_restart_with_every_relay_down(
        nostr_dns, link, ns_relay, published, tmp_path):
    # A router that reboots without internet: the cache file, saved on exit
    # and verified again on start, answers the names seen before (stale).
    cache = tmp_path / "state" / "mdns-cache"
    first = Responder(nostr_dns, link, tmp_path, ns_relay.url, cache=cache)
    try:
        def cached():
            return [a["addr"] for r in legacy(link, published)["replies"] for a in answers(r, published, 1)]
        assert mdns_rig.retry(cached, 10) == ["203.0.113.7"], first.log()
    finally:
        first.stop()
    saved = cache.read_text()
    author = PublicKey.parse(published.split(".")[0]).to_hex()
    assert f'"pubkey":"{author}"' in saved and '"kind":30053' in saved, saved
    again = Responder(nostr_dns, link, tmp_path, peers.closed_port_url(), cache=cache)
    try:
        assert "cache " + str(cache) + ": 1 records loaded" in again.log(), again.log()
        got = legacy(link, published)  # the first query, with no relay reachable
        assert [a["addr"] for r in got["replies"] for a in answers(r, published, 1)] == ["203.0.113.7"], again.log()
        six = legacy(link, published, "AAAA", qid=4343)
        assert [a["addr"] for r in six["replies"] for a in answers(r, published, 28)] == ["2001:db8::7"], again.log()
    finally:
        again.stop()
    # Refused on start: a line that was tampered with is not trusted.
    tampered = saved.replace("203.0.113.7", "203.0.113.8")
    cache.write_text(tampered)
    forged = Responder(nostr_dns, link, tmp_path, peers.closed_port_url(), cache=cache)
    try:
        mdns_rig.wait_for_log(forged.proc, "refused (bad or expired)", timeout=5)
        got = legacy(link, published, wait=1.0)
        assert got["replies"] == [], got
    finally:
        forged.stop()


# ---------------------------------------------------------------------------
# getent hosts through nss-mdns: limited by avahi's simple protocol
#
# nss-mdns (mdns4_minimal) asks avahi-daemon over /run/avahi-daemon/socket
# with a line "RESOLVE-HOSTNAME-IPV4 <name>", and avahi 0.8 reads it with
# sscanf("%63s %63s") (avahi-daemon/simple-protocol.c, handle_line): the
# name is cut at 63 characters. `<npub>.local` is 69, so nss-mdns can never
# resolve it through avahi, whoever answers on the network; avahi-resolve
# (D-Bus) and python-zeroconf resolve the same name (tests above).


def simple_protocol(avahi, name: str) -> str:
    """avahi's answer to RESOLVE-HOSTNAME-IPV4 on its nss-mdns socket."""
    script = ("import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect('/run/avahi-daemon/socket'); "
              "s.sendall(('RESOLVE-HOSTNAME-IPV4 '+sys.argv[1]+'\\n').encode()); s.settimeout(8); "
              "print(s.recv(512).decode().strip())")
    return avahi.run(peers.PYTHON, "-c", script, name, timeout=20).stdout.strip()


def test_getent_via_nss_mdns_resolves_names_avahi_can_pass_and_npub_names_hit_its_63_character_limit(
        link, avahi, responder, published, tmp_path):
    # The rig's nss-mdns path works: a short name (python-zeroconf responding on host A).
    zc = peers.Proc("zc-responder", link.a.exec_argv([
        peers.PYTHON, "-c",
        "import socket,time,sys; from zeroconf import Zeroconf,ServiceInfo,IPVersion; "
        f"z=Zeroconf(interfaces=['{A}'],ip_version=IPVersion.V4Only); "
        f"i=ServiceInfo('_t._udp.local.','short._t._udp.local.',addresses=[socket.inet_aton('{A}')],port=9,server='short.local.'); "
        "z.register_service(i); print('registered',flush=True); time.sleep(60)"]), tmp_path / "zc.log")
    try:
        mdns_rig.wait_for_log(zc, "registered", timeout=15)
        g = avahi.getent("short.local")
        assert g.returncode == 0 and g.stdout.split()[0] == A, g
    finally:
        zc.stop()
    # The npub name is answered on the network (avahi-resolve over D-Bus gets it) ...
    assert mdns_rig.retry(lambda: avahi.resolve(published), 10) == "203.0.113.7"
    # ... but avahi's nss-mdns socket refuses the 69-character name, so getent cannot.
    assert len(published) == 69
    reply = simple_protocol(avahi, published)
    print("avahi simple protocol said:", reply)
    assert not reply.startswith("+"), reply
    assert avahi.getent(published).returncode == 2


# ---------------------------------------------------------------------------
# loopback, in a namespace of its own (also run with the aarch64 binary under
# qemu by Tests/interop/qemu-cross.sh)


def test_mdns_on_loopback_answers_python_zeroconf_and_legacy_unicast(nostr_dns, tmp_path):
    ns = peers.Netns("mlo")
    try:
        keys = Keys.generate()
        name = keys.public_key().to_bech32() + ".local"
        key = write_key_file(make_key_dir(tmp_path), keys.secret_key().to_bech32())
        argv = nostr_dns.argv(["--relay", peers.closed_port_url(), "--key", key, "-v", "mdns", "--no-cache", "--interface", "lo"],
                              prefix=ns.exec_argv([]))
        proc = peers.Proc("nostr-dns-mdns-lo", argv, tmp_path / "mdns-lo.log", env=nostr_dns.full_env())
        try:
            mdns_rig.wait_for_log(proc, "with no conflict; announcing", timeout=30)
            z = mdns_rig.tool(ns, "zc", "127.0.0.1", name + ".", "v4", 5000)
            assert z["ok"] and z["addresses"][0] == "127.0.0.1", proc.log_text()
            got = mdns_rig.tool(ns, "query", "127.0.0.1", name + ".", "A", "--id", 3131)
            reply = got["replies"][0]
            assert reply["id"] == 3131 and answers(reply, name, 1)[0]["addr"] == "127.0.0.1"
            assert all(a["ttl"] <= 10 for a in reply["answers"])
            proc.signal_group(signal.SIGTERM)
            proc.popen.wait(10)
            assert proc.popen.returncode == 0
            assert "said goodbye" in proc.log_text()
        finally:
            proc.stop()
    finally:
        ns.delete()


def test_no_command_runs_the_responder_on_every_multicast_interface_but_loopback(nostr_dns, link, tmp_path):
    keys = Keys.generate()
    name = keys.public_key().to_bech32() + ".local"
    key = write_key_file(make_key_dir(tmp_path), keys.secret_key().to_bech32(), name="default-nsec")
    argv = nostr_dns.argv(["--relay", peers.closed_port_url(), "--key", key], prefix=link.a.exec_argv([]))
    proc = peers.Proc("nostr-dns-default", argv, tmp_path / "default.log", env=nostr_dns.full_env())
    try:
        mdns_rig.wait_for_log(proc, "with no conflict; announcing", timeout=15)
        log = proc.log_text()
        assert f"serving {name} on veth-a" in log and " on lo " not in log, log
        got = legacy(link, name, qid=2024)
        assert [a["addr"] for a in answers(got["replies"][0], name, 1)] == [A]
    finally:
        proc.stop()


def test_known_answer_suppression_with_a_querier_that_already_knows(link, responder):
    time.sleep(2.2)  # past the announcements' rate-limit window
    known = mdns_rig.tool(link.b, "query", B, responder.name + ".", "A", "--port", 5353, "--known", f"{A}:120",
                          "--wait", 1.0)
    assert not [r for r in known["replies"] if answers(r, responder.name, 1)], known
    mdns_rig.wait_for_log(responder.proc, "known-answer suppression", timeout=5)
    # Half the TTL left is no longer enough: answered.
    stale = mdns_rig.tool(link.b, "query", B, responder.name + ".", "A", "--port", 5353, "--known", f"{A}:59",
                          "--wait", 1.0)
    assert [r for r in stale["replies"] if answers(r, responder.name, 1)], stale
