"""Easy on flash (issue 17, item 7), against the real binary.

A router's flash wears with every write. Before, `dns` and `mdns` wrote their
cache file (`--cache`, on OpenWrt /etc/nostr-dns, on flash) every 5 minutes
whenever the cache changed: about 300 rewrites a day on a busy LAN. Now the
working file can live in RAM (/tmp on OpenWrt: it survives a respawn of the
service, not a reboot) and a kept copy on flash (`--cache-keep`) is written
from memory at most every `--keep-interval` seconds when the cache changed,
and at a clean stop (SIGTERM) when it changed. On start the working file is
loaded when it is there (a respawn), else the kept copy (a reboot).

Real peers: nostr-relay 1.14 on loopback, records published with the real
`publish-ip`, asked for with dnspython (dns) and raw mDNS packets on
test_mdns.py's veth link (mdns). The two files sit in two folders, as
/tmp and /etc would. Writes are judged by the file's inode (every write is a
new file renamed over the old one) and by what it holds; the only bound on
time is a lower one (the copy is never written before its interval), which a
slow machine cannot break.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import dns.rdatatype
from nostr_sdk import Keys, PublicKey

import mdns_rig
import peers
from cli import new_host, show
from conftest import make_key_dir, write_key_file
from test_dns import DnsServer, answers, publish_ip, query
from test_mdns import Responder, legacy, published  # noqa: F401 (published: a fixture)
from test_mdns import answers as mdns_answers

INTERVAL = 60  # the shortest --keep-interval accepted


def inode(path: Path) -> int | None:
    try:
        return os.lstat(path).st_ino
    except FileNotFoundError:
        return None


def flash_server(nostr_dns, workdir: Path, relay_url: str, working: Path, kept: Path, interval: int = INTERVAL):
    return DnsServer(nostr_dns, workdir, [relay_url], "--cache-keep", str(kept), "--keep-interval", str(interval),
                     cache=working)


def test_the_flash_copy_is_written_at_its_interval_and_at_a_clean_stop_and_a_reboot_answers_from_it(
        nostr_dns, relay_factory, tmp_path):
    r = relay_factory()
    first, second = new_host(tmp_path, "-first"), new_host(tmp_path, "-second")
    publish_ip(nostr_dns, first, r, "--ip", "192.0.2.71", "--ttl", "300")
    ram, flash = tmp_path / "tmp" / "nostr-dns", tmp_path / "etc" / "nostr-dns"
    working, kept = ram / "dns-cache", flash / "dns-cache"

    # 1. A first boot: nothing cached. The name is learned from the relay;
    # the copy is written from memory once its interval has passed, before
    # the working file's first save (5 minutes).
    started = time.monotonic()
    s1 = flash_server(nostr_dns, tmp_path / "run1", r.url, working, kept)
    try:
        assert answers(query(first.name, "A", s1.port), dns.rdatatype.A) == ["192.0.2.71"]
        assert inode(kept) is None, "the flash copy was written before its interval"
        peers.wait_until(lambda: kept.exists(), INTERVAL + 120, "the flash copy at its interval", s1.proc)
        waited = time.monotonic() - started
        assert waited >= INTERVAL, f"the flash copy was written after {waited:.1f} s, before its {INTERVAL} s interval"
        assert first.hex in kept.read_text()
        assert not working.exists(), "the working file was saved before its 5-minute interval"
        assert os.stat(kept).st_mode & 0o777 == 0o600
    finally:
        s1.stop()  # SIGTERM: the working file is saved
    assert first.hex in working.read_text(), s1.proc.log_tail()

    # 2. A respawn (/tmp survived): the working file is loaded, the copy is
    # left alone until the stop, which writes it with what was learned since.
    publish_ip(nostr_dns, second, r, "--ip", "192.0.2.72", "--ttl", "300")
    kept_before = inode(kept)
    s2 = flash_server(nostr_dns, tmp_path / "run2", r.url, working, kept, interval=3600)
    try:
        assert f"cache {working}: 1 records loaded" in s2.proc.log_text(), s2.proc.log_tail()
        assert f"cache {kept}:" not in s2.proc.log_text()
        assert answers(query(second.name, "A", s2.port), dns.rdatatype.A) == ["192.0.2.72"]
        assert inode(kept) == kept_before, "the flash copy was rewritten before its interval"
    finally:
        s2.stop()
    assert inode(kept) != kept_before, "a clean stop did not keep the changed cache"
    text = kept.read_text()
    assert first.hex in text and second.hex in text

    # 3. A reboot: RAM is empty, and no relay is reachable. The kept copy
    # answers both names (stale, TTL 30); nothing changes, so the stop does
    # not write the copy again.
    working.unlink()
    r.stop()
    kept_before = inode(kept)
    s3 = flash_server(nostr_dns, tmp_path / "run3", r.url, working, kept, interval=3600)
    try:
        assert f"cache {kept}: 2 records loaded" in s3.proc.log_text(), s3.proc.log_tail()
        for host, ip in ((first, "192.0.2.71"), (second, "192.0.2.72")):
            resp = query(host.name, "A", s3.port)
            assert answers(resp, dns.rdatatype.A) == [ip]
            assert resp.answer[0].ttl == 30
    finally:
        s3.stop()
    assert inode(kept) == kept_before, "the flash copy was rewritten although nothing changed"


def test_a_link_planted_at_the_flash_copy_is_never_followed_nor_written_through(nostr_dns, relay_factory, tmp_path):
    """ATTACKER: a local user who could write in the copy's folder plants a
    symbolic link there to a file of the service's (here a stand-in for
    /etc/shadow). The start does not read through it, and the stop replaces
    the link itself."""
    r = relay_factory()
    host = new_host(tmp_path)
    publish_ip(nostr_dns, host, r, "--ip", "192.0.2.73", "--ttl", "300")
    flash = tmp_path / "flash"
    flash.mkdir(mode=0o700)
    target = tmp_path / "precious"
    target.write_text("not a cache\n")
    kept = flash / "dns-cache"
    kept.symlink_to(target)
    s = flash_server(nostr_dns, tmp_path / "run", r.url, tmp_path / "ram" / "dns-cache", kept, interval=21600)
    try:
        assert "records loaded" not in s.proc.log_text()
        assert "symbolic link" in s.proc.log_text(), s.proc.log_tail()
        assert answers(query(host.name, "A", s.port), dns.rdatatype.A) == ["192.0.2.73"]
    finally:
        s.stop()
    assert target.read_text() == "not a cache\n"
    assert not kept.is_symlink() and host.hex in kept.read_text()
    assert os.stat(kept).st_mode & 0o777 == 0o600


def test_bad_flash_options_print_usage_and_exit_2(nostr_dns, tmp_path):
    for command in ("dns", "mdns"):
        for args, says in (
                (["--keep-interval", "59", "--cache-keep", "/x"], "--keep-interval must be between 60 and 604800"),
                (["--keep-interval", "604801", "--cache-keep", "/x"], "--keep-interval must be between 60 and 604800"),
                (["--keep-interval", "600"], "--keep-interval needs --cache-keep"),
                (["--no-cache", "--cache-keep", "/x"], "--cache-keep and --no-cache exclude each other"),
                (["--cache", "/x", "--cache-keep", "/x"], "--cache-keep must name another file than --cache")):
            proc = nostr_dns.run("--relay", "ws://127.0.0.1:1", command, *args, timeout=10)
            assert proc.returncode == 2 and says in proc.stderr.decode(), show(proc)


# ---------------------------------------------------------------------------
# mdns: the same copy, on a veth link between two namespaces (test_mdns.py's rig)


class FlashResponder(Responder):
    """test_mdns's responder with a working cache file and a kept copy."""

    def __init__(self, nostr_dns, link, workdir, relay_url: str, working: Path, kept: Path):
        self.keys = Keys.generate()
        self.npub = self.keys.public_key().to_bech32()
        key = write_key_file(make_key_dir(workdir), self.keys.secret_key().to_bech32(), name=f"nsec-{self.npub[5:13]}")
        argv = nostr_dns.argv(["--relay", relay_url, "--key", key, "-v", "mdns", "--interface", "veth-a",
                               "--cache", str(working), "--cache-keep", str(kept), "--keep-interval", "3600"],
                              prefix=link.a.exec_argv([]))
        self.proc = peers.Proc("nostr-dns-mdns", argv, workdir / f"mdns-{self.npub[5:13]}.log", env=nostr_dns.full_env())
        mdns_rig.wait_for_log(self.proc, "with no conflict; announcing", timeout=15)


