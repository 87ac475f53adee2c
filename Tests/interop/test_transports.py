"""Relays and transports: ws and wss (stunnel4, nginx-light, a private test CA),
IPv6, several relays at once, relays that are down or silent, and where the
relay list comes from (--relay > NOSTR_DNS_RELAYS > config file).
"""

import os
import re
import select
import signal
import subprocess
import time

import pytest

import peers
from cli import (
    SLACK, address_record, assert_single_tag, err, new_host, norm_url, now, out, parse_publish, record_filter,
    relay_args, show, tag_values, timed,
)

TLS_WORDS = re.compile(r"cert|verif|x509|tls|ssl|trust|handshake", re.I)


@pytest.fixture
def host(tmp_path):
    return new_host(tmp_path)


def publish_ip(nostr_dns, host, relays, *args, env=None, timeout=60):
    return nostr_dns.run("--key", host.key_path, *relay_args(*relays), "publish-ip", *args, env=env,
                         timeout=timeout)


def resolve(nostr_dns, name, relays, *args, env=None, timeout=60):
    return nostr_dns.run(*relay_args(*relays), "resolve", name, *args, env=env, timeout=timeout)


def assert_resolves(proc, expected):
    assert proc.returncode == 0, show(proc)
    assert out(proc).splitlines() == expected, show(proc)


# ---------------------------------------------------------------------------
# wss with the test CA


@pytest.mark.parametrize("front", ["wss_relay", "nginx_relay"])
@pytest.mark.parametrize("hostname", ["localhost", "127.0.0.1", "::1"])
def test_publish_ip_over_wss_with_ca_file_is_read_back_by_rust_nostr(nostr_dns, request, host, front, hostname):
    f = request.getfixturevalue(front)
    url = f.url_for(hostname)
    proc = publish_ip(nostr_dns, host, [url], "--ca-file", f.ca, "--ip", "93.184.216.34", "--ip", "2a01:4f8::1")
    assert proc.returncode == 0, show(proc)
    block, = parse_publish(out(proc))
    assert block.results == {norm_url(url): ("accepted", None)}
    # rust-nostr reads it over wss (private CA through its custom transport) ...
    ev, = peers.sdk_fetch(f.url, record_filter(host.hex), ca=f.ca)
    assert ev.verify() and ev.id().to_hex() == block.id and ev.author().to_hex() == host.hex
    tags = [t.to_vec() for t in ev.tags()]
    assert_single_tag(tags, "d", "")
    assert tag_values(tags, "ip4") == ["93.184.216.34"] and tag_values(tags, "ip6") == ["2a01:4f8::1"]
    assert_single_tag(tags, "alt", "DNS records")
    # ... and the relay behind the TLS front end has it too
    assert [e["id"] for e in peers.raw_req(f.backend.url, record_filter(host.hex))] == [block.id]
    # and nostr-dns resolves it over the same wss URL
    assert_resolves(resolve(nostr_dns, host.npub, [url], "--ca-file", f.ca), ["93.184.216.34", "2a01:4f8::1"])


def test_resolve_over_wss_record_written_by_rust_nostr_over_wss(nostr_dns, wss_relay, host):
    peers.sdk_publish_ok(wss_relay.url, address_record(host.keys, ["93.184.216.34"]), ca=wss_relay.ca)
    assert_resolves(resolve(nostr_dns, host.name, [wss_relay.url], "--ca-file", wss_relay.ca), ["93.184.216.34"])


def test_wss_with_the_wrong_ca_is_refused_with_exit_1(nostr_dns, wss_relay, test_ca, host):
    peers.sdk_publish_ok(wss_relay.backend.url, address_record(host.keys, ["93.184.216.34"]))
    proc = resolve(nostr_dns, host.npub, [wss_relay.url], "--ca-file", test_ca.wrong_ca, "--timeout", "5")
    assert proc.returncode == 1, show(proc)
    assert out(proc) == ""
    assert norm_url(wss_relay.url) in norm_url(err(proc)) or wss_relay.url in err(proc), show(proc)
    assert TLS_WORDS.search(err(proc)), show(proc)

    pub = publish_ip(nostr_dns, host, [wss_relay.url], "--ca-file", test_ca.wrong_ca, "--ip", "5.6.7.8",
                     "--timeout", "5")
    assert pub.returncode == 1, show(pub)
    block, = parse_publish(out(pub))
    status, message = block.results[norm_url(wss_relay.url)]
    assert status == "failed" and TLS_WORDS.search(message), show(pub)
    stored = peers.raw_req(wss_relay.backend.url, record_filter(host.hex))
    assert [tag_values(e["tags"], "ip4") for e in stored] == [["93.184.216.34"]], "nothing got through"


