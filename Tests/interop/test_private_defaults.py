"""Private by default (issue 17, item 5): publish-ip asks no third party
unless the user names it. There is no built-in STUN server: `--detect stun`
without a server is a one-line usage error, and `auto` (the default) reads
the interfaces only; with no global address it publishes nothing and asks
no one.

What the binary did on the network is read from strace(1) (socket, connect,
sendto, sendmsg of the process and its threads): a STUN query, or the name
lookup of a STUN server, needs a UDP socket of family AF_INET or AF_INET6,
which nothing else in these runs opens (the relay is a ws:// URL with a
literal address, over TCP). A control run with a STUN server named shows
that the same trace does see such a socket.
"""

import re
import shutil
import signal
import subprocess

import pytest

import peers
from cli import err, new_host, out, relay_args, show

STRACE = shutil.which("strace") or "strace"  # Tests/setup.sh installs it

# socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 5
UDP_SOCKET = re.compile(r"socket\(AF_INET6?, SOCK_DGRAM")
# sendto/connect/sendmsg to an internet address (not netlink, not AF_UNIX)
INET_PEER = re.compile(r"(connect|sendto|sendmsg)\(.*sa_family=AF_INET6?,.*sin6?_port=htons\((\d+)\)")


@pytest.fixture
def host(tmp_path):
    return new_host(tmp_path)


def traced(tmp_path, prefix=()):
    """A prefix that runs the binary under strace, and the trace file."""
    log = tmp_path / "strace.log"
    # LeakSanitizer cannot run under ptrace: the AddressSanitizer stage's
    # binary checks for leaks everywhere but here.
    return [*prefix, "env", "ASAN_OPTIONS=detect_leaks=0", STRACE, "-f", "-qq", "-o", str(log), "-e",
            "trace=socket,connect,sendto,sendmsg"], log


def udp_sockets(log) -> list[str]:
    return [line for line in log.read_text().splitlines() if UDP_SOCKET.search(line)]


def inet_ports(log) -> set[int]:
    return {int(m.group(2)) for line in log.read_text().splitlines() if (m := INET_PEER.search(line))}


@pytest.mark.parametrize("detect", ["stun", "stun:"])
def test_detect_stun_without_a_server_is_a_one_line_usage_error_naming_examples(nostr_dns, relay, host, detect):
    proc = nostr_dns.run("--key", host.key_path, *relay_args(relay.url), "publish-ip", "--detect", detect)
    assert proc.returncode == 2, show(proc)
    lines = err(proc).splitlines()
    assert len(lines) == 1, show(proc)
    assert "stun:HOST:PORT" in lines[0] and "stun:stun.cloudflare.com:3478" in lines[0], show(proc)
    assert out(proc) == "", show(proc)
    assert peers.raw_req(relay.url, {"authors": [host.hex]}) == []


def test_detect_stun_without_a_server_contacts_nobody(nostr_dns, relay, host, tmp_path):
    prefix, log = traced(tmp_path)
    proc = nostr_dns.run("--key", host.key_path, *relay_args(relay.url), "publish-ip", "--detect", "stun",
                         prefix=prefix)
    assert proc.returncode == 2, show(proc)
    assert udp_sockets(log) == [], log.read_text()
    assert inet_ports(log) == set(), log.read_text()  # not even the relay


def test_the_trace_sees_a_stun_query_when_a_server_is_named(nostr_dns, relay, host, tmp_path):
    """The control: with a STUN server named (nothing listens there), the
    same trace shows the UDP socket and the datagram to its port."""
    port = peers.free_port(udp=True)
    prefix, log = traced(tmp_path)
    proc = nostr_dns.run("--key", host.key_path, *relay_args(relay.url), "publish-ip",
                         "--detect", f"stun:127.0.0.1:{port}", "--timeout", "2", prefix=prefix)
    assert proc.returncode == 1, show(proc)
    assert udp_sockets(log), log.read_text()
    assert port in inet_ports(log), log.read_text()


@pytest.fixture
def behind_nat(netns, relay_factory):
    """A namespace whose only interface has private addresses (a host behind
    NAT), no route out and no name server; a nostr-relay on its lo."""
    netns.add_veth("nd0", "nd1")
    netns.ip("addr", "add", "192.168.1.10/24", "dev", "nd0")
    netns.ip("addr", "add", "fd00:1::10/64", "dev", "nd0", "nodad")
    return netns, relay_factory(netns=netns)