def test_mdns_keeps_its_cache_on_flash_at_a_clean_stop_and_answers_from_it_after_a_reboot(
        nostr_dns, link, ns_relay, published, tmp_path):
    working, kept = tmp_path / "tmp" / "mdns-cache", tmp_path / "etc" / "mdns-cache"

    def cached():
        return [a["addr"] for r in legacy(link, published)["replies"] for a in mdns_answers(r, published, 1)]

    first = FlashResponder(nostr_dns, link, tmp_path, ns_relay.url, working, kept)
    try:
        assert mdns_rig.retry(cached, 10) == ["203.0.113.7"], first.log()
        assert not kept.exists(), "the flash copy was written before its interval"
    finally:
        first.stop()
    author = PublicKey.parse(published.split(".")[0]).to_hex()
    assert f'"pubkey":"{author}"' in kept.read_text() and f'"pubkey":"{author}"' in working.read_text()
    # A reboot: RAM is empty, no relay is reachable.
    working.unlink()
    kept_before = inode(kept)
    again = FlashResponder(nostr_dns, link, tmp_path, peers.closed_port_url(), working, kept)
    try:
        assert f"cache {kept}: 1 records loaded" in again.log(), again.log()
        assert cached() == ["203.0.113.7"], again.log()
    finally:
        again.stop()
    assert inode(kept) == kept_before, "the flash copy was rewritten although nothing changed"