def test_wss_without_ca_file_does_not_trust_the_test_ca(nostr_dns, wss_relay, host):
    """The system bundle does not hold the test CA: no --ca-file, no connection."""
    peers.sdk_publish_ok(wss_relay.backend.url, address_record(host.keys, ["93.184.216.34"]))
    proc = resolve(nostr_dns, host.npub, [wss_relay.url], "--timeout", "5")
    assert proc.returncode == 1, show(proc)
    assert TLS_WORDS.search(err(proc)), show(proc)


def test_wss_certificate_for_another_name_is_refused_with_exit_1(nostr_dns, wss_other_name, host):
    """Same CA, valid chain, but the certificate is for other.example, not localhost."""
    peers.sdk_publish_ok(wss_other_name.backend.url, address_record(host.keys, ["93.184.216.34"]))
    proc = resolve(nostr_dns, host.npub, [wss_other_name.url], "--ca-file", wss_other_name.ca, "--timeout", "5")
    assert proc.returncode == 1, show(proc)
    assert out(proc) == ""
    assert TLS_WORDS.search(err(proc)) or re.search(r"name|host", err(proc), re.I), show(proc)
    pub = publish_ip(nostr_dns, host, [wss_other_name.url], "--ca-file", wss_other_name.ca, "--ip", "5.6.7.8",
                     "--timeout", "5")
    assert pub.returncode == 1, show(pub)
    assert parse_publish(out(pub))[0].results[norm_url(wss_other_name.url)][0] == "failed"


def test_ca_file_from_the_config_file(nostr_dns, wss_relay, host, tmp_path):
    peers.sdk_publish_ok(wss_relay.backend.url, address_record(host.keys, ["93.184.216.34"]))
    cfg = tmp_path / "nostr-dns.conf"
    cfg.write_text(f"# test config\n\nrelay = {wss_relay.url}\nca-file = {wss_relay.ca}\n")
    assert_resolves(nostr_dns.run("--config", cfg, "resolve", host.npub), ["93.184.216.34"])


def test_key_from_the_config_file_signs_what_is_published(nostr_dns, relay, host, tmp_path):
    """The config's `key` names the key file (as a service's config does); --key and
    $NOSTR_DNS_KEY still come first."""
    cfg = tmp_path / "nostr-dns.conf"
    cfg.write_text(f"relay = {relay.url}\nkey = {host.key_path}\n")
    pub = nostr_dns.run("--config", cfg, "publish-ip", "--ip", "93.184.216.34")
    assert pub.returncode == 0, show(pub)
    assert_resolves(nostr_dns.run("--config", cfg, "resolve", host.npub), ["93.184.216.34"])
    who = nostr_dns.run("--config", cfg, "whoami")
    assert out(who).splitlines()[0] == host.npub, show(who)
    other = new_host(tmp_path, "-other")
    who_env = nostr_dns.run("--config", cfg, "whoami", env={"NOSTR_DNS_KEY": str(other.key_path)})
    assert out(who_env).splitlines()[0] == other.npub, show(who_env)


# ---------------------------------------------------------------------------
# IPv6 and LocalRelay


def test_publish_and_resolve_over_ipv6_loopback(nostr_dns, ipv6_relay, host):
    assert ipv6_relay.url.startswith("ws://[::1]:")
    proc = publish_ip(nostr_dns, host, [ipv6_relay.url], "--ip", "2a01:4f8::1")
    assert proc.returncode == 0, show(proc)
    assert parse_publish(out(proc))[0].results == {norm_url(ipv6_relay.url): ("accepted", None)}
    ev, = peers.sdk_fetch(ipv6_relay.url, record_filter(host.hex))
    assert tag_values([t.to_vec() for t in ev.tags()], "ip6") == ["2a01:4f8::1"]
    assert_resolves(resolve(nostr_dns, host.npub, [ipv6_relay.url]), ["2a01:4f8::1"])


def test_resolve_from_local_relay_record_written_by_rust_nostr(nostr_dns, local_relay, host):
    peers.sdk_publish_ok(local_relay.url, address_record(host.keys, ["93.184.216.34"], d="www"))
    assert_resolves(resolve(nostr_dns, f"www.{host.name}", [local_relay.url]), ["93.184.216.34"])