def test_auto_without_a_global_address_publishes_nothing_and_asks_no_stun_server(nostr_dns, behind_nat, host,
                                                                                 tmp_path):
    netns, relay = behind_nat
    prefix, log = traced(tmp_path, netns.exec_argv([]))
    proc = nostr_dns.run("--key", host.key_path, *relay_args(relay.url), "publish-ip", "--timeout", "3",
                         prefix=prefix)
    assert proc.returncode == 1, show(proc)
    assert out(proc) == "", show(proc)
    assert "no STUN server was asked" in err(proc) and "--detect stun:HOST:PORT" in err(proc), show(proc)
    assert udp_sockets(log) == [], log.read_text()
    assert inet_ports(log) == set(), log.read_text()  # nothing to publish: not even the relay
    fetched = netns.tool("rawreq", relay.url, '{"authors": ["%s"]}' % host.hex)
    assert fetched.returncode == 0 and fetched.stdout.strip() == "", fetched


def test_watch_auto_without_a_global_address_keeps_publishing_nothing(nostr_dns, behind_nat, host, tmp_path):
    """The daemon (the publishing service's command line) checks every second
    for several seconds: each check finds no global address, publishes
    nothing and asks no STUN server; SIGTERM ends it."""
    netns, relay = behind_nat
    prefix, log = traced(tmp_path, netns.exec_argv([]))
    daemon_log = open(tmp_path / "daemon.log", "wb")
    daemon = nostr_dns.popen("--key", host.key_path, *relay_args(relay.url), "publish-ip", "--detect", "auto",
                             "--watch", "--interval", "1", prefix=prefix, stdout=daemon_log, stderr=daemon_log)
    try:
        peers.wait_until(lambda: (tmp_path / "daemon.log").read_text().count("no STUN server was asked") >= 3,
                         30, "three checks that found no global address", interval=0.25)
        assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()
    finally:
        if daemon.poll() is None:
            daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=10)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        daemon_log.close()
    text = (tmp_path / "daemon.log").read_text()
    assert not [line for line in text.splitlines() if line.startswith("published kind")], text
    assert udp_sockets(log) == [], log.read_text()
    assert 19302 not in inet_ports(log) and 3478 not in inet_ports(log), log.read_text()
    fetched = netns.tool("rawreq", relay.url, '{"authors": ["%s"]}' % host.hex)
    assert fetched.returncode == 0 and fetched.stdout.strip() == "", fetched


def test_the_mdns_responder_the_default_command_publishes_nothing_on_the_relays(nostr_dns, behind_nat, host,
                                                                                  tmp_path):
    """`nostr-dns` with no command (the mDNS responder, the main service) with
    a relay it can reach: it probes and announces its name on the link (that
    is mDNS), and the relay receives no event of its key."""
    netns, relay = behind_nat
    daemon_log = open(tmp_path / "mdns.log", "wb")
    # `nostr-dns` with no command runs `mdns` (CommandLineTool); --no-cache
    # keeps it from writing the cache file of root, /var/lib/nostr-dns.
    # Every multicast interface of the namespace, as by default.
    daemon = nostr_dns.popen("--key", host.key_path, *relay_args(relay.url), "-v", "mdns", "--no-cache",
                             prefix=netns.exec_argv([]), stdout=daemon_log, stderr=daemon_log)
    try:
        peers.wait_until(lambda: "with no conflict; announcing" in (tmp_path / "mdns.log").read_text(), 20,
                         "the responder's announcement", interval=0.25)
        assert daemon.poll() is None, (tmp_path / "mdns.log").read_text()
        fetched = netns.tool("rawreq", relay.url, '{"authors": ["%s"]}' % host.hex)
        assert fetched.returncode == 0 and fetched.stdout.strip() == "", fetched
    finally:
        if daemon.poll() is None:
            daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=10)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        daemon_log.close()
    fetched = netns.tool("rawreq", relay.url, '{"authors": ["%s"]}' % host.hex)
    assert fetched.returncode == 0 and fetched.stdout.strip() == "", fetched
    assert "published" not in (tmp_path / "mdns.log").read_text()
