"""Shared fixtures for the interop tests of the nostr-dns binary.

The binary under test comes from $NOSTR_DNS_BIN, else .build/debug/nostr-dns
relative to the repository root. A missing binary is a test failure, never
a skip; so is a missing peer (Tests/setup.sh installs them all).

Peers (see peers.py for what each one runs, with which flags):
    relay            nostr-relay 1.14 on ws://127.0.0.1:PORT (one per session)
    relay_factory    more nostr-relay instances (restart, pause, refusing ones)
    ipv6_relay       nostr-relay 1.14 on ws://[::1]:PORT
    test_ca          a P-256 test CA, its localhost and other.example
                     certificates, and an unrelated "wrong" CA
    wss_relay        stunnel4 (TLS 1.2 min) in front of `relay`: wss://localhost:PORT
    nginx_relay      nginx-light in front of `relay`: wss://localhost:PORT
    wss_other_name   stunnel4 with the other.example certificate in front of `relay`
    local_relay      rust-nostr's LocalRelay (nostr-sdk 0.45.1), rate limit lifted
    stun_server      coturn (turnserver --stun-only) on 127.0.0.1:PORT
    netns            a network namespace (deleted at teardown)
    evil_relay_factory  ATTACKER: a raw-websockets fake relay for forged events
"""

import os
import stat
import subprocess
from pathlib import Path

import pytest

import peers

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO_ROOT / ".build" / "debug" / "nostr-dns"


def _binary_path() -> Path:
    configured = os.environ.get("NOSTR_DNS_BIN")
    if configured:
        path = Path(configured)
        return path if path.is_absolute() else (Path.cwd() / path)
    return DEFAULT_BIN


class NostrDns:
    """Runs the binary with a scrubbed environment.

    NOSTR_DNS_KEY is removed and HOME/XDG_CONFIG_HOME point into a scratch
    folder, so a test can never read or create a real key file by accident.
    """

    def __init__(self, binary: Path, scratch_home: Path):
        self.binary = binary
        # NOSTR_DNS_RELAYS is removed too: relays are always given explicitly.
        self.env = {k: v for k, v in os.environ.items() if k not in ("NOSTR_DNS_KEY", "NOSTR_DNS_RELAYS")}
        self.env["HOME"] = str(scratch_home)
        self.env["XDG_CONFIG_HOME"] = str(scratch_home / ".config")
        self.env["LC_ALL"] = "C.UTF-8"

    def argv(self, args, prefix=()) -> list[str]:
        return [*[str(p) for p in prefix], str(self.binary), *[str(a) for a in args]]

    def full_env(self, env: dict | None = None) -> dict:
        full_env = dict(self.env)
        if env:
            full_env.update(env)
        return full_env

    def run(self, *args, stdin: str = "", env: dict | None = None, timeout: float = 60, prefix=()):
        """Run to completion. prefix, e.g. ["ip", "netns", "exec", NS], goes before the binary."""
        return subprocess.run(
            self.argv(args, prefix),
            input=stdin.encode("utf-8"),
            capture_output=True,
            env=self.full_env(env),
            timeout=timeout,
        )

    def popen(self, *args, env: dict | None = None, prefix=(), stdout=None, stderr=None):
        """Start in the background (a daemon such as publish-ip --watch); the caller stops it."""
        return subprocess.Popen(
            self.argv(args, prefix),
            stdin=subprocess.DEVNULL,
            stdout=stdout if stdout is not None else subprocess.PIPE,
            stderr=stderr if stderr is not None else subprocess.PIPE,
            env=self.full_env(env),
        )


@pytest.fixture(scope="session")
def nostr_dns_bin() -> Path:
    path = _binary_path()
    if not path.is_file():
        pytest.fail(
            f"nostr-dns binary not found at {path}: build it with "
            f"`cd {REPO_ROOT} && swift build`, or set NOSTR_DNS_BIN",
            pytrace=False,
        )
    if not os.access(path, os.X_OK):
        pytest.fail(f"nostr-dns binary at {path} is not executable", pytrace=False)
    return path


@pytest.fixture(scope="session")
def nostr_dns(nostr_dns_bin, tmp_path_factory) -> NostrDns:
    home = tmp_path_factory.mktemp("home")
    home.chmod(0o700)
    return NostrDns(nostr_dns_bin, home)


def make_key_dir(parent: Path) -> Path:
    """A 0700 folder for key files."""
    key_dir = parent / "keys"
    key_dir.mkdir(mode=0o700, exist_ok=True)
    key_dir.chmod(0o700)
    return key_dir


def write_key_file(key_dir: Path, nsec: str, name: str = "nsec", mode: int = 0o600) -> Path:
    """A key file in the project's format: the nsec text plus a newline."""
    path = key_dir / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(nsec + "\n")
    path.chmod(mode)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    return path