# ---------------------------------------------------------------------------
# relays that are down or silent


def test_unreachable_relay_gives_a_clear_error_and_exit_1_within_the_timeout(nostr_dns, host):
    url = peers.closed_port_url()
    proc, elapsed = timed(resolve, nostr_dns, host.npub, [url], "--timeout", "3")
    assert proc.returncode == 1, show(proc)
    assert out(proc) == ""
    assert url in err(proc) or norm_url(url) in norm_url(err(proc)), show(proc)
    assert elapsed < 3 + SLACK, f"{elapsed:.1f} s"


def test_unreachable_ipv6_relay_exit_1(nostr_dns, host):
    url = peers.closed_port_url("::1")
    proc = resolve(nostr_dns, host.npub, [url], "--timeout", "3")
    assert proc.returncode == 1, show(proc)


def test_relay_that_accepts_tcp_and_never_answers_exit_1_within_timeout(nostr_dns, host, black_hole):
    proc, elapsed = timed(resolve, nostr_dns, host.npub, [black_hole.url], "--timeout", "2")
    assert proc.returncode == 1, show(proc)
    assert out(proc) == ""
    assert f"127.0.0.1:{black_hole.port}" in err(proc), show(proc)
    assert elapsed < 2 + SLACK, f"{elapsed:.1f} s"


def test_paused_nostr_relay_exit_1_within_timeout(nostr_dns, relay_factory, host):
    """A real relay, SIGSTOPped: the kernel accepts the connection, nobody answers."""
    r = relay_factory()
    peers.sdk_publish_ok(r.url, address_record(host.keys, ["93.184.216.34"]))
    r.pause()
    try:
        proc, elapsed = timed(resolve, nostr_dns, host.npub, [r.url], "--timeout", "2")
        pub, pub_elapsed = timed(publish_ip, nostr_dns, host, [r.url], "--ip", "5.6.7.8", "--timeout", "2")
    finally:
        r.resume()
    assert proc.returncode == 1 and out(proc) == "", show(proc)
    assert elapsed < 2 + SLACK, f"{elapsed:.1f} s"
    assert pub.returncode == 1, show(pub)
    assert parse_publish(out(pub))[0].results[norm_url(r.url)][0] == "failed"
    assert pub_elapsed < 2 + SLACK, f"{pub_elapsed:.1f} s"
    # and once it runs again, the same command works
    assert_resolves(resolve(nostr_dns, host.npub, [r.url]), ["93.184.216.34"])


def test_websocket_that_never_answers_the_req_exit_1_within_timeout(nostr_dns, evil_relay_factory, host):
    mute = evil_relay_factory([], mode="mute")
    proc, elapsed = timed(resolve, nostr_dns, host.npub, [mute.url], "--timeout", "2")
    assert proc.returncode == 1, show(proc)
    assert elapsed < 2 + SLACK, f"{elapsed:.1f} s"


def test_default_timeout_is_10_seconds(nostr_dns, host, black_hole):
    proc, elapsed = timed(resolve, nostr_dns, host.npub, [black_hole.url], timeout=30)
    assert proc.returncode == 1, show(proc)
    assert elapsed < 10 + SLACK, f"{elapsed:.1f} s"


def test_restarted_relay_serves_the_record_again(nostr_dns, relay_factory, host):
    r = relay_factory()
    pub = publish_ip(nostr_dns, host, [r.url], "--ip", "93.184.216.34")
    assert pub.returncode == 0, show(pub)
    r.stop()
    down = resolve(nostr_dns, host.npub, [r.url], "--timeout", "2")
    assert down.returncode == 1, show(down)
    r.start()
    assert_resolves(resolve(nostr_dns, host.npub, [r.url]), ["93.184.216.34"])


class LineReader:
    """Lines from a daemon's stdout, each waited for with a deadline."""

    def __init__(self, proc):
        self.proc = proc
        self.buffer = b""

    def next(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"no line within {timeout} s; so far {self.buffer!r}")
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    pytest.fail(f"the daemon exited ({self.proc.wait()}): {self.proc.stderr.read().decode()}")
                self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode()


def stop_daemon(proc) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return -1


