"""publish-ip, publish-cert and resolve against nostr-relay 1.14, read and
written by rust-nostr (nostr-sdk 0.45.1).

Records (the Design article of the documentation): kind 30053 address records (d, ip4, ip6, ttl, alt), kind
30059 TLS key records (d, u, k, exp; content the PEM), and the proof of
concept's seed formats 30000 {"ip": ...} and 30001 (PEM). A resolver accepts
only events whose id and signature verify and whose author, kind and d match;
the newest created_at wins, ties go to the lowest id.
"""

import ipaddress
import json

import pytest
from nostr_sdk import Keys

import peers
from cli import (
    address_record, assert_single_tag, assert_usage_error, err, new_host, norm_url, now, out, parse_publish,
    record_filter, relay_args, seed_record, show, tag_values, timed,
)


@pytest.fixture
def host(tmp_path):
    return new_host(tmp_path)


def publish_ip(nostr_dns, host, relays, *args, timeout=60):
    return nostr_dns.run("--key", host.key_path, *relay_args(*relays), "publish-ip", *args, timeout=timeout)


def resolve(nostr_dns, name, relays, *args, timeout=60):
    return nostr_dns.run(*relay_args(*relays), "resolve", name, *args, timeout=timeout)


def resolved_lines(proc) -> list[str]:
    assert proc.returncode == 0, show(proc)
    return out(proc).splitlines()


# ---------------------------------------------------------------------------
# publish-ip: what it writes, read back by rust-nostr


def test_publish_ip_writes_kind_30053_that_rust_nostr_reads_back_verified(nostr_dns, relay, host):
    ips = ["93.184.216.34", "2a01:4f8::1", "5.6.7.8", "2a00:1450:4001:824::200e"]
    before = now()
    proc = publish_ip(nostr_dns, host, [relay.url], *sum((["--ip", a] for a in ips), []))
    after = now()
    assert proc.returncode == 0, show(proc)
    blocks = parse_publish(out(proc))
    assert [(b.kind, b.results) for b in blocks] == [(30053, {norm_url(relay.url): ("accepted", None)})]

    events = peers.sdk_fetch(relay.url, record_filter(host.hex))
    assert len(events) == 1
    ev = events[0]
    assert ev.verify() and ev.verify_id() and ev.verify_signature()
    assert ev.id().to_hex() == blocks[0].id, "the printed id is the event's id"
    assert ev.author().to_hex() == host.hex
    assert ev.kind().as_u16() == 30053
    assert ev.content() == ""
    assert before - 2 <= ev.created_at().as_secs() <= after + 2
    tags = [t.to_vec() for t in ev.tags()]
    assert_single_tag(tags, "d", "")
    assert tag_values(tags, "ip4") == ["93.184.216.34", "5.6.7.8"], "IPv4 in the given order"
    assert tag_values(tags, "ip6") == ["2a01:4f8::1", "2a00:1450:4001:824::200e"], "IPv6 in the given order"
    assert_single_tag(tags, "alt", "DNS records")
    assert not [t for t in tags if t[0] not in ("d", "ip4", "ip6", "alt")], tags


def test_publish_ip_with_name_and_ttl_and_resolve_round_trip(nostr_dns, relay, host):
    proc = publish_ip(nostr_dns, host, [relay.url], "--ip", "93.184.216.34", "--name", "www", "--ttl", "300")
    assert proc.returncode == 0, show(proc)
    ev, = peers.sdk_fetch(relay.url, record_filter(host.hex, d="www"))
    tags = [t.to_vec() for t in ev.tags()]
    assert_single_tag(tags, "d", "www")
    assert_single_tag(tags, "ttl", "300")
    assert tag_values(tags, "ip4") == ["93.184.216.34"]
    assert tag_values(tags, "ip6") == []

    assert resolved_lines(resolve(nostr_dns, f"www.{host.name}", [relay.url])) == ["93.184.216.34"]
    j = json.loads(out(resolve(nostr_dns, f"www.{host.name}", [relay.url], "--json")))
    assert j["label"] == "www" and j["ttl"] == 300 and j["event"]["id"] == ev.id().to_hex()
    # the apex has no record
    apex = resolve(nostr_dns, host.name, [relay.url])
    assert apex.returncode == 3, show(apex)
    assert out(apex) == ""


@pytest.mark.parametrize("given,canonical", [
    ("2A01:04F8:0000:0000:0000:0000:0000:0001", "2a01:4f8::1"),
    ("2a01:4f8:0:0:1:0:0:1", "2a01:4f8::1:0:0:1"),          # first of two equal zero runs
    ("2a00:1450:4001:0824:0:0:0:200E", "2a00:1450:4001:824::200e"),
    ("2a01:4f8:1:2:3:4:0:5", "2a01:4f8:1:2:3:4:0:5"),       # one zero group is not compressed
])
def test_publish_ip_writes_ipv6_in_rfc5952_form(nostr_dns, relay, host, given, canonical):
    assert ipaddress.IPv6Address(given).compressed == canonical  # the test's own opinion agrees
    proc = publish_ip(nostr_dns, host, [relay.url], "--ip", given)
    assert proc.returncode == 0, show(proc)
    ev, = peers.sdk_fetch(relay.url, record_filter(host.hex))
    assert tag_values([t.to_vec() for t in ev.tags()], "ip6") == [canonical]


