"""Two hosts on one link, for the mDNS tests: network namespaces joined by a
veth pair, with avahi-daemon (and the private dbus-daemon it needs) on the
second host, and helpers to run python-zeroconf, avahi-resolve and
`getent hosts` (nss-mdns) there.

Nothing here touches a real interface: every multicast datagram goes out of
a veth end inside a namespace made for the test (or lo inside one).

avahi and dbus run in a private mount namespace (`unshare -m`) with a tmpfs
over /run, so their sockets (/run/dbus/system_bus_socket,
/run/avahi-daemon/socket, which nss-mdns talks to) and pid files never meet
the machine's own: the system bus of the machine is not disturbed. Tools
that talk to them (avahi-resolve, getent) are run with `nsenter` into that
mount namespace and the host's network namespace.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import peers

HERE = Path(__file__).resolve().parent
TOOL = HERE / "mdns_tool.py"

A_ADDR = "198.18.0.1"
B_ADDR = "198.18.0.2"
A_ADDR6 = "fd00:5353::1"
B_ADDR6 = "fd00:5353::2"
# An address on B's link that is not in A's subnet: the off-link source.
OFF_LINK = "10.99.0.2"

AVAHI_CONF = """[server]
host-name={host}
domain-name=local
use-ipv4=yes
use-ipv6=yes
allow-interfaces={iface}
enable-dbus=yes
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
publish-addresses=yes
[reflector]
enable-reflector=no
[rlimits]
"""

# Run under `ip netns exec NS unshare -m --propagation private sh -c`.
AVAHI_LAUNCH = """set -e
mount -t tmpfs tmpfs /run
mkdir -p /run/dbus /run/avahi-daemon
dbus-daemon --system --nofork --nopidfile &
for i in $(seq 100); do [ -S /run/dbus/system_bus_socket ] && break; sleep 0.05; done
exec avahi-daemon -f "$1" --no-drop-root --no-chroot --no-rlimits --debug
"""


class Link:
    """Hosts A and B (two namespaces) on one veth link: A is 198.18.0.1/24 and
    fd00:5353::1/64 on veth-a, B is 198.18.0.2/24 and fd00:5353::2/64 on veth-b.
    B also holds 10.99.0.2/24, a source that is off A's link, and A routes
    10.99.0.0/24 over the veth so that an answer to it could be delivered."""

    def __init__(self):
        self.a = peers.Netns("mA")
        self.b = peers.Netns("mB")
        self.a.ip("link", "add", "veth-a", "type", "veth", "peer", "name", "veth-b")
        self.a.ip("link", "set", "veth-b", "netns", self.b.name)
        self.a.ip("addr", "add", f"{A_ADDR}/24", "dev", "veth-a")
        self.a.ip("addr", "add", f"{A_ADDR6}/64", "dev", "veth-a", "nodad")
        self.b.ip("addr", "add", f"{B_ADDR}/24", "dev", "veth-b")
        self.b.ip("addr", "add", f"{B_ADDR6}/64", "dev", "veth-b", "nodad")
        self.b.ip("addr", "add", f"{OFF_LINK}/24", "dev", "veth-b")
        self.a.ip("link", "set", "veth-a", "up")
        self.b.ip("link", "set", "veth-b", "up")
        self.a.ip("route", "add", "10.99.0.0/24", "dev", "veth-a")
        self.wait_link_local()

    def wait_link_local(self, timeout: float = 10):
        """The IPv6 link-local addresses (fe80::) finish DAD before use."""
        def ready():
            for ns, dev in ((self.a, "veth-a"), (self.b, "veth-b")):
                out = ns.ip("-6", "addr", "show", "dev", dev).stdout
                if "fe80" not in out or "tentative" in out:
                    return False
            return True
        peers.wait_until(ready, timeout, "IPv6 link-local addresses on the veth pair")

    def delete(self):
        self.a.delete()
        self.b.delete()


class Switch:
    """Hosts on one Ethernet segment: a namespace holding a bridge (with
    multicast snooping off, as a plain switch floods multicast), and one
    namespace per host joined to it by a veth pair. Host `name` gets
    `eth0` with `addresses` (IPv4, /24) and its fe80:: link-local address."""

    def __init__(self):
        self.hub = peers.Netns("msw")
        self.hub.ip("link", "add", "br0", "type", "bridge", "mcast_snooping", "0")
        self.hub.ip("link", "set", "br0", "up")
        self.hosts: dict[str, peers.Netns] = {}

    def host(self, name: str, *addresses: str) -> peers.Netns:
        ns = peers.Netns("m" + name)
        port = f"p-{name}"
        self.hub.ip("link", "add", port, "type", "veth", "peer", "name", "eth0")
        self.hub.ip("link", "set", "eth0", "netns", ns.name)
        self.hub.ip("link", "set", port, "master", "br0")
        self.hub.ip("link", "set", port, "up")
        for a in addresses:
            ns.ip("addr", "add", f"{a}/24", "dev", "eth0")
        ns.ip("link", "set", "eth0", "up")
        self.hosts[name] = ns
        return ns

    def delete(self):
        for ns in self.hosts.values():
            ns.delete()
        self.hub.delete()


class AvahiHost:
    """avahi-daemon 0.8 with its own dbus-daemon on host `ns`, serving `iface`."""

    def __init__(self, ns: peers.Netns, workdir: Path, iface: str, host_name: str = "avahi-b"):
        self.ns = ns
        workdir.mkdir(parents=True, exist_ok=True)
        self.conf = workdir / "avahi.conf"
        self.conf.write_text(AVAHI_CONF.format(host=host_name, iface=iface))
        self.launch = workdir / "launch.sh"
        self.launch.write_text(AVAHI_LAUNCH)
        argv = ns.exec_argv(["unshare", "-m", "--propagation", "private", "sh", str(self.launch), str(self.conf)])
        self.proc = peers.Proc("avahi-daemon", argv, workdir / "avahi.log")
        peers.wait_until(lambda: "Server startup complete" in self.proc.log_text(), 20,
                         "avahi-daemon startup", self.proc)

    def argv(self, argv: list) -> list[str]:
        """argv run in avahi's mount namespace and the host's network namespace."""
        return ["nsenter", "-t", str(self.proc.pid), "-m", "-n", *[str(a) for a in argv]]

    def run(self, *argv, timeout: float = 30) -> subprocess.CompletedProcess:
        return subprocess.run(self.argv(list(argv)), capture_output=True, text=True, timeout=timeout)

    def resolve(self, name: str, family: str = "-4", timeout: float = 30) -> str:
        """avahi-resolve -n: the address, or "" (it exits 0 even on a timeout)."""
        r = self.run("avahi-resolve", family, "-n", name, timeout=timeout)
        for line in r.stdout.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0].rstrip(".").lower() == name.rstrip(".").lower():
                return parts[1]
        return ""

    def getent(self, name: str, timeout: float = 30) -> subprocess.CompletedProcess:
        return self.run("getent", "hosts", name, timeout=timeout)

    def stop(self):
        self.proc.stop()


def tool(ns: peers.Netns, *args, timeout: float = 30) -> dict:
    """Runs mdns_tool.py in namespace ns; returns its JSON output."""
    r = subprocess.run(ns.exec_argv([peers.PYTHON, str(TOOL), *[str(a) for a in args]]),
                       capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise peers.PeerError(f"mdns_tool {' '.join(map(str, args))}: exit {r.returncode}\n{r.stderr}")
    return json.loads(r.stdout)


def wait_for_log(proc, text: str, timeout: float = 10):
    peers.wait_until(lambda: text in proc.log_text(), timeout, f"log line {text!r}", proc)


def retry(fn, timeout: float, interval: float = 0.5):
    """Calls fn until it returns something truthy or timeout passes; returns the last value."""
    end = time.time() + timeout
    value = fn()
    while not value and time.time() < end:
        time.sleep(interval)
        value = fn()
    return value