@pytest.fixture
def key_dir(tmp_path) -> Path:
    return make_key_dir(tmp_path)


# ---------------------------------------------------------------------------
# third-party peers


def pytest_sessionfinish(session, exitstatus):
    """Last-resort sweep: no peer process or namespace outlives the run."""
    peers.cleanup_all()


@pytest.fixture(scope="session")
def peers_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("peers")


@pytest.fixture(scope="session")
def relay(peers_dir):
    """nostr-relay 1.14 on ws://127.0.0.1:PORT; yields the NostrRelay (its .url)."""
    r = peers.NostrRelay(peers_dir / "relay").start()
    yield r
    r.stop()


@pytest.fixture
def relay_factory(tmp_path):
    """Start extra nostr-relay instances: relay_factory(**NostrRelay kwargs)."""
    started = []

    def make(**kwargs):
        r = peers.NostrRelay(tmp_path / f"relay-{len(started)}", **kwargs)
        started.append(r)
        return r.start()
    yield make
    for r in started:
        r.stop()


@pytest.fixture(scope="session")
def ipv6_relay(peers_dir):
    r = peers.NostrRelay(peers_dir / "relay-v6", host="::1").start()
    yield r
    r.stop()


@pytest.fixture(scope="session")
def test_ca(peers_dir) -> peers.TestCA:
    return peers.make_test_ca(peers_dir / "tls")


class TLSFront:
    """A TLS front end: url (wss://localhost:PORT), backend (the relay behind it), ca."""

    def __init__(self, server, backend, ca: Path):
        self.server = server
        self.backend = backend
        self.ca = ca
        self.port = server.port
        self.url = server.url("localhost")

    def url_for(self, host: str) -> str:
        return self.server.url(f"[{host}]" if ":" in host else host)


@pytest.fixture(scope="session")
def wss_relay(peers_dir, relay, test_ca):
    """stunnel4 in front of `relay` with the localhost certificate from the test CA."""
    s = peers.Stunnel(peers_dir / "stunnel", relay.port, test_ca.server_cert, test_ca.server_key).start()
    yield TLSFront(s, relay, test_ca.ca)
    s.stop()


@pytest.fixture(scope="session")
def nginx_relay(peers_dir, relay, test_ca):
    """nginx-light in front of `relay` with the localhost certificate from the test CA."""
    n = peers.Nginx(peers_dir / "nginx", relay.port, test_ca.server_cert, test_ca.server_key).start()
    yield TLSFront(n, relay, test_ca.ca)
    n.stop()


@pytest.fixture(scope="session")
def wss_other_name(peers_dir, relay, test_ca):
    """stunnel4 in front of `relay` serving a good-CA certificate for other.example only."""
    s = peers.Stunnel(peers_dir / "stunnel-other", relay.port, test_ca.other_cert, test_ca.other_key).start()
    yield TLSFront(s, relay, test_ca.ca)
    s.stop()


@pytest.fixture(scope="session")
def local_relay(peers_dir):
    """rust-nostr's LocalRelay on ws://127.0.0.1:PORT, in a child process."""
    r = peers.LocalRelay(peers_dir / "local-relay").start()
    yield r
    r.stop()


@pytest.fixture(scope="session")
def stun_server(peers_dir):
    """coturn as a STUN-only server on 127.0.0.1:PORT (checked with a raw Binding request)."""
    s = peers.Coturn(peers_dir / "coturn").start()
    yield s
    s.stop()


@pytest.fixture
def netns(request):
    ns = peers.Netns(request.node.name[:4].replace("_", "").replace("[", "") or "t")
    yield ns
    ns.delete()


@pytest.fixture
def evil_relay_factory(tmp_path):
    """ATTACKER: evil_relay_factory(events, mode="serve"|"mute") starts a fake relay."""
    started = []

    def make(events, mode="serve"):
        e = peers.EvilRelay(tmp_path / "evil", events, mode)
        started.append(e)
        return e.start()
    yield make
    for e in started:
        e.stop()


@pytest.fixture
def black_hole():
    """A TCP port that accepts connections and never answers."""
    b = peers.BlackHole()
    yield b
    b.close()


@pytest.fixture(scope="module")
def link():
    """Two network namespaces joined by a veth pair (`mdns_rig.Link`), one per test module."""
    import mdns_rig
    lk = mdns_rig.Link()
    yield lk
    lk.delete()


@pytest.fixture(scope="module")
def ns_relay(link, tmp_path_factory):
    """A nostr-relay inside namespace A of `link`."""
    r = peers.NostrRelay(tmp_path_factory.mktemp("ns-relay"), netns=link.a).start()
    yield r
    r.stop()