def test_publish_ip_legacy_also_writes_the_seed_kind_30000(nostr_dns, relay, host):
    proc = publish_ip(nostr_dns, host, [relay.url], "--ip", "93.184.216.34", "--ip", "2a01:4f8::1", "--legacy")
    assert proc.returncode == 0, show(proc)
    blocks = parse_publish(out(proc))
    assert sorted(b.kind for b in blocks) == [30000, 30053]
    for b in blocks:
        assert b.results == {norm_url(relay.url): ("accepted", None)}
    seed = peers.sdk_fetch(relay.url, {"kinds": [30000], "authors": [host.hex]})
    assert len(seed) == 1
    ev = seed[0]
    assert ev.id().to_hex() == next(b.id for b in blocks if b.kind == 30000)
    assert [t.to_vec() for t in ev.tags()] == [], "the seed record has no tags"
    assert json.loads(ev.content()) == {"ip": "93.184.216.34"}, "the first address"
    assert ev.content().replace(" ", "") == '{"ip":"93.184.216.34"}'
    assert len(peers.sdk_fetch(relay.url, record_filter(host.hex))) == 1


def test_publish_ip_legacy_with_name_is_a_usage_error_and_publishes_nothing(nostr_dns, relay, host):
    proc = publish_ip(nostr_dns, host, [relay.url], "--ip", "93.184.216.34", "--legacy", "--name", "www")
    assert_usage_error(proc, "--legacy", "--name")
    assert peers.raw_req(relay.url, {"authors": [host.hex]}) == []


@pytest.mark.parametrize("bad", [
    "1.2.3", "256.1.1.1", "1.2.3.4.5", "abc", "1.2.3.4/24", "1.2.3.4:80", "2a01:4f8::1::2",
    "2a01:4f8::g", "[2a01:4f8::1]", " 1.2.3.4", "", "npub1",
])
def test_publish_ip_bad_address_is_a_usage_error_and_publishes_nothing(nostr_dns, relay, host, bad):
    proc = publish_ip(nostr_dns, host, [relay.url], "--ip", bad)
    assert_usage_error(proc, *([bad.strip()] if bad.strip() else ["--ip"]))
    assert peers.raw_req(relay.url, {"authors": [host.hex]}) == []


@pytest.mark.parametrize("args,mentions", [
    (["--ip"], ["--ip"]),
    (["--ip", "93.184.216.34", "--ttl", "abc"], ["--ttl", "abc"]),
    (["--ip", "93.184.216.34", "--detect", "carrier-pigeon"], ["--detect", "carrier-pigeon"]),
    (["--ip", "93.184.216.34", "--frobnicate"], ["--frobnicate"]),
], ids=["ip-without-value", "ttl-not-a-number", "detect-unknown", "unknown-option"])
def test_publish_ip_other_usage_errors_exit_2(nostr_dns, relay, host, args, mentions):
    proc = publish_ip(nostr_dns, host, [relay.url], *args)
    assert_usage_error(proc, *mentions)
    assert peers.raw_req(relay.url, {"authors": [host.hex]}) == []


def test_publish_ip_to_local_relay_and_resolve(nostr_dns, local_relay, host):
    proc = publish_ip(nostr_dns, host, [local_relay.url], "--ip", "93.184.216.34", "--ip", "2a01:4f8::1")
    assert proc.returncode == 0, show(proc)
    blocks = parse_publish(out(proc))
    assert blocks[0].results == {norm_url(local_relay.url): ("accepted", None)}
    ev, = peers.sdk_fetch(local_relay.url, record_filter(host.hex))
    assert ev.id().to_hex() == blocks[0].id
    assert resolved_lines(resolve(nostr_dns, host.npub, [local_relay.url])) == ["93.184.216.34", "2a01:4f8::1"]


def test_publish_ip_rejected_by_local_relay_reports_its_message_and_exits_1(nostr_dns, local_relay, host):
    # LocalRelay refuses a replaceable event older than the one it has, with OK false.
    peers.sdk_publish_ok(local_relay.url, address_record(host.keys, ["5.6.7.8"], created_at=now() + 300))
    proc = publish_ip(nostr_dns, host, [local_relay.url], "--ip", "93.184.216.34")
    assert proc.returncode == 1, show(proc)
    block, = parse_publish(out(proc))
    assert block.kind == 30053
    assert block.results == {norm_url(local_relay.url): ("rejected", "error: unknown")}