def test_follow_prints_each_update_and_reconnects_after_a_relay_restart(nostr_dns, relay_factory, host):
    """resolve --follow: one open subscription (no polling) delivers updates; when the
    relay goes away the client reconnects with backoff and subscribes again."""
    r = relay_factory()
    assert publish_ip(nostr_dns, host, [r.url], "--ip", "93.184.216.34").returncode == 0
    daemon = nostr_dns.popen(*relay_args(r.url), "resolve", host.npub, "--follow")
    lines = LineReader(daemon)
    try:
        assert lines.next(10) == "93.184.216.34"
        time.sleep(1.1)  # a newer created_at
        assert publish_ip(nostr_dns, host, [r.url], "--ip", "93.184.216.35", "--ip", "2a01:4f8::1").returncode == 0
        assert lines.next(5) == "93.184.216.35 2a01:4f8::1"

        r.restart()
        time.sleep(1.1)
        assert publish_ip(nostr_dns, host, [r.url], "--ip", "93.184.216.36").returncode == 0
        # Backoff starts at 0.25-0.5 s and doubles; the restart takes about a second.
        assert lines.next(15) == "93.184.216.36"
        assert daemon.poll() is None
    finally:
        code = stop_daemon(daemon)
    assert code == 0, daemon.stderr.read().decode()


def test_follow_ignores_a_forged_update(nostr_dns, relay, evil_relay_factory, host):
    """An attacker relay beside a real one cannot push a newer, forged record."""
    assert publish_ip(nostr_dns, host, [relay.url], "--ip", "93.184.216.34").returncode == 0
    # Signed by the host's key for another address, then the address changed:
    # the id and signature no longer match what the event says.
    signed = peers.event_dict(address_record(host.keys, ["93.184.216.66"], created_at=now() + 60))
    forged = dict(signed, tags=[["d", ""], ["ip4", "198.51.100.66"]])
    evil = evil_relay_factory([forged])
    daemon = nostr_dns.popen(*relay_args(relay.url, evil.url), "resolve", host.npub, "--follow")
    lines = LineReader(daemon)
    try:
        assert lines.next(10) == "93.184.216.34"
        time.sleep(1.5)
        assert lines.buffer == b""
    finally:
        assert stop_daemon(daemon) == 0


# ---------------------------------------------------------------------------
# several relays


def test_one_relay_down_one_up_resolves_and_publish_reports_each(nostr_dns, relay, host):
    down = peers.closed_port_url()
    pub = publish_ip(nostr_dns, host, [down, relay.url], "--ip", "93.184.216.34", "--timeout", "5")
    assert pub.returncode == 0, show(pub)
    block, = parse_publish(out(pub))
    assert set(block.results) == {norm_url(down), norm_url(relay.url)}
    assert block.results[norm_url(relay.url)] == ("accepted", None)
    assert block.results[norm_url(down)][0] == "failed"
    for order in ([down, relay.url], [relay.url, down]):
        proc, elapsed = timed(resolve, nostr_dns, host.npub, order, "--timeout", "5")
        assert_resolves(proc, ["93.184.216.34"])
        assert elapsed < 5 + SLACK


def test_silent_relay_and_good_relay_resolves_within_timeout(nostr_dns, relay, host, black_hole):
    peers.sdk_publish_ok(relay.url, address_record(host.keys, ["93.184.216.34"]))
    proc, elapsed = timed(resolve, nostr_dns, host.npub, [black_hole.url, relay.url], "--timeout", "3")
    assert_resolves(proc, ["93.184.216.34"])
    assert elapsed < 3 + SLACK


def test_one_relay_down_other_has_nothing_exits_3(nostr_dns, relay, host):
    proc = resolve(nostr_dns, host.npub, [peers.closed_port_url(), relay.url], "--timeout", "3")
    assert proc.returncode == 3, show(proc)


def test_all_relays_down_exit_1_naming_each(nostr_dns, host, black_hole):
    down = peers.closed_port_url()
    proc, elapsed = timed(resolve, nostr_dns, host.npub, [down, black_hole.url], "--timeout", "2")
    assert proc.returncode == 1, show(proc)
    assert down.split("//")[1] in err(proc) and f"127.0.0.1:{black_hole.port}" in err(proc), show(proc)
    assert elapsed < 2 + SLACK

    pub = publish_ip(nostr_dns, host, [down, black_hole.url], "--ip", "93.184.216.34", "--timeout", "2")
    assert pub.returncode == 1, show(pub)
    block, = parse_publish(out(pub))
    assert [s for s, _ in block.results.values()] == ["failed", "failed"]


