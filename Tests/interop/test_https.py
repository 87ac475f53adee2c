"""Issue 6: trust anchored in the npub, tested against real clients.

`nostr-dns https-demo` (our TLS 1.2 server) publishes its address record and
TLS key record to a real nostr-relay 1.14; then:
- curl, given exactly the arguments `nostr-dns pin` prints (--resolve,
  --pinnedpubkey), reaches it, and refuses an impostor (openssl s_server with
  another key) on the same address and port;
- curl with --curves secp256k1:X25519:P-256 over TLS 1.2 reaches and verifies
  `https-demo --alt`, whose certificate is keyed by the nostr key itself;
- openssl s_client with DANE (-dane_tlsa_domain, -dane_tlsa_rrdata from
  `resolve --type TLSA` or `pin`) verifies both, and refuses the impostor;
- `nostr-dns fetch` succeeds against the real server and refuses the
  impostor, a name without TLS key record and one whose record has expired.
Keys live in temporary folders; everything runs on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import ssl
import stat
import subprocess
import threading
import time
from pathlib import Path

import pytest

import peers
from cli import err, new_host, now, out, show

TIMEOUT = ["--timeout", "5"]


class Demo:
    """`nostr-dns https-demo` on 127.0.0.1:port as a child process (own process group)."""

    def __init__(self, nostr_dns, host, relay_url: str, workdir: Path, port: int | None = None, extra=()):
        self.port = port or peers.free_port()
        self.host = host
        argv = nostr_dns.argv(["--key", host.key_path, "--relay", relay_url, "https-demo", "--port", self.port,
                               "--listen", "127.0.0.1", "--ip", "127.0.0.1", *extra])
        self.proc = peers.Proc(f"https-demo:{self.port}", argv, workdir / f"https-demo-{self.port}-{time.monotonic_ns()}.log",
                               env=nostr_dns.full_env())
        records = 1 if "--alt" in extra else 2
        # Every record answered by the relay ("duplicate" when a restart
        # within the same second signs the very same event again).
        peers.wait_until(lambda: self.log().count("\naccepted ") + self.log().count("duplicate") >= records, 20,
                         "https-demo publishing", self.proc)

    def log(self) -> str:
        return self.proc.log_text()

    @property
    def spki(self) -> str:
        for line in self.log().splitlines():
            if line.startswith("tls key "):
                return line.rsplit(" ", 1)[1]
        raise AssertionError(self.log())

    def stop(self):
        self.proc.stop()


@pytest.fixture
def demos():
    started: list = []
    yield started
    for d in started:
        d.stop()


@pytest.fixture
def servers():
    started: list = []
    yield started
    for s in started:
        s.stop()


def start_demo(nostr_dns, host, relay, tmp_path, demos, **kwargs) -> Demo:
    d = Demo(nostr_dns, host, relay.url, tmp_path, **kwargs)
    demos.append(d)
    return d


def s_server(tmp_path: Path, port: int, cert: Path, key: Path, servers: list, extra=()) -> peers.Proc:
    """ATTACKER: openssl s_server with some other certificate, answering HTTP (-www)."""
    p = peers.Proc(f"s_server:{port}", ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", cert,
                                        "-key", key, "-tls1_2", "-www", *extra],
                   tmp_path / f"s_server-{port}-{time.monotonic_ns()}.log")
    servers.append(p)
    peers.wait_until(lambda: peers._tcp_open("127.0.0.1", port), 10, "openssl s_server", p)
    return p


def trusting(name: str) -> list[str]:
    """`--trust` for the npub in `name`: the demo servers listen on 127.0.0.1, which
    `fetch` and `pin` connect to only for a trusted npub (issue 16 item 4)."""
    m = re.search(r"npub1[02-9ac-hj-np-z]{58}", name)
    return ["--trust", m.group(0)] if m else []


def pin(nostr_dns, relay, name: str, *args) -> dict:
    r = nostr_dns.run("--relay", relay.url, "pin", name, "--json", *TIMEOUT, *trusting(name), *args)
    assert r.returncode == 0, show(r)
    return json.loads(out(r))


def fetch(nostr_dns, relay, url: str, *args):
    return nostr_dns.run("--relay", relay.url, "fetch", url, *TIMEOUT, *trusting(url), *args)


def served_spki(port: int, groups: str | None = None) -> str:
    """The SPKI SHA-256 of the certificate served on 127.0.0.1:port, as openssl sees it."""
    argv = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_2"]
    if groups:
        argv += ["-groups", groups]
    pem = subprocess.run(argv, input=b"", capture_output=True, timeout=10).stdout
    cert = subprocess.run(["openssl", "x509"], input=pem, capture_output=True, check=True).stdout
    pub = subprocess.run(["openssl", "x509", "-pubkey", "-noout"], input=cert, capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub, capture_output=True, check=True).stdout
    return subprocess.run(["sha256sum"], input=der, capture_output=True, check=True).stdout.split()[0].decode()


def curl(argv: list[str], *extra: str):
    """Runs a curl command line as `pin` printed it, printing the status code."""
    assert argv[0] == "curl"
    return subprocess.run([argv[0], "-sS", "--max-time", "10", "-w", "\n%{http_code}", *extra, *argv[1:]],
                          capture_output=True, text=True, timeout=20)


def dane(port: int, name: str, rrdata: str, groups: str | None = None):
    argv = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_2", "-verify_return_error",
            "-dane_tlsa_domain", name, "-dane_tlsa_rrdata", rrdata]
    if groups:
        argv += ["-groups", groups]
    return subprocess.run(argv, input=b"", capture_output=True, timeout=15)


# ---------------------------------------------------------------------------
# the real server


def test_fetch_verifies_the_key_the_npub_signed(nostr_dns, relay, tmp_path, demos):
    host = new_host(tmp_path)
    d = start_demo(nostr_dns, host, relay, tmp_path, demos)
    assert d.spki == served_spki(d.port)
    r = fetch(nostr_dns, relay, f"https://{host.npub}.nostr:{d.port}/", "-v")
    assert r.returncode == 0, show(r)
    assert f"<h1>{host.npub}.nostr</h1>" in out(r)
    assert d.spki in out(r)
    assert "TLS key record" in err(r) and "presented the key in" in err(r)
    # The same server as <npub>.local (resolved through nostr, as .nostr).
    r = fetch(nostr_dns, relay, f"https://{host.npub}.local:{d.port}/")
    assert r.returncode == 0 and f"<h1>{host.npub}.nostr</h1>" in out(r), show(r)
    # --include shows the response head.
    r = fetch(nostr_dns, relay, f"https://{host.npub}.nostr:{d.port}/", "--include")
    assert out(r).startswith("HTTP/1.1 200 OK\r\n") and "content-length: " in out(r), show(r)
    # A path the demo does not serve: the body is printed, exit 1.
    r = fetch(nostr_dns, relay, f"https://{host.npub}.nostr:{d.port}/nothing")
    assert r.returncode == 1 and "404" in err(r), show(r)


def test_the_published_records_name_the_served_key(nostr_dns, relay, tmp_path, demos):
    host = new_host(tmp_path)
    d = start_demo(nostr_dns, host, relay, tmp_path, demos)
    events = peers.raw_req(relay.url, {"kinds": [30059], "authors": [host.hex]})
    assert len(events) == 1
    tags = events[0]["tags"]
    assert ["d", "https"] in tags
    assert ["u", f"https://{host.npub}.nostr:{d.port}"] in tags
    assert ["k", d.spki] in tags
    exp = int(next(t[1] for t in tags if t[0] == "exp"))
    assert now() + 24 * 3600 < exp <= now() + 36 * 3600 + 5
    cert = tmp_path / "from-record.pem"
    cert.write_text(events[0]["content"])
    assert peers.spki_sha256(cert) == d.spki
    text = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-text"], capture_output=True, text=True).stdout
    assert f"DNS:{host.npub}.nostr, DNS:{host.npub}.local, IP Address:127.0.0.1" in text
    address = peers.raw_req(relay.url, {"kinds": [30053], "authors": [host.hex]})
    assert ["ip4", "127.0.0.1"] in address[0]["tags"]
    assert any(t[0] == "expiration" for t in address[0]["tags"])


def test_curl_with_the_arguments_pin_prints_reaches_the_demo(nostr_dns, relay, tmp_path, demos):
    host = new_host(tmp_path)
    d = start_demo(nostr_dns, host, relay, tmp_path, demos)
    p = pin(nostr_dns, relay, f"{host.npub}.nostr")
    assert p["port"] == d.port  # from the record's URL
    assert p["resolve"] == f"{host.npub}.nostr:{d.port}:127.0.0.1"
    assert p["tlsa"][0] == {"owner": f"_{d.port}._tcp.{host.npub}.nostr.", "data": f"3 1 1 {d.spki}", "source": "record"}
    r = curl(p["curl"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.endswith("\n200") and host.npub in r.stdout
    # The text form says the same.
    t = nostr_dns.run("--relay", relay.url, "pin", host.npub, *TIMEOUT, *trusting(host.npub))
    assert f"pinnedpubkey {p['pinnedpubkey']}\n" in out(t) and f"resolve {p['resolve']}\n" in out(t), show(t)


def test_an_impostor_on_the_same_address_is_refused(nostr_dns, relay, tmp_path, demos, servers):
    host = new_host(tmp_path)
    d = start_demo(nostr_dns, host, relay, tmp_path, demos)
    p = pin(nostr_dns, relay, host.npub)
    rrdata = p["tlsa"][0]["data"]
    d.stop()
    # ATTACKER: another key on the address and port the npub published.
    cert, key = peers.make_self_signed(tmp_path / "impostor", "impostor", cn=host.npub)
    s_server(tmp_path, d.port, cert, key, servers)
    impostor = peers.spki_sha256(cert)
    r = curl(p["curl"])
    assert r.returncode == 90, (r.returncode, r.stderr)  # CURLE_SSL_PINNEDPUBKEYNOTMATCH
    assert "public key does not match pinned public key" in r.stderr
    f = fetch(nostr_dns, relay, f"https://{host.npub}.nostr:{d.port}/")
    assert f.returncode == 1, show(f)
    assert out(f) == ""
    assert impostor in err(f) and "impostor" in err(f) and d.spki in err(f)
    v = dane(d.port, f"{host.npub}.nostr", rrdata)
    assert v.returncode != 0
    assert b"Verification: OK" not in v.stdout


def test_openssl_dane_verifies_the_demo(nostr_dns, relay, tmp_path, demos):
    host = new_host(tmp_path)
    d = start_demo(nostr_dns, host, relay, tmp_path, demos)
    r = nostr_dns.run("--relay", relay.url, "resolve", host.npub, "--type", "TLSA", *TIMEOUT)
    assert r.returncode == 0, show(r)
    rrdata = out(r).strip()
    assert rrdata == f"3 1 1 {d.spki}"
    v = dane(d.port, f"{host.npub}.nostr", rrdata)
    text = v.stdout.decode()
    assert v.returncode == 0, text + v.stderr.decode()
    assert "Verification: OK" in text and "DANE TLSA 3 1 1" in text and "matched EE certificate at depth 0" in text
    assert "Protocol  : TLSv1.2" in text


# ---------------------------------------------------------------------------
# --alt: the certificate keyed by the nostr key


def test_alt_curl_over_tls12_with_secp256k1_verifies_the_npub_key(nostr_dns, relay, tmp_path, demos):
    host = new_host(tmp_path)
    d = start_demo(nostr_dns, host, relay, tmp_path, demos, extra=["--alt"])
    assert "the nostr key itself" in d.log()
    # No TLS key record: only the address.
    assert peers.raw_req(relay.url, {"kinds": [30059], "authors": [host.hex]}) == []
    p = pin(nostr_dns, relay, f"{host.npub}.nostr", "--port", str(d.port))
    assert [t["source"] for t in p["tlsa"]] == ["npub"]
    assert p["tlsa"][0]["data"] == f"3 1 1 {d.spki}"
    assert served_spki(d.port, groups="secp256k1:X25519:P-256") == d.spki
    assert p["curves"] == "secp256k1:X25519:P-256"
    assert "--curves" in p["curl"] and "--tls-max" in p["curl"]
    r = curl(p["curl"])
    assert r.returncode == 0 and r.stdout.endswith("\n200"), r.stderr
    assert "keyed by the nostr key itself" in r.stdout
    # Without secp256k1 among curl's groups, no handshake (alert 40).
    plain = [a for a in p["curl"]]
    i = plain.index("--curves")
    del plain[i:i + 2]
    r = curl(plain)
    assert r.returncode == 35, (r.returncode, r.stderr)
    # A pin for another key fails even with the right groups.
    wrong = list(p["curl"])
    wrong[wrong.index("--pinnedpubkey") + 1] = "sha256//" + "A" * 43 + "="
    assert curl(wrong).returncode == 90
    f = fetch(nostr_dns, relay, f"https://{host.npub}.nostr:{d.port}/", "-v")
    assert f.returncode == 0, show(f)
    assert "own key (secp256k1)" in err(f)
    v = dane(d.port, f"{host.npub}.nostr", p["tlsa"][0]["data"], groups="secp256k1:X25519:P-256")
    assert v.returncode == 0 and b"Verification: OK" in v.stdout, v.stdout.decode()


# ---------------------------------------------------------------------------
# fetch fails closed


def test_fetch_refuses_a_name_without_tls_key_record(nostr_dns, relay, tmp_path, servers):
    host = new_host(tmp_path)
    r = nostr_dns.run("--key", host.key_path, "--relay", relay.url, "publish-ip", "--ip", "127.0.0.1")
    assert r.returncode == 0, show(r)
    port = peers.free_port()
    cert, key = peers.make_self_signed(tmp_path / "norecord", "server")
    s_server(tmp_path, port, cert, key, servers)
    f = fetch(nostr_dns, relay, f"https://{host.npub}.nostr:{port}/")
    assert f.returncode == 1 and out(f) == "", show(f)
    assert "no TLS key record" in err(f) and peers.spki_sha256(cert) in err(f)


def test_fetch_refuses_an_expired_record(nostr_dns, relay, tmp_path, servers):
    host = new_host(tmp_path)
    port = peers.free_port()
    cert, key = peers.make_self_signed(tmp_path / "expired", "server")
    spki = peers.spki_sha256(cert)
    r = nostr_dns.run("--key", host.key_path, "--relay", relay.url, "publish-ip", "--ip", "127.0.0.1")
    assert r.returncode == 0, show(r)
    # The record names exactly the key the server has, but its exp has passed.
    record = peers.sdk_event(host.keys, 30059, cert.read_text(),
                             [["d", "https"], ["u", f"https://{host.npub}.nostr:{port}"], ["k", spki],
                              ["exp", str(now() - 60)]], created_at=now() - 120)
    peers.sdk_publish_ok(relay.url, record)
    s_server(tmp_path, port, cert, key, servers)
    f = fetch(nostr_dns, relay, f"https://{host.npub}.nostr:{port}/")
    assert f.returncode == 1 and out(f) == "", show(f)
    assert "expired" in err(f)
    # The same record, not expired, is trusted: the refusal was the expiry alone.
    fresh = peers.sdk_event(host.keys, 30059, cert.read_text(),
                            [["d", "https"], ["k", spki], ["exp", str(now() + 600)]], created_at=now())
    peers.sdk_publish_ok(relay.url, fresh)
    f = fetch(nostr_dns, relay, f"https://{host.npub}.nostr:{port}/")
    assert f.returncode == 0 and "s_server" in out(f), show(f)


def test_fetch_of_a_name_without_address_exits_3(nostr_dns, relay, tmp_path):
    host = new_host(tmp_path)
    f = fetch(nostr_dns, relay, f"https://{host.npub}.nostr:4443/")
    assert f.returncode == 3, show(f)
    assert "no address record" in err(f)
    p = nostr_dns.run("--relay", relay.url, "pin", host.npub, *TIMEOUT)
    assert p.returncode == 3, show(p)


@pytest.mark.parametrize("args", [
    ["fetch", "http://example.com/"],
    ["fetch", "https://npub1notanpub.nostr/"],
    ["fetch"],
    ["pin", "example.com"],
    ["https-demo", "--port", "0"],
    ["https-demo", "--listen", "localhost"],
    ["https-demo", "--refresh", "0"],
])
def test_bad_command_lines_exit_2(nostr_dns, args):
    r = nostr_dns.run(*args)
    assert r.returncode == 2, show(r)
    assert out(r) == ""


# ---------------------------------------------------------------------------
# the server itself


def test_demo_serves_many_clients_at_once_and_outlives_bad_ones(nostr_dns, relay, tmp_path, demos):
    host = new_host(tmp_path)
    d = start_demo(nostr_dns, host, relay, tmp_path, demos)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    # Idle and garbage clients first: they must not hold the others up.
    idle = [socket.create_connection(("127.0.0.1", d.port)) for _ in range(5)]
    junk = socket.create_connection(("127.0.0.1", d.port))
    junk.sendall(b"GET / HTTP/1.1\r\n\r\n")  # plain HTTP to a TLS port
    bad = ctx.wrap_socket(socket.create_connection(("127.0.0.1", d.port)))
    bad.sendall(b"GET / HTTP/1.1\nHost: x\n\n")  # bare LF
    conns = [ctx.wrap_socket(socket.create_connection(("127.0.0.1", d.port), timeout=10)) for _ in range(30)]
    for c in conns:  # every handshake is done before any request is sent
        c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    bodies = []
    for c in conns:
        data = b""
        while chunk := c.recv(65536):
            data += chunk
        bodies.append(data)
        c.close()
    assert all(b.startswith(b"HTTP/1.1 200 OK\r\n") and host.npub.encode() in b for b in bodies)
    assert bad.recv(4096).startswith(b"HTTP/1.1 400 ")
    for s in idle + [junk, bad]:
        s.close()
    assert d.proc.alive()
    r = fetch(nostr_dns, relay, f"https://{host.npub}.nostr:{d.port}/")
    assert r.returncode == 0, show(r)


def test_demo_republishes_before_its_records_expire(nostr_dns, relay, tmp_path, demos):
    host = new_host(tmp_path)
    d = start_demo(nostr_dns, host, relay, tmp_path, demos, extra=["--refresh", "2"])
    flt = {"kinds": [30059], "authors": [host.hex]}
    first = max(e["created_at"] for e in peers.raw_req(relay.url, flt))
    # Records live 3 refresh periods (6 s) and are replaced every 2 s.
    peers.wait_until(lambda: max(e["created_at"] for e in peers.raw_req(relay.url, flt)) > first, 15,
                     "a newer TLS key record", d.proc, interval=0.3)
    newest = max(peers.raw_req(relay.url, flt), key=lambda e: e["created_at"])
    assert int(next(t[1] for t in newest["tags"] if t[0] == "exp")) == newest["created_at"] + 6
    assert d.log().count("published kind 30053") >= 2
    time.sleep(1)
    r = fetch(nostr_dns, relay, f"https://{host.npub}.nostr:{d.port}/")
    assert r.returncode == 0, show(r)


def test_demo_keeps_its_key_across_restarts_and_stops_on_signals(nostr_dns, relay, tmp_path, demos):
    host = new_host(tmp_path)
    d = start_demo(nostr_dns, host, relay, tmp_path, demos)
    key_file = Path(str(host.key_path) + ".https.key")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "(created, P-256)" in d.log()
    first = d.spki
    os.kill(d.proc.pid, signal.SIGTERM)
    d.proc.popen.wait(5)
    assert d.proc.popen.returncode == 0
    assert "stopped" in d.log()
    again = start_demo(nostr_dns, host, relay, tmp_path, demos, port=d.port)
    assert again.spki == first and "(created" not in again.log()
    os.kill(again.proc.pid, signal.SIGINT)
    again.proc.popen.wait(5)
    assert again.proc.popen.returncode == 0
    # The secret key is never printed.
    nsec = host.keys.secret_key().to_bech32()
    assert nsec not in d.log() and nsec not in again.log()
    assert "PRIVATE KEY" not in d.log()


# ---------------------------------------------------------------------------
# fetch against other servers: framing, and a server that breaks HTTP


class RawTLSServer:
    """A TLS server in this process that answers every request with fixed bytes
    (Python's ssl module, i.e. OpenSSL), so fetch meets responses our own
    server never sends: chunked bodies, and malformed or smuggling ones."""

    def __init__(self, cert: Path, key: Path, response: bytes):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.response = response
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return
            try:
                with self.ctx.wrap_socket(raw, server_side=True) as s:
                    s.settimeout(5)
                    data = b""
                    while b"\r\n\r\n" not in data:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    s.sendall(self.response)
            except (OSError, ssl.SSLError):
                pass

    def close(self):
        self.sock.close()


def published_server(nostr_dns, relay, tmp_path, response: bytes):
    """A host whose address and TLS key record (publish-cert) name a RawTLSServer."""
    host = new_host(tmp_path)
    cert, key = peers.make_self_signed(tmp_path / f"raw-{host.hex[:6]}", "raw")
    server = RawTLSServer(cert, key, response)
    r = nostr_dns.run("--key", host.key_path, "--relay", relay.url, "publish-ip", "--ip", "127.0.0.1")
    assert r.returncode == 0, show(r)
    r = nostr_dns.run("--key", host.key_path, "--relay", relay.url, "publish-cert", "--cert", cert, "--port", str(server.port))
    assert r.returncode == 0, show(r)
    return host, server


def test_fetch_decodes_a_chunked_body_from_another_server(nostr_dns, relay, tmp_path):
    body = b"hello, " + b"x" * 5000 + b" world"
    chunks = b"7\r\nhello, \r\n1388;ext=1\r\n" + b"x" * 5000 + b"\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
    host, server = published_server(nostr_dns, relay, tmp_path,
                                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunks)
    try:
        p = pin(nostr_dns, relay, host.npub)
        assert p["port"] == server.port
        f = fetch(nostr_dns, relay, f"https://{host.npub}.nostr:{server.port}/any")
        assert f.returncode == 0, show(f)
        assert f.stdout == body
        # curl with pin's arguments reads the same body.
        r = subprocess.run([*p["curl"], "-sS"], capture_output=True, timeout=20)
        assert r.returncode == 0 and r.stdout == body, r.stderr
    finally:
        server.close()


@pytest.mark.parametrize("response", [
    b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
    b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok",
    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
])
def test_fetch_refuses_a_server_that_breaks_http(nostr_dns, relay, tmp_path, response):
    host, server = published_server(nostr_dns, relay, tmp_path, response)
    try:
        f = fetch(nostr_dns, relay, f"https://{host.npub}.nostr:{server.port}/")
        assert f.returncode == 1, show(f)
        assert out(f) == ""
        assert "HTTP response" in err(f)
    finally:
        server.close()


def test_fetch_refuses_a_body_over_max_bytes(nostr_dns, relay, tmp_path):
    host, server = published_server(nostr_dns, relay, tmp_path,
                                    b"HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n" + b"y" * 2000)
    try:
        f = fetch(nostr_dns, relay, f"https://{host.npub}.nostr:{server.port}/", "--max-bytes", "1000")
        assert f.returncode == 1 and out(f) == "", show(f)
        assert "larger than allowed" in err(f)
        f = fetch(nostr_dns, relay, f"https://{host.npub}.nostr:{server.port}/", "--max-bytes", "2000")
        assert f.returncode == 0 and f.stdout == b"y" * 2000, show(f)
    finally:
        server.close()


def raw_request(port: int, request: bytes) -> bytes:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10)) as s:
        s.sendall(request)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data


def test_demo_answers_head_and_refuses_other_methods(nostr_dns, relay, tmp_path, demos):
    host = new_host(tmp_path)
    d = start_demo(nostr_dns, host, relay, tmp_path, demos)
    get = raw_request(d.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    head = raw_request(d.port, b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert head == get.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
    post = raw_request(d.port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab")
    assert post.startswith(b"HTTP/1.1 405 ") and b"\r\nAllow: GET, HEAD\r\n" in post
    smuggle = raw_request(d.port, b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    assert smuggle.startswith(b"HTTP/1.1 400 ")
    huge = raw_request(d.port, b"GET / HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n")
    assert huge.startswith(b"HTTP/1.1 431 ")


def test_demo_keeps_serving_when_it_cannot_sign(nostr_dns, relay, tmp_path, demos):
    host = new_host(tmp_path)
    d = start_demo(nostr_dns, host, relay, tmp_path, demos, extra=["--refresh", "1"])
    moved = Path(str(host.key_path) + ".moved")
    os.rename(host.key_path, moved)
    peers.wait_until(lambda: "cannot sign the records" in d.log(), 10, "a failed refresh", d.proc)
    assert raw_request(d.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").startswith(b"HTTP/1.1 200 OK")
    os.rename(moved, host.key_path)
    count = d.log().count("published kind 30059")
    peers.wait_until(lambda: d.log().count("published kind 30059") > count, 90, "publishing again", d.proc)


# ---------------------------------------------------------------------------
# DANE through our DNS server: dig TLSA, then openssl with that rrdata


def test_openssl_dane_with_the_tlsa_answer_of_the_dns_server(nostr_dns, relay, tmp_path, demos, servers):
    host = new_host(tmp_path)
    d = start_demo(nostr_dns, host, relay, tmp_path, demos)
    port = peers.free_port()
    argv = nostr_dns.argv(["--relay", relay.url, "dns", "--listen", f"127.0.0.1:{port}", "--cache",
                           tmp_path / "dns-cache", "--timeout", "3"])
    server = peers.Proc(f"nostr-dns-dns:{port}", argv, tmp_path / f"dns-{port}.log", env=nostr_dns.full_env())
    servers.append(server)
    owner = f"_{d.port}._tcp.{host.npub}.nostr"

    def tlsa():
        r = subprocess.run(["dig", "@127.0.0.1", "-p", str(port), owner, "TLSA", "+short", "+time=5", "+tries=1"],
                           capture_output=True, text=True, timeout=20)
        return r.stdout.strip() if r.returncode == 0 and r.stdout.startswith("3 1 1 ") else None

    answer = peers.wait_until(tlsa, 20, "the TLSA answer", server, interval=0.3)
    fields = answer.split()
    rrdata = "3 1 1 " + "".join(fields[3:]).lower()
    assert rrdata == f"3 1 1 {d.spki}"
    assert rrdata in [t["data"] for t in pin(nostr_dns, relay, host.npub)["tlsa"]]
    v = dane(d.port, f"{host.npub}.nostr", rrdata)
    assert v.returncode == 0 and b"Verification: OK" in v.stdout, v.stdout.decode()
    # An impostor on the same address fails the same DANE check.
    d.stop()
    cert, key = peers.make_self_signed(tmp_path / "dane-impostor", "impostor", cn=host.npub)
    s_server(tmp_path, d.port, cert, key, servers)
    v = dane(d.port, f"{host.npub}.nostr", rrdata)
    assert v.returncode != 0 and b"Verification: OK" not in v.stdout