def test_publish_ip_rejected_by_nostr_relay_is_not_reported_accepted(nostr_dns, relay_factory, host):
    """nostr-relay 1.14 refuses with ["OK", "", false, "rejected: <pk> not allowed"] after 2 s:
    an OK with an EMPTY id. A client that ties the OK to its only EVENT in flight reports
    `rejected`; one that matches ids strictly reports `failed` when --timeout runs out."""
    r = relay_factory(extra_validators=["nostr_relay.validators.is_author_blacklisted"],
                      extra_config=f"pubkey_blacklist:\n  - {host.hex}\n")
    proc = publish_ip(nostr_dns, host, [r.url], "--ip", "93.184.216.34", "--timeout", "5")
    assert proc.returncode == 1, show(proc)
    block, = parse_publish(out(proc))
    status, message = block.results[norm_url(r.url)]
    assert status in ("rejected", "failed"), show(proc)
    if status == "rejected":
        assert message == f"rejected: {host.hex} not allowed"
    assert peers.raw_req(r.url, {"authors": [host.hex]}) == []


def test_publish_ip_one_relay_rejects_one_accepts_exits_0(nostr_dns, local_relay, relay, host):
    peers.sdk_publish_ok(local_relay.url, address_record(host.keys, ["5.6.7.8"], created_at=now() + 300))
    proc = publish_ip(nostr_dns, host, [local_relay.url, relay.url], "--ip", "93.184.216.34")
    assert proc.returncode == 0, show(proc)
    block, = parse_publish(out(proc))
    assert block.results == {norm_url(local_relay.url): ("rejected", "error: unknown"),
                             norm_url(relay.url): ("accepted", None)}


# ---------------------------------------------------------------------------
# publish-cert


@pytest.fixture
def cert(tmp_path):
    pem, _key = peers.make_self_signed(tmp_path / "cert", "site", cn="localhost", days=20)
    return pem


def test_publish_cert_writes_kind_30059_with_spki_hash_that_rust_nostr_reads(nostr_dns, relay, host, cert):
    proc = nostr_dns.run("--key", host.key_path, *relay_args(relay.url), "publish-cert", "--cert", cert)
    assert proc.returncode == 0, show(proc)
    block, = parse_publish(out(proc))
    assert block.kind == 30059 and block.results == {norm_url(relay.url): ("accepted", None)}
    ev, = peers.sdk_fetch(relay.url, record_filter(host.hex, 30059, "https"))
    assert ev.verify() and ev.id().to_hex() == block.id and ev.author().to_hex() == host.hex
    tags = [t.to_vec() for t in ev.tags()]
    assert_single_tag(tags, "d", "https")
    assert_single_tag(tags, "u", f"https://{host.npub}.nostr:443")
    assert_single_tag(tags, "k", peers.spki_sha256(cert))
    assert_single_tag(tags, "exp", str(peers.not_after_unix(cert)))
    assert ev.content().strip() == cert.read_text().strip()


def test_publish_cert_service_port_expires_and_legacy(nostr_dns, relay, host, cert):
    before = now()
    proc = nostr_dns.run("--key", host.key_path, *relay_args(relay.url), "publish-cert", "--cert", cert,
                         "--service", "imaps", "--port", "993", "--expires", "3600", "--legacy")
    after = now()
    assert proc.returncode == 0, show(proc)
    blocks = parse_publish(out(proc))
    assert sorted(b.kind for b in blocks) == [30001, 30059]
    ev, = peers.sdk_fetch(relay.url, record_filter(host.hex, 30059, "imaps"))
    tags = [t.to_vec() for t in ev.tags()]
    assert_single_tag(tags, "u", f"https://{host.npub}.nostr:993")
    assert_single_tag(tags, "k", peers.spki_sha256(cert))
    exp = int(tag_values(tags, "exp")[0])
    assert before + 3600 - 2 <= exp <= after + 3600 + 2
    legacy, = peers.sdk_fetch(relay.url, {"kinds": [30001], "authors": [host.hex]})
    assert [t.to_vec() for t in legacy.tags()] == []
    assert legacy.content().strip() == cert.read_text().strip()


def test_publish_cert_missing_file_fails_and_publishes_nothing(nostr_dns, relay, host, tmp_path):
    proc = nostr_dns.run("--key", host.key_path, *relay_args(relay.url), "publish-cert",
                         "--cert", tmp_path / "no-such.pem")
    assert proc.returncode in (1, 2), show(proc)
    assert "no-such.pem" in err(proc)
    assert peers.raw_req(relay.url, {"authors": [host.hex]}) == []


# ---------------------------------------------------------------------------
# resolve: records written by rust-nostr


def test_resolve_record_written_by_rust_nostr_prints_ipv4_then_ipv6(nostr_dns, relay, host):
    ev = address_record(host.keys, ["93.184.216.34", "5.6.7.8"], ["2a01:4f8::1", "2a00:1450:4001:824::200e"])
    # tags interleaved on purpose: output is still IPv4 first
    peers.sdk_publish_ok(relay.url, ev)
    lines = resolved_lines(resolve(nostr_dns, host.npub, [relay.url]))
    assert lines == ["93.184.216.34", "5.6.7.8", "2a01:4f8::1", "2a00:1450:4001:824::200e"]
    assert resolved_lines(resolve(nostr_dns, host.npub, [relay.url], "--type", "A")) == ["93.184.216.34", "5.6.7.8"]
    assert resolved_lines(resolve(nostr_dns, host.npub, [relay.url], "--type", "AAAA")) == [
        "2a01:4f8::1", "2a00:1450:4001:824::200e"]