def test_publish_to_two_real_relays_and_local_relay(nostr_dns, relay, ipv6_relay, local_relay, host):
    urls = [relay.url, ipv6_relay.url, local_relay.url]
    proc = publish_ip(nostr_dns, host, urls, "--ip", "93.184.216.34")
    assert proc.returncode == 0, show(proc)
    block, = parse_publish(out(proc))
    assert block.results == {norm_url(u): ("accepted", None) for u in urls}
    for u in urls:
        ev, = peers.sdk_fetch(u, record_filter(host.hex))
        assert ev.id().to_hex() == block.id


# ---------------------------------------------------------------------------
# where the relay list comes from


@pytest.fixture
def three_relays(relay, relay_factory, host):
    """Relays A (config), B (environment), C (--relay): the same host has a different address on each."""
    a, b, c = relay, relay_factory(), relay_factory()
    for r, ip in ((a, "1.1.1.1"), (b, "2.2.2.2"), (c, "3.3.3.3")):
        peers.sdk_publish_ok(r.url, address_record(host.keys, [ip]))
    return a, b, c


def test_relay_precedence_flag_over_env_over_config(nostr_dns, host, three_relays, tmp_path):
    a, b, c = three_relays
    cfg = tmp_path / "config"
    cfg.write_text(f"# relays for the test\n   # indented comment\n\nrelay = {a.url}\n")
    env = {"NOSTR_DNS_RELAYS": b.url}
    assert_resolves(nostr_dns.run("--config", cfg, "resolve", host.npub), ["1.1.1.1"])
    assert_resolves(nostr_dns.run("--config", cfg, "resolve", host.npub, env=env), ["2.2.2.2"])
    assert_resolves(nostr_dns.run("--config", cfg, "--relay", c.url, "resolve", host.npub, env=env), ["3.3.3.3"])
    # --relay after the subcommand counts the same
    assert_resolves(nostr_dns.run("resolve", host.npub, "--config", cfg, "--relay", c.url, env=env), ["3.3.3.3"])


@pytest.mark.parametrize("sep", [",", " ", ",\t", "\n", " , "])
def test_nostr_dns_relays_env_separators(nostr_dns, host, three_relays, sep):
    _, b, _ = three_relays
    env = {"NOSTR_DNS_RELAYS": sep.join([peers.closed_port_url(), b.url])}
    assert_resolves(nostr_dns.run("resolve", host.npub, "--timeout", "5", env=env), ["2.2.2.2"])


def test_config_file_with_several_relays_uses_them_all(nostr_dns, host, three_relays, tmp_path):
    a, b, _ = three_relays
    # a newer record on B only: both config relays must be asked
    peers.sdk_publish_ok(b.url, address_record(host.keys, ["4.4.4.4"], created_at=now() + 5))
    cfg = tmp_path / "config"
    cfg.write_text(f"relay = {a.url}\n# relay = ws://127.0.0.1:1\nrelay = {b.url}\n")
    assert_resolves(nostr_dns.run("--config", cfg, "resolve", host.npub), ["4.4.4.4"])


def test_missing_config_file_is_an_error_naming_it(nostr_dns, host, tmp_path, relay):
    missing = tmp_path / "no-such-config"
    proc = nostr_dns.run("--config", missing, "--relay", relay.url, "resolve", host.npub)
    assert proc.returncode in (1, 2), show(proc)
    assert str(missing) in err(proc), show(proc)


def test_global_options_anywhere_and_verbose_does_not_change_stdout(nostr_dns, relay, host):
    peers.sdk_publish_ok(relay.url, address_record(host.keys, ["93.184.216.34"]))
    forms = [
        ["--relay", relay.url, "resolve", host.npub],
        ["resolve", host.npub, "--relay", relay.url],
        ["resolve", "--relay", relay.url, host.npub],
        ["-v", "resolve", host.npub, "--relay", relay.url],
        ["resolve", host.npub, "-v", "--relay", relay.url],
    ]
    for args in forms:
        assert_resolves(nostr_dns.run(*args), ["93.184.216.34"])
    assert nostr_dns.run("-q", "resolve", host.npub, "--relay", relay.url).returncode == 0
    pub = nostr_dns.run("publish-ip", "--ip", "5.6.7.8", "--key", host.key_path, "--relay", relay.url)
    assert pub.returncode == 0, show(pub)
    assert parse_publish(out(pub))[0].results == {norm_url(relay.url): ("accepted", None)}
