"""Real third-party peers for the interop tests, started and stopped from Python.

Every peer here is a real program from Debian or PyPI, run as a child process
on 127.0.0.1/::1 or inside a network namespace the test made:

- NostrRelay: nostr-relay 1.14 (`nostr-relay -c config.yaml serve`, gunicorn
  mode, 1 worker, control_socket_disable, a temporary SQLite file).
- TestCA: a P-256 test CA, a server certificate for localhost/127.0.0.1/::1,
  a certificate for other.example from the same CA, and an unrelated CA.
- Stunnel: stunnel4 (TLS 1.2 minimum) in front of a relay: wss://localhost:PORT.
- Nginx: nginx-light in front of a relay (TLS 1.2/1.3, WebSocket upgrade).
- LocalRelay: rust-nostr's LocalRelay (nostr-sdk 0.45.1, rate limit lifted),
  in a child Python process (local_relay_serve.py) that owns its event loop.
- Coturn: coturn's `turnserver` in STUN-only mode on 127.0.0.1 (RFC 5389
  Binding requests answered with XOR-MAPPED-ADDRESS).
- Netns: a network namespace with a veth pair, deleted at teardown.

Also rust-nostr helpers (publish an event, fetch events by filter with
signatures verified by nostr-sdk, optionally over wss with a private CA through
nostr-sdk's CustomWebSocketTransport), a raw NIP-01 REQ that returns every
stored version of an event, and a raw STUN client used as a readiness check.

Processes are started in their own session (process group) and killed by
group at teardown; `cleanup_all()` is a last-resort sweep that conftest runs at
the end of the session, so nothing outlives the test run even on failure.

Run as a script, this file is a small tool for use inside a network namespace:
    python peers.py probe URL [TIMEOUT]
    python peers.py fetch URL FILTER_JSON          (events as JSON lines)
    python peers.py stun HOST PORT
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import ssl
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
PYTHON = sys.executable
VENV_BIN = Path(sys.executable).parent

# Every process and namespace started here, for the final sweep.
_LIVE_PROCS: list["Proc"] = []
_LIVE_NETNS: list["Netns"] = []


class PeerError(RuntimeError):
    pass


# ---------------------------------------------------------------------------
# ports, waiting, processes


def free_port(host: str = "127.0.0.1", udp: bool = False) -> int:
    """A port that is free right now on host (TCP, or UDP as well when udp)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(50):
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
        if udp:
            try:
                with socket.socket(family, socket.SOCK_DGRAM) as u:
                    u.bind((host, port))
            except OSError:
                continue
        return port
    raise PeerError("no free port")


def free_port_both() -> int:
    """A TCP port free on both 127.0.0.1 and ::1."""
    for _ in range(50):
        port = free_port("127.0.0.1")
        try:
            with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                s.bind(("::1", port))
            return port
        except OSError:
            continue
    raise PeerError("no port free on both 127.0.0.1 and ::1")