def test_resolve_mixed_tag_order_still_prints_ipv4_first(nostr_dns, relay, host):
    ev = peers.sdk_event(host.keys, 30053, "", [["ip6", "2a01:4f8::1"], ["d", ""], ["ip4", "93.184.216.34"]])
    peers.sdk_publish_ok(relay.url, ev)
    assert resolved_lines(resolve(nostr_dns, host.npub, [relay.url])) == ["93.184.216.34", "2a01:4f8::1"]


@pytest.mark.parametrize("form", ["npub", "npub.nostr", "NPUB.NOSTR", "Npub.Nostr", "npub.local", "NPUB.LOCAL"])
def test_resolve_accepts_every_name_form(nostr_dns, relay, host, form):
    peers.sdk_publish_ok(relay.url, address_record(host.keys, ["93.184.216.34"]))
    name = {"npub": host.npub, "npub.nostr": f"{host.npub}.nostr", "NPUB.NOSTR": f"{host.npub}.nostr".upper(),
            "Npub.Nostr": f"{host.npub}.nostr".capitalize(), "npub.local": f"{host.npub}.local",
            "NPUB.LOCAL": f"{host.npub}.local".upper()}[form]
    assert resolved_lines(resolve(nostr_dns, name, [relay.url])) == ["93.184.216.34"]


def test_resolve_label_selects_the_d_tag(nostr_dns, relay, host):
    peers.sdk_publish_ok(relay.url, address_record(host.keys, ["93.184.216.34"], d=""))
    peers.sdk_publish_ok(relay.url, address_record(host.keys, ["5.6.7.8"], d="www"))
    peers.sdk_publish_ok(relay.url, address_record(host.keys, ["9.9.9.9"], d="mail"))
    assert resolved_lines(resolve(nostr_dns, host.name, [relay.url])) == ["93.184.216.34"]
    assert resolved_lines(resolve(nostr_dns, f"www.{host.name}", [relay.url])) == ["5.6.7.8"]
    assert resolved_lines(resolve(nostr_dns, f"WWW.{host.name}".upper(), [relay.url])) == ["5.6.7.8"]
    assert resolved_lines(resolve(nostr_dns, f"mail.{host.name}", [relay.url])) == ["9.9.9.9"]
    assert resolve(nostr_dns, f"ftp.{host.name}", [relay.url]).returncode == 3


def test_resolve_json_fields(nostr_dns, relay, host):
    ev = address_record(host.keys, ["93.184.216.34"], ["2a01:4f8::1"], ttl=300)
    peers.sdk_publish_ok(relay.url, ev)
    proc = resolve(nostr_dns, host.name, [relay.url], "--json")
    assert proc.returncode == 0, show(proc)
    j = json.loads(out(proc))
    assert isinstance(j, dict)
    assert j["name"].lower().rstrip(".") == host.name
    assert j["npub"] == host.npub and j["pubkey"] == host.hex and j["label"] == ""
    assert j["addresses"] == ["93.184.216.34", "2a01:4f8::1"]
    assert j["ttl"] == 300
    assert j["event"] == {"id": ev.id().to_hex(), "kind": 30053, "created_at": ev.created_at().as_secs(),
                          "pubkey": host.hex}
    assert "tls" not in j, "tls only for --type TLSA/ANY"


@pytest.mark.parametrize("ttl,effective", [(None, 60), (1, 30), (29, 30), (30, 30), (300, 300),
                                           (86400, 86400), (86401, 86400), (10**9, 86400)])
def test_resolve_json_ttl_is_clamped_to_30_86400_default_60(nostr_dns, relay, host, ttl, effective):
    peers.sdk_publish_ok(relay.url, address_record(host.keys, ["93.184.216.34"], ttl=ttl))
    proc = resolve(nostr_dns, host.npub, [relay.url], "--json")
    assert proc.returncode == 0, show(proc)
    assert json.loads(out(proc))["ttl"] == effective


def test_resolve_seed_format_kind_30000(nostr_dns, relay, host):
    ev = seed_record(host.keys, "93.184.216.34")
    assert ev.content() == '{"ip": "93.184.216.34"}'  # as the proof of concept's json.dumps wrote it
    peers.sdk_publish_ok(relay.url, ev)
    assert resolved_lines(resolve(nostr_dns, host.npub, [relay.url])) == ["93.184.216.34"]
    j = json.loads(out(resolve(nostr_dns, host.name, [relay.url], "--json")))
    assert j["event"]["kind"] == 30000 and j["event"]["id"] == ev.id().to_hex()
    assert j["addresses"] == ["93.184.216.34"] and j["ttl"] == 60
    # a seed record is the apex only
    assert resolve(nostr_dns, f"www.{host.name}", [relay.url]).returncode == 3


