"""Files a local attacker could plant (issue 16, item 9, and item 2's "never
let the cache file stop a start"), against the real binary: `dns --cache`
and `mdns --cache` pointing at a symbolic link (to another file, to
/dev/zero), a FIFO with no writer, an oversized file, a folder, or a file
the server's user cannot read (run as nobody with setpriv). The server
starts all the same, answers (dig against a local nostr-relay 1.14 for
`dns`; a legacy mDNS query on a veth link for `mdns`), warns once, and never
writes through the link: the file it points to is untouched after the save
on exit. Before, the FIFO hung the start, the folder and the oversized file
failed it (and systemd or procd restarted it forever), and a link was read.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import dns.rdatatype
import pytest

import mdns_rig
import peers
from cli import new_host
from test_dns import DnsServer, answers, dig, publish_ip, query

WARNING = "starting with an empty cache"
VICTIM_TEXT = "root:$6$not-a-real-hash:19000:0:99999:7:::\n"


def plant(kind: str, cache: Path, victim: Path) -> None:
    """Puts `kind` at the cache path, as a local attacker would."""
    cache.parent.mkdir(parents=True, exist_ok=True)
    if kind == "symlink-to-file":
        victim.write_text(VICTIM_TEXT)
        victim.chmod(0o640)
        cache.symlink_to(victim)
    elif kind == "symlink-to-dev-zero":
        cache.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(cache, 0o600)
    elif kind == "oversized":
        with open(cache, "wb") as f:  # sparse: 96 MiB + 1 byte, nothing written
            f.truncate(16 * 1024 * 1024 + 1)
    elif kind == "folder":
        cache.mkdir()
    else:
        raise ValueError(kind)


def warnings(log: str, cache: Path) -> list[str]:
    return [line for line in log.splitlines() if WARNING in line and str(cache) in line]


@pytest.mark.parametrize("kind", ["symlink-to-file", "symlink-to-dev-zero", "fifo", "oversized", "folder"])
def test_dns_starts_and_answers_with_a_planted_cache_file(nostr_dns, relay, tmp_path, kind):
    host = new_host(tmp_path)
    publish_ip(nostr_dns, host, relay, "--ip", "192.0.2.91", "--ttl", "300")
    cache = tmp_path / "state" / "dns-cache"
    victim = tmp_path / "shadow"
    plant(kind, cache, victim)
    # DnsServer waits until the server answers the zone's SOA: it started.
    s = DnsServer(nostr_dns, tmp_path / "dns", [relay.url], cache=cache)
    try:
        r = dig("@127.0.0.1", "-p", str(s.port), host.name, "A", "+short")
        assert r.returncode == 0 and r.stdout.split() == ["192.0.2.91"], r.stdout + r.stderr + s.proc.log_tail()
        log = s.proc.log_text()
        said = warnings(log, cache)
        assert len(said) == 1, log
        assert said[0].startswith(f"nostr-dns dns: cache file {cache} "), said
        assert "records loaded" not in log, log
    finally:
        s.stop()  # SIGTERM: saves the cache
    if kind == "symlink-to-file":
        assert "symbolic link; refusing to follow it; left in place" in said[0], said
        assert victim.read_text() == VICTIM_TEXT and (victim.stat().st_mode & 0o777) == 0o640
    if kind.startswith("symlink") or kind == "fifo":
        # The save replaced the planted entry itself with the real cache.
        assert cache.is_file() and not cache.is_symlink(), kind
        assert host.hex in cache.read_text()
        assert (cache.stat().st_mode & 0o777) == 0o600
    if kind == "oversized":
        assert f"too large to be a cache file (more than 16777216 bytes); set aside as {cache}.bad" in said[0], said
        assert Path(f"{cache}.bad").stat().st_size == 16 * 1024 * 1024 + 1
        assert cache.is_file() and host.hex in cache.read_text()
    if kind == "folder":
        assert "is a folder, not a file; starting with an empty cache" in said[0], said
        assert cache.is_dir() and list(cache.iterdir()) == []
    # No temporary file is left beside the cache, whatever happened.
    assert [p.name for p in cache.parent.iterdir() if ".tmp" in p.name] == []


def test_dns_restarts_cleanly_after_setting_an_oversized_cache_aside(nostr_dns, relay, tmp_path):
    """The point for systemd and procd: the next start after the bad one
    loads the new cache, warns no more."""
    host = new_host(tmp_path)
    publish_ip(nostr_dns, host, relay, "--ip", "192.0.2.92", "--ttl", "300")
    cache = tmp_path / "state" / "dns-cache"
    plant("oversized", cache, tmp_path / "unused")
    first = DnsServer(nostr_dns, tmp_path / "dns1", [relay.url], cache=cache)
    try:
        assert answers(query(host.name, "A", first.port), dns.rdatatype.A) == ["192.0.2.92"]
    finally:
        first.stop()
    second = DnsServer(nostr_dns, tmp_path / "dns2", [relay.url], cache=cache)
    try:
        log = second.proc.log_text()
        assert warnings(log, cache) == [] and f"cache {cache}: 1 records loaded" in log, log
    finally:
        second.stop()


# ---------------------------------------------------------------------------
# mdns: the same start, on a veth link (root network namespaces)


@pytest.mark.parametrize("kind", ["symlink-to-file", "fifo"])
def test_mdns_starts_and_answers_its_own_name_with_a_planted_cache_file(nostr_dns, link, tmp_path, kind):
    from test_mdns import Responder, answers as mdns_answers, legacy

    cache = tmp_path / "state" / "mdns-cache"
    victim = tmp_path / "shadow"
    plant(kind, cache, victim)
    # Responder waits for "announcing": the responder started.
    r = Responder(nostr_dns, link, tmp_path, peers.closed_port_url(), cache=cache)
    try:
        got = legacy(link, r.name)
        assert [a["addr"] for reply in got["replies"] for a in mdns_answers(reply, r.name, 1)] == [mdns_rig.A_ADDR], r.log()
        said = warnings(r.log(), cache)
        assert len(said) == 1 and said[0].startswith(f"nostr-dns mdns: cache file {cache} "), r.log()
    finally:
        r.stop()
    if kind == "symlink-to-file":
        # Nothing was learned, so nothing was saved: the link is still
        # there, and what it points to was neither read nor written.
        assert victim.read_text() == VICTIM_TEXT and cache.is_symlink()


def test_dns_run_as_another_user_sets_an_unreadable_cache_file_aside(nostr_dns, relay, tmp_path):
    """An unreadable cache file (EACCES: root's file, the server run as
    nobody, as the systemd unit runs it as its own user) is renamed to
    PATH.bad and the server starts empty instead of failing."""
    host = new_host(tmp_path)
    publish_ip(nostr_dns, host, relay, "--ip", "192.0.2.93", "--ttl", "300")
    # pytest's folders are root's (0700): nobody gets a folder of its own in /tmp.
    base = Path(tempfile.mkdtemp(prefix="nostr-dns-nobody-"))
    try:
        os.chown(base, 65534, 65534)
        state, home = base / "state", base / "home"
        for folder in (state, home):
            folder.mkdir(mode=0o700)
            os.chown(folder, 65534, 65534)
        cache = state / "dns-cache"
        cache.write_text("1 {}\n")
        cache.chmod(0o600)  # root's: nobody cannot read it
        port = peers.free_port_both()
        argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                *nostr_dns.argv(["--relay", relay.url, "-v", "dns", "--listen", f"127.0.0.1:{port}",
                                 "--cache", cache, "--timeout", "3"])]
        env = nostr_dns.full_env({"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")})
        proc = peers.Proc(f"nostr-dns-dns-nobody:{port}", argv, tmp_path / "dns-nobody.log", env=env)
        try:
            peers.wait_until(lambda: query("nostr.", "SOA", port, timeout=0.5).rcode() == 0, 15,
                             "nostr-dns dns as nobody", proc)
            assert answers(query(host.name, "A", port), dns.rdatatype.A) == ["192.0.2.93"]
            said = warnings(proc.log_text(), cache)
            assert said == [f"nostr-dns dns: permission denied: cache file {cache};"
                            f" set aside as {cache}.bad, starting with an empty cache"], proc.log_text()
        finally:
            proc.stop()
        assert Path(f"{cache}.bad").read_text() == "1 {}\n"
    finally:
        shutil.rmtree(base, ignore_errors=True)
