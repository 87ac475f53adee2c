"""Secrets never leave (issue 16, item 8), against the real binary.

ATTACKS: an nsec pasted where a relay URL, a key path, a name, a URL or an
event's content belongs (any case, inside a longer string, in
$NOSTR_DNS_RELAYS or in a config line) was sent to the network (a relay
URL's host is looked up in DNS) and echoed in error messages. Now it is
refused before any I/O, with one line that names where it was and never
repeats it. PROOF of "no DNS query": the binary runs in a network
namespace whose /etc/resolv.conf (bind-mounted by `ip netns exec` from
/etc/netns/NAME/resolv.conf) points at a UDP listener in that namespace,
which must receive nothing; a control run with an ordinary host name shows
the listener does see the binary's lookups.

A malicious relay (evil_relay.py, mode hostile-text) sends NOTICE, CLOSED
and OK messages with terminal escape sequences and a forged log line: the
binary prints them with their control characters escaped.
"""
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import peers

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from evil_relay import HOSTILE_TEXT  # noqa: E402

LISTENER = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
print("listening", flush=True)
with open(sys.argv[1], "ab", buffering=0) as log:
    while True:
        data, _ = s.recvfrom(4096)
        log.write(data.hex().encode() + b"\\n")
"""


@pytest.fixture
def nsec(nostr_dns, tmp_path) -> str:
    key_dir = tmp_path / "keys"
    key_dir.mkdir(mode=0o700)
    r = nostr_dns.run("--key", key_dir / "nsec", "keygen")
    assert r.returncode == 0, r.stderr
    text = (key_dir / "nsec").read_text().strip()
    assert text.startswith("nsec1")
    return text


class DNSTrap:
    """A network namespace whose resolver is a UDP listener on its own lo."""

    def __init__(self, netns: peers.Netns, workdir: Path):
        self.netns = netns
        self.etc = Path("/etc/netns") / netns.name
        self.etc.mkdir(parents=True, exist_ok=True)
        (self.etc / "resolv.conf").write_text("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
        self.log = workdir / "dns-queries.log"
        self.log.write_bytes(b"")
        script = workdir / "dns_listener.py"
        script.write_text(LISTENER)
        self.proc = subprocess.Popen(netns.exec_argv([sys.executable, script, self.log]),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert self.proc.stdout.readline().strip() == b"listening"

    def queries(self) -> list[bytes]:
        return [bytes.fromhex(line) for line in self.log.read_text().split()]

    def close(self):
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.etc, ignore_errors=True)


@pytest.fixture
def dns_trap(netns, tmp_path):
    trap = DNSTrap(netns, tmp_path)
    yield trap
    trap.close()


def leaked(nsec: str, *streams: bytes) -> bool:
    """The nsec, or its data part, in any case, in any of the streams."""
    data = nsec[5:].lower()
    return any(data in s.decode("utf-8", "replace").lower() for s in streams)


def test_the_dns_trap_sees_an_ordinary_relay_host_lookup(nostr_dns, dns_trap):
    """Control: without it, an empty trap would prove nothing."""
    r = nostr_dns.run("--relay", "wss://canary-relay.invalid", "resolve", "npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyjh6w6",
                      "--timeout", "3", prefix=dns_trap.netns.exec_argv([]))
    assert r.returncode == 1
    peers.wait_until(lambda: dns_trap.queries(), 3, "the control lookup")
    assert any(b"canary-relay" in q for q in dns_trap.queries())


NPUB = "npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyjh6w6"


@pytest.mark.parametrize("shape, where", [
    (["--relay", "wss://{}", "resolve", NPUB], "the value of --relay"),
    (["--relay", "wss://{UPPER}/", "dns"], "the value of --relay"),
    (["--relay", "wss://relay.example/{}", "publish-ip", "--ip", "192.0.2.1"], "the value of --relay"),
    (["--relay", "wsn://{}@relay.example:7000", "resolve", NPUB], "the value of --relay"),
    (["--key", "{}", "whoami"], "the value of --key"),
    (["--relay", "ws://127.0.0.1:1", "resolve", "www.{}.nostr"], "argument 4"),
    (["--relay", "ws://127.0.0.1:1", "fetch", "https://{UPPER}.nostr/"], "argument 4"),
    (["--relay", "ws://127.0.0.1:1", "pin", "x{}y"], "argument 4"),
    (["event", "sign", "--kind", "1", "--content", "my key is {}"], "the value of --content"),
    (["event", "sign", "--kind", "1", "--tag", "p,{}"], "the value of --tag"),
])
def test_attack_nsec_on_the_command_line_is_refused_before_any_io_and_never_echoed(
        nostr_dns, dns_trap, nsec, shape, where):
    args = [a.replace("{UPPER}", nsec.upper()).replace("{}", nsec) for a in shape]
    r = nostr_dns.run(*args, timeout=20, prefix=dns_trap.netns.exec_argv([]))
    assert r.returncode == 2, r.stderr
    assert r.stdout == b""
    lines = r.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nostr-dns: " + where + " holds an nsec (a secret key!)"), lines
    assert not leaked(nsec, r.stdout, r.stderr)
    time.sleep(0.3)
    assert dns_trap.queries() == []


def test_attack_nsec_in_nostr_dns_relays_is_refused_before_any_lookup(nostr_dns, dns_trap, nsec):
    r = nostr_dns.run("resolve", NPUB, "--timeout", "3", prefix=dns_trap.netns.exec_argv([]),
                      env={"NOSTR_DNS_RELAYS": "ws://127.0.0.1:1, wss://" + nsec.upper()})
    assert r.returncode == 2
    assert r.stderr.decode().strip() == \
        "nostr-dns: $NOSTR_DNS_RELAYS holds an nsec (a secret key!); refused, and not shown"
    assert not leaked(nsec, r.stdout, r.stderr)
    time.sleep(0.3)
    assert dns_trap.queries() == []


@pytest.mark.parametrize("line", ["relay = wss://{}", "key = {}", "# my key: {}"])
def test_attack_nsec_in_a_config_line_is_refused_by_its_line_before_any_lookup(
        nostr_dns, dns_trap, nsec, tmp_path, line):
    config = tmp_path / "config"
    config.write_text("relay = wss://canary-relay.invalid\n" + line.replace("{}", nsec) + "\n")
    r = nostr_dns.run("--config", config, "resolve", NPUB, "--timeout", "3",
                      prefix=dns_trap.netns.exec_argv([]))
    assert r.returncode == 1
    assert r.stderr.decode().strip() == (
        f"nostr-dns resolve: config file {config}: holds an nsec (a secret key!); "
        "refused, and not shown: keep it in the key file (line 2)")
    assert not leaked(nsec, r.stdout, r.stderr)
    time.sleep(0.3)
    assert dns_trap.queries() == []


def test_attack_nsec_among_arguments_writes_no_key_file(nostr_dns, nsec, tmp_path):
    key_dir = tmp_path / "fresh"
    key_dir.mkdir(mode=0o700)
    r = nostr_dns.run("--key", key_dir / "nsec", "--relay", "wss://" + nsec, "keygen")
    assert r.returncode == 2
    assert not (key_dir / "nsec").exists()
    assert not leaked(nsec, r.stdout, r.stderr)


def test_attack_relay_text_with_terminal_escapes_and_forged_lines_is_printed_escaped(
        nostr_dns, evil_relay_factory, nsec, tmp_path):
    evil = evil_relay_factory([], mode="hostile-text")
    key_dir = tmp_path / "k"
    key_dir.mkdir(mode=0o700)
    key = key_dir / "nsec"
    key.write_text(nsec + "\n")
    key.chmod(0o600)
    r = nostr_dns.run("-v", "--key", key, "--relay", evil.url, "publish-ip", "--ip", "192.0.2.1",
                      "--timeout", "5")
    assert r.returncode == 1
    out = r.stdout.decode()
    both = out + r.stderr.decode()
    assert f"rejected {evil.url}: blocked: \\x1b[2J\\x1b]0;pwned\\x07\\nnostr-dns: FORGED LINE\\r\\u{{9b}}31mred\n" in out
    for raw in ("\x1b", "\x07", "\r", "\u009b"):
        assert raw not in both
    assert not any(line.startswith("nostr-dns: FORGED") for line in both.splitlines())
    # The REQ path (NOTICE, CLOSED) prints nothing of the relay's text unescaped either.
    r = nostr_dns.run("-v", "--relay", evil.url, "resolve", NPUB, "--timeout", "3")
    both = (r.stdout + r.stderr).decode()
    for raw in ("\x1b", "\x07", "\r", "\u009b"):
        assert raw not in both
    assert not any(line.startswith("nostr-dns: FORGED") for line in both.splitlines())
    assert evil.requests(), "the hostile relay was asked"
    assert HOSTILE_TEXT not in both