def test_resolve_seed_format_ipv6_and_compact_json(nostr_dns, relay, host):
    peers.sdk_publish_ok(relay.url, seed_record(host.keys, "", content='{"ip":"2a01:4f8::1"}'))
    assert resolved_lines(resolve(nostr_dns, host.npub, [relay.url])) == ["2a01:4f8::1"]
    assert resolve(nostr_dns, host.npub, [relay.url], "--type", "A").returncode == 3


def test_resolve_newer_30053_wins_over_older_seed_record(nostr_dns, relay, host):
    t = now()
    peers.sdk_publish_ok(relay.url, seed_record(host.keys, "1.2.3.4", created_at=t - 100))
    peers.sdk_publish_ok(relay.url, address_record(host.keys, ["93.184.216.34"], created_at=t - 10))
    assert resolved_lines(resolve(nostr_dns, host.npub, [relay.url])) == ["93.184.216.34"]


def test_resolve_skips_nip51_follow_sets_of_kind_30000(nostr_dns, relay, host):
    """kind 30000 is also NIP-51 follow sets: newer ones must not hide the seed record."""
    t = now()
    friends = [["p", Keys.generate().public_key().to_hex()] for _ in range(3)]
    # Published before the (older) seed record: nostr-relay 1.14 fails with "list index out
    # of range" (OK "" false) on a d-tagged 30000 that arrives after a tagless one.
    peers.sdk_publish_ok(relay.url, peers.sdk_event(host.keys, 30000, "", [["d", "friends"], *friends], t - 10))
    peers.sdk_publish_ok(relay.url, peers.sdk_event(
        host.keys, 30000, "", [["d", "ip"], ["title", "ip"], *friends], t - 5))
    # private items (NIP-04-style ciphertext in the content)
    peers.sdk_publish_ok(relay.url, peers.sdk_event(
        host.keys, 30000, "bm90IGFuIGlw?iv=AAAAAAAAAAAAAAAAAAAAAA==", [["d", "secret"], *friends], t - 1))
    peers.sdk_publish_ok(relay.url, seed_record(host.keys, "93.184.216.34", created_at=t - 1000))
    stored = peers.raw_req(relay.url, {"kinds": [30000], "authors": [host.hex]})
    assert len(stored) == 4, "precondition: the relay returns all four kind 30000 events"
    assert resolved_lines(resolve(nostr_dns, host.npub, [relay.url])) == ["93.184.216.34"]
    j = json.loads(out(resolve(nostr_dns, host.npub, [relay.url], "--json")))
    assert j["event"]["created_at"] == t - 1000


def test_resolve_follow_sets_only_is_not_found(nostr_dns, relay, host):
    friends = [["p", Keys.generate().public_key().to_hex()]]
    peers.sdk_publish_ok(relay.url, peers.sdk_event(host.keys, 30000, "", [["d", "friends"], *friends]))
    proc = resolve(nostr_dns, host.npub, [relay.url])
    assert proc.returncode == 3, show(proc)
    assert out(proc) == ""


def test_resolve_picks_newest_when_the_relay_returns_old_and_new(nostr_dns, relay, host):
    t = now()
    new = address_record(host.keys, ["5.6.7.8"], created_at=t - 10)
    old = address_record(host.keys, ["1.2.3.4"], created_at=t - 100)
    peers.sdk_publish_ok(relay.url, new)
    peers.sdk_publish_ok(relay.url, old)  # nostr-relay 1.14 keeps both
    stored = peers.raw_req(relay.url, record_filter(host.hex))
    assert {e["id"] for e in stored} == {new.id().to_hex(), old.id().to_hex()}, "precondition"
    assert resolved_lines(resolve(nostr_dns, host.npub, [relay.url])) == ["5.6.7.8"]
    assert json.loads(out(resolve(nostr_dns, host.npub, [relay.url], "--json")))["event"]["id"] == new.id().to_hex()


@pytest.mark.parametrize("order", ["old_first", "new_first"])
def test_resolve_picks_newest_whatever_order_events_arrive_in(nostr_dns, evil_relay_factory, host, order):
    """nostr-relay sends newest first; this (non-validating) relay sends them in the order given."""
    t = now()
    old = peers.event_dict(address_record(host.keys, ["1.2.3.4"], created_at=t - 100))
    new = peers.event_dict(address_record(host.keys, ["5.6.7.8"], created_at=t - 10))
    relay = evil_relay_factory([old, new] if order == "old_first" else [new, old])
    assert resolved_lines(resolve(nostr_dns, host.npub, [relay.url])) == ["5.6.7.8"]


def test_resolve_accepts_a_few_minutes_of_clock_skew_but_not_more_than_15(nostr_dns, relay, host):
    t = now()
    # nostr-relay 1.14 itself accepts up to an hour ahead
    peers.sdk_publish_ok(relay.url, address_record(host.keys, ["1.2.3.4"], d="skew", created_at=t - 100))
    peers.sdk_publish_ok(relay.url, address_record(host.keys, ["5.6.7.8"], d="skew", created_at=t + 300))
    assert resolved_lines(resolve(nostr_dns, f"skew.{host.name}", [relay.url])) == ["5.6.7.8"]
    peers.sdk_publish_ok(relay.url, address_record(host.keys, ["1.2.3.4"], d="far", created_at=t - 100))
    peers.sdk_publish_ok(relay.url, address_record(host.keys, ["6.6.6.6"], d="far", created_at=t + 20 * 60))
    stored = peers.raw_req(relay.url, record_filter(host.hex, d="far"))
    proc = resolve(nostr_dns, f"far.{host.name}", [relay.url])
    assert "6.6.6.6" not in out(proc), show(proc)
    if len(stored) == 2:
        assert resolved_lines(proc) == ["1.2.3.4"]
    else:  # the relay replaced the old one: nothing valid is left
        assert proc.returncode == 3, show(proc)