def wait_until(predicate, timeout: float, what: str, proc: "Proc | None" = None, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise PeerError(f"{what}: {proc.name} exited with {proc.popen.returncode}\n{proc.log_tail()}")
        try:
            result = predicate()
            if result:
                return result
        except Exception as exc:  # noqa: BLE001 - readiness probes fail until ready
            last_exc = exc
        time.sleep(interval)
    tail = proc.log_tail() if proc is not None else ""
    raise PeerError(f"{what}: not ready after {timeout} s (last error: {last_exc!r})\n{tail}")


class Proc:
    """A child process in its own process group, logging to a file."""

    def __init__(self, name: str, argv: list[str], log_path: Path, cwd: Path | None = None,
                 env: dict | None = None, stdin=subprocess.DEVNULL):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "ab")
        self.popen = subprocess.Popen(
            self.argv, stdout=self._log, stderr=subprocess.STDOUT, stdin=stdin,
            cwd=str(cwd) if cwd else None, env=env, start_new_session=True,
        )
        _LIVE_PROCS.append(self)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, n: int = 40) -> str:
        lines = self.log_text().splitlines()[-n:]
        return f"--- last lines of {self.log_path}:\n" + "\n".join(lines)

    def signal_group(self, sig: int):
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self, timeout: float = 5.0):
        if self.popen.poll() is None:
            self.signal_group(signal.SIGCONT)  # a paused group must be able to die
            self.signal_group(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        # the leader may be gone while children (gunicorn workers) linger
        self.signal_group(signal.SIGKILL)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        if not self._log.closed:
            self._log.close()
        if self in _LIVE_PROCS:
            _LIVE_PROCS.remove(self)


def cleanup_all():
    """Kill every process and delete every namespace this module started."""
    for p in list(_LIVE_PROCS):
        p.stop(timeout=2)
    for ns in list(_LIVE_NETNS):
        ns.delete()


# ---------------------------------------------------------------------------
# network namespaces


class Netns:
    """A network namespace with lo up; deleted (with its links) by delete()."""

    def __init__(self, tag: str = "t"):
        self.name = f"nd-{os.getpid()}-{tag}-{secrets.token_hex(2)}"
        subprocess.run(["ip", "netns", "add", self.name], check=True, capture_output=True)
        _LIVE_NETNS.append(self)
        self.ip("link", "set", "lo", "up")

    def ip(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(["ip", "-n", self.name, *args], capture_output=True, text=True)
        if check and proc.returncode != 0:
            raise PeerError(f"ip -n {self.name} {' '.join(args)}: {proc.stderr.strip()}")
        return proc

    def exec_argv(self, argv: list) -> list[str]:
        return ["ip", "netns", "exec", self.name, *[str(a) for a in argv]]

    def add_veth(self, name: str, peer: str, up: bool = True):
        """A veth pair with both ends inside this namespace (no link to the host)."""
        self.ip("link", "add", name, "type", "veth", "peer", "name", peer)
        if up:
            self.ip("link", "set", name, "up")
            self.ip("link", "set", peer, "up")

    def delete(self):
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)
        if self in _LIVE_NETNS:
            _LIVE_NETNS.remove(self)

    def tool(self, *args, timeout: float = 30) -> subprocess.CompletedProcess:
        """Run this file as a tool inside the namespace."""
        return subprocess.run(self.exec_argv([PYTHON, str(HERE / "peers.py"), *args]),
                              capture_output=True, text=True, timeout=timeout)


# ---------------------------------------------------------------------------
# raw NIP-01 over websockets (probe, every stored version)


def _ssl_context(url: str, ca: Path | None):
    if not url.startswith("wss://"):
        return None
    ctx = ssl.create_default_context(cafile=str(ca) if ca else None)
    return ctx


def raw_req(url: str, flt: dict, ca: Path | None = None, timeout: float = 10) -> list[dict]:
    """Every event the relay returns for one REQ (until EOSE), unverified, in order."""
    from websockets.sync.client import connect

    with connect(url, ssl=_ssl_context(url, ca), open_timeout=timeout, close_timeout=1) as ws:
        sub = "r" + secrets.token_hex(4)
        ws.send(json.dumps(["REQ", sub, flt]))
        out = []
        deadline = time.monotonic() + timeout
        while True:
            msg = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
            if msg[0] == "EVENT" and msg[1] == sub:
                out.append(msg[2])
            elif msg[0] == "EOSE" and msg[1] == sub:
                ws.send(json.dumps(["CLOSE", sub]))
                return out
            elif msg[0] == "CLOSED":
                raise PeerError(f"relay closed the subscription: {msg}")


def raw_publish(url: str, event: dict, ca: Path | None = None, timeout: float = 10) -> list | None:
    """Send one EVENT and return the relay's OK message (None if the connection closed).

    nostr-relay 1.14 answers a refused event, after a 2 s "throttle", with
    ["OK", "", false, reason]: an empty id. With one EVENT in flight, any OK is its answer."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    with connect(url, ssl=_ssl_context(url, ca), open_timeout=timeout, close_timeout=1) as ws:
        ws.send(json.dumps(["EVENT", event]))
        deadline = time.monotonic() + timeout
        while True:
            try:
                msg = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
            except ConnectionClosed:
                return None
            if msg[0] == "OK" and msg[1] in (event["id"], ""):
                return msg


def probe_relay(url: str, ca: Path | None = None, timeout: float = 3) -> bool:
    """True when the relay answers a NIP-01 REQ with EOSE."""
    raw_req(url, {"kinds": [1], "limit": 0}, ca=ca, timeout=timeout)
    return True


# ---------------------------------------------------------------------------
# STUN (RFC 5389) client, for readiness checks and the tests' own opinion

STUN_MAGIC = 0x2112A442


def stun_binding(host: str, port: int, timeout: float = 2.0) -> tuple[str, int, int]:
    """Send one Binding request; return (mapped address, mapped port, our local port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        tid = os.urandom(12)
        s.sendto(struct.pack("!HHI", 0x0001, 0, STUN_MAGIC) + tid, (host, port))
        data, _ = s.recvfrom(2048)
        local_port = s.getsockname()[1]
    typ, length, cookie = struct.unpack("!HHI", data[:8])
    if typ != 0x0101 or cookie != STUN_MAGIC or data[8:20] != tid:
        raise PeerError(f"not a Binding success response: {data[:20].hex()}")
    i = 20
    while i < 20 + length:
        atype, alen = struct.unpack("!HH", data[i:i + 4])
        value = data[i + 4:i + 4 + alen]
        if atype == 0x0020:  # XOR-MAPPED-ADDRESS
            fam = value[1]
            xport = struct.unpack("!H", value[2:4])[0] ^ (STUN_MAGIC >> 16)
            key = struct.pack("!I", STUN_MAGIC) + tid
            if fam == 0x01:
                addr = socket.inet_ntop(socket.AF_INET, bytes(a ^ b for a, b in zip(value[4:8], key)))
            else:
                addr = socket.inet_ntop(socket.AF_INET6, bytes(a ^ b for a, b in zip(value[4:20], key)))
            return addr, xport, local_port
        i += 4 + alen + (-alen % 4)
    raise PeerError("Binding response without XOR-MAPPED-ADDRESS")


# ---------------------------------------------------------------------------
# nostr-relay 1.14

RELAY_CONFIG = """\
DEBUG: false
relay_name: nostr-dns test relay
relay_description: started by Tests/interop
storage:
  sqlalchemy.url: sqlite+aiosqlite:///{db}
  num_concurrent_reqs: 10
  num_concurrent_adds: 2
  validators:
{validators}
verification:
  nip05_verification: disabled
gunicorn:
  bind: "{bind}"
  workers: 1
  control_socket_disable: true
  loglevel: info
  reload: false
authentication:
  enabled: false
message_timeout: 1800
subscription_limit: 32
max_limit: 6000
{extra}
"""

DEFAULT_VALIDATORS = [
    "nostr_relay.validators.is_not_too_large",
    "nostr_relay.validators.is_signed",
    "nostr_relay.validators.is_recent",
]


class NostrRelay:
    """nostr-relay 1.14 in gunicorn mode with one worker and its own SQLite file.

    host "::1" binds [::1]:PORT. netns runs it inside that namespace (on its lo).
    extra_validators / extra_config make a relay that refuses some events, e.g.
    is_author_blacklisted with pubkey_blacklist.
    """

    def __init__(self, workdir: Path, host: str = "127.0.0.1", port: int | None = None,
                 netns: Netns | None = None, extra_validators: list[str] = (), extra_config: str = ""):
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.host = host
        self.port = port or free_port(host)
        self.netns = netns
        self.db = workdir / "nostr.sqlite3"
        self.config = workdir / "config.yaml"
        bind = f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"
        validators = "\n".join(f"    - {v}" for v in [*DEFAULT_VALIDATORS, *extra_validators])
        self.config.write_text(RELAY_CONFIG.format(db=self.db, bind=bind, validators=validators, extra=extra_config))
        self.proc: Proc | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{host}:{self.port}"

    def start(self, timeout: float = 30):
        argv = [VENV_BIN / "nostr-relay", "-c", self.config, "serve"]
        if self.netns:
            argv = self.netns.exec_argv(argv)
        self.starts += 1
        self.proc = Proc(f"nostr-relay:{self.port}", argv, self.workdir / f"relay-{self.starts}.log",
                         cwd=self.workdir)
        if self.netns:
            def ready():
                r = self.netns.tool("probe", self.url, "2", timeout=10)
                return r.returncode == 0
        else:
            def ready():
                return probe_relay(self.url, timeout=2)
        wait_until(ready, timeout, f"nostr-relay on {self.url}", self.proc, interval=0.2)
        return self

    def stop(self):
        if self.proc:
            self.proc.stop()
            self.proc = None

    def restart(self):
        self.stop()
        return self.start()

    def pause(self):
        """SIGSTOP the relay: the kernel still accepts TCP connections, nobody answers."""
        self.proc.signal_group(signal.SIGSTOP)

    def resume(self):
        self.proc.signal_group(signal.SIGCONT)


# ---------------------------------------------------------------------------
# test CA and certificates (openssl)


@dataclass
class TestCA:
    dir: Path
    ca: Path            # the good CA's certificate
    ca_key: Path
    server_cert: Path   # CN=localhost, SAN DNS:localhost, IP:127.0.0.1, IP:::1, signed by ca
    server_key: Path
    other_cert: Path    # SAN DNS:other.example only, signed by ca
    other_key: Path
    wrong_ca: Path      # an unrelated CA that signed nothing we serve
    wrong_ca_key: Path

    __test__ = False  # not a pytest test class


def _openssl(*args, cwd: Path):
    proc = subprocess.run(["openssl", *[str(a) for a in args]], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise PeerError(f"openssl {' '.join(map(str, args))}: {proc.stderr}")
    return proc.stdout


def _make_ca(d: Path, name: str, cn: str):
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "30", "-subj", f"/CN={cn}",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    return d / f"{name}.pem", d / f"{name}.key"


def make_leaf(d: Path, name: str, cn: str, san: str, ca: Path, ca_key: Path, days: int = 30):
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}", cwd=d)
    (d / f"{name}.ext").write_text(
        f"subjectAltName={san}\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
             "-out", f"{name}.pem", "-days", str(days), "-extfile", f"{name}.ext", cwd=d)
    return d / f"{name}.pem", d / f"{name}.key"


def make_test_ca(d: Path) -> TestCA:
    d.mkdir(parents=True, exist_ok=True)
    ca, ca_key = _make_ca(d, "ca", "nostr-dns test CA")
    server, server_key = make_leaf(d, "server", "localhost", "DNS:localhost,IP:127.0.0.1,IP:::1", ca, ca_key)
    other, other_key = make_leaf(d, "other", "other.example", "DNS:other.example", ca, ca_key)
    wrong, wrong_key = _make_ca(d, "wrong-ca", "unrelated test CA")
    return TestCA(d, ca, ca_key, server, server_key, other, other_key, wrong, wrong_key)


def make_self_signed(d: Path, name: str, cn: str = "localhost", days: int = 10,
                     curve: str = "P-256") -> tuple[Path, Path]:
    d.mkdir(parents=True, exist_ok=True)
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", f"ec_paramgen_curve:{curve}", "-nodes",
             "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", str(days), "-subj", f"/CN={cn}",
             cwd=d)
    return d / f"{name}.pem", d / f"{name}.key"


def spki_sha256(cert: Path) -> str:
    """`openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum`."""
    pub = subprocess.run(["openssl", "x509", "-in", str(cert), "-pubkey", "-noout"],
                         capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub,
                         capture_output=True, check=True).stdout
    out = subprocess.run(["sha256sum"], input=der, capture_output=True, check=True).stdout
    return out.split()[0].decode()


def not_after_unix(cert: Path) -> int:
    out = subprocess.run(["openssl", "x509", "-in", str(cert), "-noout", "-enddate"],
                         capture_output=True, text=True, check=True).stdout.strip()
    return int(ssl.cert_time_to_seconds(out.split("=", 1)[1]))


# ---------------------------------------------------------------------------
# TLS front ends


class Stunnel:
    """stunnel4 in front of a relay: wss://localhost:PORT (listens on 127.0.0.1 and ::1)."""

    def __init__(self, workdir: Path, backend_port: int, cert: Path, key: Path):
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port_both()
        self.conf = workdir / "stunnel.conf"
        self.conf.write_text(
            "foreground = yes\npid =\ndebug = notice\n"
            "[nostr-wss]\n"
            f"accept = 127.0.0.1:{self.port}\naccept = ::1:{self.port}\n"
            f"connect = 127.0.0.1:{backend_port}\n"
            f"cert = {cert}\nkey = {key}\nsslVersionMin = TLSv1.2\n")
        self.proc: Proc | None = None

    def url(self, host: str = "localhost") -> str:
        return f"wss://{host}:{self.port}"

    def start(self, timeout: float = 15):
        self.proc = Proc(f"stunnel:{self.port}", ["stunnel4", self.conf], self.workdir / "stunnel.log")
        wait_until(lambda: _tcp_open("127.0.0.1", self.port) and _tcp_open("::1", self.port),
                   timeout, f"stunnel on {self.port}", self.proc)
        return self

    def stop(self):
        if self.proc:
            self.proc.stop()
            self.proc = None


NGINX_CONF = """\
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log notice;
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_body_temp_path {d}/tmp/body;
  proxy_temp_path {d}/tmp/proxy;
  fastcgi_temp_path {d}/tmp/fcgi;
  uwsgi_temp_path {d}/tmp/uwsgi;
  scgi_temp_path {d}/tmp/scgi;
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
  server {{
    listen 127.0.0.1:{port} ssl;
    listen [::1]:{port} ssl;
    ssl_certificate     {cert};
    ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3;
    location / {{
      proxy_pass http://127.0.0.1:{backend};
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_set_header Accept $http_accept;
      proxy_read_timeout 3600s;
    }}
  }}
}}
"""


class Nginx:
    """nginx-light as a TLS reverse proxy in front of a relay."""

    def __init__(self, workdir: Path, backend_port: int, cert: Path, key: Path):
        self.workdir = workdir
        (workdir / "tmp").mkdir(parents=True, exist_ok=True)
        self.port = free_port_both()
        self.conf = workdir / "nginx.conf"
        self.conf.write_text(NGINX_CONF.format(d=workdir, port=self.port, cert=cert, key=key,
                                               backend=backend_port))
        self.proc: Proc | None = None

    def url(self, host: str = "localhost") -> str:
        return f"wss://{host}:{self.port}"

    def start(self, timeout: float = 15):
        self.proc = Proc(f"nginx:{self.port}",
                         ["nginx", "-e", self.workdir / "error.log", "-p", self.workdir, "-c", self.conf,
                          "-g", "daemon off;"], self.workdir / "nginx.log")
        wait_until(lambda: _tcp_open("127.0.0.1", self.port) and _tcp_open("::1", self.port),
                   timeout, f"nginx on {self.port}", self.proc)
        return self

    def stop(self):
        if self.proc:
            self.proc.stop()
            self.proc = None


def _tcp_open(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


# ---------------------------------------------------------------------------
# rust-nostr LocalRelay, in a child process


class LocalRelay:
    """nostr-sdk's LocalRelay with the rate limit lifted (local_relay_serve.py)."""

    def __init__(self, workdir: Path, host: str = "127.0.0.1"):
        self.workdir = workdir
        self.host = host
        self.port = free_port(host)
        self.proc: Proc | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{host}:{self.port}"

    def start(self, timeout: float = 20):
        self.proc = Proc(f"LocalRelay:{self.port}",
                         [PYTHON, HERE / "local_relay_serve.py", self.host, str(self.port)],
                         self.workdir / f"local-relay-{self.port}.log")
        wait_until(lambda: "listening" in self.proc.log_text(), timeout, "LocalRelay", self.proc)
        wait_until(lambda: probe_relay(self.url, timeout=2), timeout, f"LocalRelay on {self.url}", self.proc)
        return self

    def stop(self):
        if self.proc:
            self.proc.stop()
            self.proc = None


# ---------------------------------------------------------------------------
# coturn STUN server


class Coturn:
    """coturn's turnserver as a plain STUN server on 127.0.0.1:PORT (UDP and TCP).

    --stun-only ignores TURN; --no-cli/--no-tls/--no-dtls open nothing else;
    --userdb keeps its SQLite file in the temporary folder instead of
    /var/lib/turn; -n reads no turnserver.conf.
    """

    def __init__(self, workdir: Path, host: str = "127.0.0.1"):
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.host = host
        self.port = free_port(host, udp=True)
        self.argv = ["turnserver", "-n", "--stun-only", "--listening-ip", host,
                     "--listening-port", str(self.port), "--no-cli", "--no-tls", "--no-dtls",
                     "--no-software-attribute", "--userdb", workdir / "turndb",
                     "--pidfile", workdir / "turnserver.pid",
                     "--log-file", "stdout", "--simple-log"]
        self.proc: Proc | None = None

    def start(self, timeout: float = 15):
        self.proc = Proc(f"turnserver:{self.port}", self.argv, self.workdir / "turnserver.log")
        wait_until(lambda: stun_binding(self.host, self.port, timeout=0.3)[0] == self.host,
                   timeout, f"coturn STUN on {self.host}:{self.port}", self.proc, interval=0.1)
        return self

    def stop(self):
        if self.proc:
            self.proc.stop()
            self.proc = None


# ---------------------------------------------------------------------------
# the evil relay (an attacker), and a TCP black hole


class EvilRelay:
    """ATTACKER: evil_relay.py, a raw-websockets "relay" that does not validate.

    It answers every REQ with the events in its file (forged ones included),
    whatever the filter, then EOSE; in mode "mute" it accepts the WebSocket and
    never says anything. Used only to deliver what real relays refuse.
    """

    def __init__(self, workdir: Path, events: list[dict], mode: str = "serve"):
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.events_file = workdir / f"evil-{self.port}.json"
        self.events_file.write_text(json.dumps(events))
        self.mode = mode
        self.proc: Proc | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self, timeout: float = 15):
        self.proc = Proc(f"evil-relay:{self.port}",
                         [PYTHON, HERE / "evil_relay.py", str(self.port), self.events_file, self.mode],
                         self.workdir / f"evil-{self.port}.log")
        wait_until(lambda: "listening" in self.proc.log_text(), timeout, "evil relay", self.proc)
        return self

    def requests(self) -> list:
        return [json.loads(line.split(" ", 1)[1]) for line in self.proc.log_text().splitlines()
                if line.startswith("REQ ")]

    def stop(self):
        if self.proc:
            self.proc.stop()
            self.proc = None


class EvilFrames:
    """ATTACKER: evil_frames.py, one raw-socket "relay" per mode (one process),
    for frames that WebSocket libraries refuse to send; see that file's modes.
    `urls[mode]` is ws://127.0.0.1:PORT; `connections(mode)` the monotonic
    times at which the client connected. With hold=True, connections wait
    after the upgrade until `go()`."""

    def __init__(self, workdir: Path, modes: list[str], flood_seconds: float = 6, hold: bool = False):
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.modes = list(modes)
        self.flood_seconds = flood_seconds
        self.go_file = workdir / f"go-{secrets.token_hex(3)}" if hold else None
        self.urls: dict[str, str] = {}
        self.proc: Proc | None = None

    def start(self, timeout: float = 15):
        env = dict(os.environ, EVIL_FLOOD_SECONDS=str(self.flood_seconds))
        if self.go_file:
            env["EVIL_GO_FILE"] = str(self.go_file)
        self.proc = Proc("evil-frames", [PYTHON, HERE / "evil_frames.py", *self.modes],
                         self.workdir / f"evil-frames-{secrets.token_hex(3)}.log", env=env)
        wait_until(lambda: "ready" in self.proc.log_text().split(), timeout, "evil_frames.py", self.proc)
        for line in self.proc.log_text().splitlines():
            parts = line.split()
            if parts[:1] == ["listening"]:
                self.urls[parts[1]] = f"ws://127.0.0.1:{parts[2]}"
        return self

    def go(self):
        """Held connections (hold=True) start their attacks; returns when (time.monotonic())."""
        self.go_file.touch()
        return time.monotonic()

    def connections(self, mode: str) -> list[float]:
        return [float(line.split()[3]) for line in self.proc.log_text().splitlines()
                if line.startswith(f"conn {mode} ")]

    def endings(self, mode: str) -> list[str]:
        return [line.split(" ", 3)[3] for line in self.proc.log_text().splitlines()
                if line.startswith(f"end {mode} ")]

    def stop(self):
        if self.proc:
            self.proc.stop()
            self.proc = None


class BlackHole:
    """A TCP listener that completes handshakes (kernel backlog) and never reads or answers."""

    def __init__(self, host: str = "127.0.0.1"):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"ws://{'[' + host + ']' if ':' in host else host}:{self.port}"

    def close(self):
        self.sock.close()


def closed_port_url(host: str = "127.0.0.1") -> str:
    """A ws:// URL on a port where nothing listens (connection refused)."""
    port = free_port(host)
    return f"ws://{'[' + host + ']' if ':' in host else host}:{port}"


# ---------------------------------------------------------------------------
# rust-nostr (nostr-sdk 0.45.1) helpers


def _sdk():
    import nostr_sdk
    return nostr_sdk


def sdk_event(keys, kind: int, content: str, tags: list[list[str]], created_at: int | None = None):
    """An event signed by rust-nostr with the given key, kind, tags, content and time."""
    n = _sdk()
    builder = n.EventBuilder(n.Kind(kind), content).tags([n.Tag.parse(t) for t in tags])
    if created_at is not None:
        builder = builder.custom_created_at(n.Timestamp.from_secs(created_at))
    return builder.finalize(keys)


def _make_transport(ctx: ssl.SSLContext):
    """nostr-sdk's TLS (rustls + webpki roots) cannot trust a private CA: plug in websockets."""
    n = _sdk()
    import websockets

    class Adapter(n.WebSocketAdapter):
        def __init__(self, ws):
            self.ws = ws

        async def send(self, msg):
            if msg.is_TEXT():
                await self.ws.send(msg.text)
            elif msg.is_BINARY():
                await self.ws.send(msg.bytes)

        async def recv(self):
            try:
                m = await self.ws.recv()
            except websockets.ConnectionClosed:
                return None
            return n.WebSocketMessage.TEXT(m) if isinstance(m, str) else n.WebSocketMessage.BINARY(m)

        async def close_connection(self):
            await self.ws.close()

    class Transport(n.CustomWebSocketTransport):
        def __init__(self, ctx):
            self.ctx = ctx

        def support_ping(self):
            return False

        async def connect(self, url, proxy):
            ws = await websockets.connect(url, ssl=self.ctx if url.startswith("wss://") else None,
                                          open_timeout=5)
            return n.WebSocketAdapterWrapper(Adapter(ws))

    return Transport(ctx)


async def _sdk_client(url: str, ca: Path | None, timeout: float):
    n = _sdk()
    n.uniffi_set_event_loop(asyncio.get_running_loop())
    if url.startswith("wss://"):
        ctx = ssl.create_default_context(cafile=str(ca) if ca else None)
        client = n.ClientBuilder().websocket_transport(_make_transport(ctx)).build()
    else:
        client = n.Client()
    await client.add_relay(n.RelayUrl.parse(url))
    await client.connect(timedelta(seconds=timeout))
    return client


# One event loop for every nostr-sdk call, never closed: the bindings may call
# back into it (dropped futures) after a call returned.
_SDK_LOOP: asyncio.AbstractEventLoop | None = None


def _run(coro):
    global _SDK_LOOP
    if _SDK_LOOP is None:
        _SDK_LOOP = asyncio.new_event_loop()
    return _SDK_LOOP.run_until_complete(coro)


def sdk_publish(url: str, event, ca: Path | None = None, timeout: float = 10) -> tuple[list[str], dict]:
    """Publish with rust-nostr; returns (accepted relay urls, {url: error})."""
    async def go():
        client = await _sdk_client(url, ca, timeout)
        try:
            out = await client.send_event(event)
            return [str(u) for u in out.success], {str(k): v for k, v in out.failed.items()}
        finally:
            await client.shutdown()
    return _run(go())


def sdk_publish_ok(url: str, event, ca: Path | None = None):
    ok, failed = sdk_publish(url, event, ca)
    if not ok:
        raise PeerError(f"rust-nostr could not publish to {url}: {failed}")


def sdk_fetch(url: str, flt: dict, ca: Path | None = None, timeout: float = 10) -> list:
    """Fetch with rust-nostr by a NIP-01 filter; every returned event must verify."""
    n = _sdk()

    async def go():
        client = await _sdk_client(url, ca, timeout)
        try:
            events = await client.fetch_events(n.ReqTarget.auto([n.Filter.from_json(json.dumps(flt))]),
                                               timedelta(seconds=timeout))
            return list(events.to_vec()) if hasattr(events, "to_vec") else list(events)
        finally:
            await client.shutdown()
    events = _run(go())
    for ev in events:
        if not ev.verify():
            raise PeerError(f"rust-nostr: event {ev.id().to_hex()} from {url} does not verify")
    return events


def event_dict(ev) -> dict:
    return json.loads(ev.as_json())


# ---------------------------------------------------------------------------
# tool mode (inside a network namespace)


def _main(argv: list[str]) -> int:
    cmd = argv[0]
    if cmd == "probe":
        try:
            probe_relay(argv[1], timeout=float(argv[2]) if len(argv) > 2 else 3)
            return 0
        except Exception as exc:  # noqa: BLE001
            print(f"probe: {exc!r}", file=sys.stderr)
            return 1
    if cmd == "fetch":
        for ev in sdk_fetch(argv[1], json.loads(argv[2])):
            print(ev.as_json())
        return 0
    if cmd == "rawreq":
        for ev in raw_req(argv[1], json.loads(argv[2])):
            print(json.dumps(ev))
        return 0
    if cmd == "stun":
        print(json.dumps(stun_binding(argv[1], int(argv[2]))))
        return 0
    print(f"unknown command {cmd}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