def test_resolve_tie_on_created_at_goes_to_the_lowest_id(nostr_dns, relay, host):
    t = now() - 50
    a = address_record(host.keys, ["1.1.1.1"], created_at=t)
    b = address_record(host.keys, ["2.2.2.2"], created_at=t)
    low, high = sorted([a, b], key=lambda e: e.id().to_hex())
    peers.sdk_publish_ok(relay.url, high)
    peers.sdk_publish_ok(relay.url, low)
    assert len(peers.raw_req(relay.url, record_filter(host.hex))) == 2, "precondition: both stored"
    expected = "1.1.1.1" if low is a else "2.2.2.2"
    assert resolved_lines(resolve(nostr_dns, host.npub, [relay.url])) == [expected]


def test_resolve_newest_across_two_relays_in_either_order(nostr_dns, relay, relay_factory, host):
    other = relay_factory()
    t = now()
    peers.sdk_publish_ok(relay.url, address_record(host.keys, ["1.2.3.4"], created_at=t - 100))
    peers.sdk_publish_ok(other.url, address_record(host.keys, ["5.6.7.8"], created_at=t - 10))
    assert resolved_lines(resolve(nostr_dns, host.npub, [relay.url, other.url])) == ["5.6.7.8"]
    assert resolved_lines(resolve(nostr_dns, host.npub, [other.url, relay.url])) == ["5.6.7.8"]


def test_resolve_ignores_expired_record_and_uses_older_valid_one(nostr_dns, relay, host):
    t = now()
    peers.sdk_publish_ok(relay.url, address_record(host.keys, ["93.184.216.34"], d="x", created_at=t - 100))
    # a newer version that expired a minute ago (nostr-relay still serves it)
    expired = address_record(host.keys, ["6.6.6.6"], d="x", created_at=t - 10, extra=[["expiration", str(t - 60)]])
    peers.sdk_publish_ok(relay.url, expired)
    # the relay replaced the old one; what is left is expired: nothing valid
    stored = peers.raw_req(relay.url, record_filter(host.hex, d="x"))
    proc = resolve(nostr_dns, f"x.{host.name}", [relay.url])
    if [e["id"] for e in stored] == [expired.id().to_hex()]:
        assert proc.returncode == 3, show(proc)
    else:
        assert resolved_lines(proc) == ["93.184.216.34"]
    assert "6.6.6.6" not in out(proc)


def test_resolve_npub_without_record_exits_3_quickly(nostr_dns, relay):
    proc, elapsed = timed(resolve, nostr_dns, Keys.generate().public_key().to_bech32(), [relay.url])
    assert proc.returncode == 3, show(proc)
    assert out(proc) == ""
    assert elapsed < 5, f"a relay that answered EOSE needs no timeout: {elapsed:.1f} s"


def test_resolve_type_with_nothing_to_print_exits_3(nostr_dns, relay, host):
    peers.sdk_publish_ok(relay.url, address_record(host.keys, ["93.184.216.34"]))
    for t in ("AAAA", "TLSA"):
        proc = resolve(nostr_dns, host.npub, [relay.url], "--type", t)
        assert proc.returncode == 3, f"--type {t}: {show(proc)}"
        assert out(proc) == ""


@pytest.mark.parametrize("name", [
    "npub1", "npub1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", "example.com", "foo.nostr",
    "bad-checksum", "nsec", "npub-dot-com", "note", "", "a..nostr",
])
def test_resolve_bad_name_exits_2(nostr_dns, relay, name):
    keys = Keys.generate()
    npub = keys.public_key().to_bech32()
    name = {"bad-checksum": npub[:-1] + ("q" if npub[-1] != "q" else "p"),
            "nsec": keys.secret_key().to_bech32(),
            "npub-dot-com": f"{npub}.com",
            "note": "note1" + npub[5:]}.get(name, name)
    proc = resolve(nostr_dns, name, [relay.url])
    if name.startswith("nsec"):
        assert_usage_error(proc)
        assert name not in err(proc), "a secret key must not be echoed"
    else:
        assert_usage_error(proc, *([name] if name else []))


@pytest.mark.parametrize("command", ["resolve", "pin", "fetch"])
@pytest.mark.parametrize("upper", [False, True], ids=["lowercase", "uppercase"])
def test_a_pasted_nsec_is_never_echoed_by_any_command_that_takes_a_name(nostr_dns, relay, command, upper):
    nsec = Keys.generate().secret_key().to_bech32()
    if upper:
        nsec = nsec.upper()  # bech32 allows one case or the other
    proc = nostr_dns.run(*relay_args(relay.url), command, nsec)
    assert_usage_error(proc)
    assert nsec not in err(proc) and nsec.lower() not in err(proc).lower(), "a secret key must not be echoed"
    assert "an nsec (a secret key!)" in err(proc)


@pytest.mark.parametrize("args,mentions", [
    ([], []), (["--type", "MX"], ["MX"]), (["--timeout", "soon"], ["soon", "--timeout"]),
    (["--frobnicate"], ["--frobnicate"]),
], ids=["no-name", "type-MX", "timeout-not-a-number", "unknown-option"])
def test_resolve_usage_errors_exit_2(nostr_dns, relay, args, mentions):
    npub = Keys.generate().public_key().to_bech32()
    proc = nostr_dns.run(*relay_args(relay.url), "resolve", *([] if not args else [npub]), *args)
    assert_usage_error(proc, *mentions)


# ---------------------------------------------------------------------------
# resolve: TLS key records


def test_resolve_tlsa_and_any_from_rust_nostr_30059(nostr_dns, relay, host, cert):
    k = peers.spki_sha256(cert)
    exp = now() + 86400
    peers.sdk_publish_ok(relay.url, address_record(host.keys, ["93.184.216.34"], ["2a01:4f8::1"]))
    peers.sdk_publish_ok(relay.url, peers.sdk_event(host.keys, 30059, cert.read_text(), [
        ["d", "https"], ["u", f"https://{host.npub}.nostr:443"], ["k", k], ["exp", str(exp)]]))
    assert [l.lower() for l in resolved_lines(resolve(nostr_dns, host.name, [relay.url], "--type", "TLSA"))] == [
        f"3 1 1 {k}"]
    any_lines = resolved_lines(resolve(nostr_dns, host.name, [relay.url], "--type", "ANY"))
    assert any_lines[:2] == ["93.184.216.34", "2a01:4f8::1"]
    assert [l.lower() for l in any_lines[2:]] == [f"3 1 1 {k}"]
    j = json.loads(out(resolve(nostr_dns, host.name, [relay.url], "--type", "ANY", "--json")))
    assert j["addresses"] == ["93.184.216.34", "2a01:4f8::1"]
    assert {key: j["tls"][key] for key in ("service", "k", "url", "exp")} == {
        "service": "https", "k": k, "url": f"https://{host.npub}.nostr:443", "exp": exp}
    assert j["tls"]["event"]["kind"] == 30059


def test_resolve_tlsa_with_service(nostr_dns, relay, host, cert, tmp_path):
    k = peers.spki_sha256(cert)
    other_cert, _ = peers.make_self_signed(tmp_path / "other", "imap", cn="imap")
    k2 = peers.spki_sha256(other_cert)
    assert k != k2
    for service, c, kk in (("https", cert, k), ("imaps", other_cert, k2)):
        peers.sdk_publish_ok(relay.url, peers.sdk_event(host.keys, 30059, c.read_text(), [
            ["d", service], ["u", f"https://{host.npub}.nostr:993"], ["k", kk], ["exp", str(now() + 3600)]]))
    proc = resolve(nostr_dns, host.npub, [relay.url], "--type", "TLSA")
    assert out(proc).lower().split() == ["3", "1", "1", k], show(proc)
    proc = resolve(nostr_dns, host.npub, [relay.url], "--type", "TLSA", "--service", "imaps")
    assert out(proc).lower().split() == ["3", "1", "1", k2], show(proc)
    assert resolve(nostr_dns, host.npub, [relay.url], "--type", "TLSA", "--service", "smtp").returncode == 3


def test_publish_cert_then_resolve_tlsa_round_trip(nostr_dns, relay, host, cert):
    proc = nostr_dns.run("--key", host.key_path, *relay_args(relay.url), "publish-cert", "--cert", cert)
    assert proc.returncode == 0, show(proc)
    lines = resolved_lines(resolve(nostr_dns, host.npub, [relay.url], "--type", "TLSA"))
    assert [l.lower() for l in lines] == [f"3 1 1 {peers.spki_sha256(cert)}"]


def test_resolve_tlsa_from_seed_30001_pem(nostr_dns, relay, host, cert):
    """The seed format carries only the PEM: the TLSA data comes from its SubjectPublicKeyInfo."""
    peers.sdk_publish_ok(relay.url, peers.sdk_event(host.keys, 30001, cert.read_text(), []))
    lines = resolved_lines(resolve(nostr_dns, host.npub, [relay.url], "--type", "TLSA"))
    assert [l.lower() for l in lines] == [f"3 1 1 {peers.spki_sha256(cert)}"]


# ---------------------------------------------------------------------------
# resolve against an attacker: forged, foreign and mismatched events are ignored


def _forge(ev: dict, **changes) -> dict:
    """Change fields of a signed event; keep its id and signature (now wrong)."""
    return dict(ev, **changes)


def _with_id(ev: dict) -> dict:
    """Recompute the id over the changed fields (the signature stays the old one's)."""
    import hashlib
    ser = json.dumps([0, ev["pubkey"], ev["created_at"], ev["kind"], ev["tags"], ev["content"]],
                     separators=(",", ":"), ensure_ascii=False)
    return dict(ev, id=hashlib.sha256(ser.encode()).hexdigest())


def _attacks(host, t):
    """name -> an event that must be ignored, newer than the valid record, with its own address."""
    keys = host.keys

    def rec(ip, created_at=t - 10, **kw):
        return peers.event_dict(address_record(keys, [ip], created_at=created_at, **kw))
    attacker = Keys.generate()
    other_author = peers.event_dict(address_record(attacker, ["6.6.6.1"], created_at=t - 10))
    signed_by_attacker_claims_host = _with_id(dict(other_author, pubkey=host.hex,
                                                   tags=[["d", ""], ["ip4", "6.6.6.6"]]))
    valid_other = rec("6.6.6.2")
    some_sig = rec("6.6.6.99")["sig"]
    return {
        "other_author": other_author,
        "forged_signature": dict(valid_other, sig=some_sig),
        "zero_signature": dict(rec("6.6.6.3"), sig="00" * 64),
        "content_changed_id_kept": _forge(rec("6.6.6.4"), tags=[["d", ""], ["ip4", "6.6.6.40"]]),
        "id_recomputed_sig_stale": _with_id(_forge(rec("6.6.6.5"), tags=[["d", ""], ["ip4", "6.6.6.50"]])),
        "pubkey_swapped": signed_by_attacker_claims_host,
        "wrong_d_tag": rec("6.6.6.7", d="www"),
        "no_d_tag_30053": peers.event_dict(peers.sdk_event(keys, 30053, "", [["ip4", "6.6.6.11"]], t - 10)),
        "wrong_kind": peers.event_dict(peers.sdk_event(keys, 1, "", [["d", ""], ["ip4", "6.6.6.8"]], t - 10)),
        "future_created_at": rec("6.6.6.9", created_at=t + 3600),
        "seed_not_an_ip": peers.event_dict(seed_record(keys, "", created_at=t - 10, content='{"ip": "six"}')),
    }


ATTACKS = [
    "other_author", "forged_signature", "zero_signature", "content_changed_id_kept", "id_recomputed_sig_stale",
    "pubkey_swapped", "wrong_d_tag", "no_d_tag_30053", "wrong_kind", "future_created_at", "seed_not_an_ip",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_resolve_ignores_attacker_event_and_keeps_the_valid_record(nostr_dns, evil_relay_factory, host, attack):
    t = now()
    valid = peers.event_dict(address_record(host.keys, ["93.184.216.34"], created_at=t - 100))
    bad = _attacks(host, t)[attack]
    assert bad["created_at"] > valid["created_at"]
    evil = evil_relay_factory([bad, valid])
    proc = resolve(nostr_dns, host.npub, [evil.url])
    assert resolved_lines(proc) == ["93.184.216.34"], show(proc)
    assert evil.requests(), "the resolver asked the relay"


def test_resolve_an_expired_newer_record_of_the_owner_ends_the_name_instead_of_rolling_back(
        nostr_dns, evil_relay_factory, relay, host):
    # Only the owner can sign it: the newest verified record decides, and an
    # expired newest one means no record (NIP-40), never the older one.
    t = now()
    peers.sdk_publish_ok(relay.url, address_record(host.keys, ["93.184.216.34"], created_at=t - 100))
    expired = peers.event_dict(address_record(host.keys, ["6.6.6.10"], created_at=t - 10,
                                              extra=[["expiration", str(t - 60)]]))
    evil = evil_relay_factory([expired])
    proc = resolve(nostr_dns, host.npub, [evil.url, relay.url])
    assert proc.returncode == 3, show(proc)
    assert "93.184.216.34" not in out(proc) and "6.6.6.10" not in out(proc), show(proc)


def test_resolve_with_only_attacker_events_exits_3(nostr_dns, evil_relay_factory, host):
    evil = evil_relay_factory(list(_attacks(host, now()).values()))
    proc = resolve(nostr_dns, host.npub, [evil.url])
    assert proc.returncode == 3, show(proc)
    assert out(proc) == ""


def test_resolve_label_ignores_apex_record_served_by_attacker(nostr_dns, evil_relay_factory, host):
    evil = evil_relay_factory([peers.event_dict(address_record(host.keys, ["93.184.216.34"], d=""))])
    proc = resolve(nostr_dns, f"www.{host.name}", [evil.url])
    assert proc.returncode == 3, show(proc)


def test_resolve_the_attacker_cannot_outvote_a_real_relay(nostr_dns, evil_relay_factory, relay, host):
    t = now()
    peers.sdk_publish_ok(relay.url, address_record(host.keys, ["93.184.216.34"], created_at=t - 100))
    evil = evil_relay_factory(list(_attacks(host, t).values()))
    proc = resolve(nostr_dns, host.npub, [evil.url, relay.url])
    assert resolved_lines(proc) == ["93.184.216.34"], show(proc)
