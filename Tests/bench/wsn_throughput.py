"""wsn:// channel throughput against wss:// on the same relay, in one run.

One local nostr-relay 1.14; in front of it `nostr-dns gateway` (wsn://, BOLT 8)
and stunnel4 (wss://, TLS with the test CA). The same client code on both:
one connection, N signed events sent pipelined, timed until every OK is back
(events published-and-OKed per second). Runs alternate wsn, wss, wsn, ... and
the medians and their ratio wsn/wss are printed. nostr-relay (Python) bounds
that figure, so a second measure takes it out: both fronts forward to a byte
sink instead, and MB/s of a bulk upload (counted and acknowledged by the sink)
is compared the same way. The Python client is the
same on both sides (hand-written WebSocket framing over either bolt8.Channel
or an ssl socket), so the difference is the server-side transport: the
nostr-dns gateway against stunnel4. Traffic stays on 127.0.0.1."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "interop"))

import bolt8  # noqa: E402
import peers  # noqa: E402
from cli import new_host  # noqa: E402


class TLSPipe:
    def __init__(self, port: int, ca: Path):
        ctx = ssl.create_default_context(cafile=str(ca))
        self.sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
        self.plain = b""

    def send(self, data: bytes):
        self.sock.sendall(data)

    def recv_message(self) -> bytes:
        b = self.sock.recv(65536)
        if not b:
            raise ConnectionError("EOF")
        return b

    def close(self):
        self.sock.close()


def frame(payload: bytes) -> bytes:
    mask = b"\x01\x02\x03\x04"
    n = len(payload)
    head = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0xFE]) + n.to_bytes(2, "big"))
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def upgrade(pipe):
    pipe.send(b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    while b"\r\n\r\n" not in pipe.plain:
        pipe.plain += pipe.recv_message()
    head, pipe.plain = pipe.plain.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 101"), head


def next_text(pipe) -> bytes:
    while True:
        while len(pipe.plain) < 2:
            pipe.plain += pipe.recv_message()
        n = pipe.plain[1] & 0x7F
        hdr = 2 if n < 126 else 4
        while len(pipe.plain) < hdr:
            pipe.plain += pipe.recv_message()
        if n == 126:
            n = int.from_bytes(pipe.plain[2:4], "big")
        while len(pipe.plain) < hdr + n:
            pipe.plain += pipe.recv_message()
        opcode = pipe.plain[0] & 0x0F
        body = pipe.plain[hdr:hdr + n]
        pipe.plain = pipe.plain[hdr + n:]
        if opcode == 1:
            return body


def run_once(pipe, events: list[str]) -> float:
    upgrade(pipe)
    frames = b"".join(frame(('["EVENT",' + e + "]").encode()) for e in events)
    start = time.perf_counter()
    pipe.send(frames)
    oks = 0
    while oks < len(events):
        msg = json.loads(next_text(pipe))
        if msg[0] == "OK":
            assert msg[2] is True, msg
            oks += 1
    elapsed = time.perf_counter() - start
    pipe.close()
    return len(events) / elapsed


class Sink:
    """A TCP server that reads `size` bytes per connection and answers b"K"."""

    def __init__(self, size: int):
        import threading
        self.size = size
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(8)
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                c, _ = self.server.accept()
            except OSError:
                return
            got = 0
            while got < self.size:
                b = c.recv(1 << 20)
                if not b:
                    break
                got += len(b)
            try:
                c.sendall(b"K")
            except OSError:
                pass
            c.close()

    def close(self):
        self.server.close()


def bulk_once(pipe, size: int) -> float:
    block = os.urandom(1 << 20)
    start = time.perf_counter()
    sent = 0
    while sent < size:
        pipe.send(block[:min(len(block), size - sent)])
        sent += min(len(block), size - sent)
    while b"K" not in pipe.plain:
        pipe.plain += pipe.recv_message()
    elapsed = time.perf_counter() - start
    pipe.close()
    return size / elapsed / 1e6


def start_gateway(binary: str, key: Path, upstream_port: int) -> tuple[subprocess.Popen, int]:
    port = peers.free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("NOSTR_DNS_KEY", "NOSTR_DNS_RELAYS")}
    proc = subprocess.Popen([binary, "--key", str(key), "gateway", "--listen", f"127.0.0.1:{port}",
                             "--upstream", f"ws://127.0.0.1:{upstream_port}"], stdout=subprocess.DEVNULL, env=env)
    peers.wait_until(lambda: peers._tcp_open("127.0.0.1", port), 15, "gateway")
    return proc, port


def report(what: str, unit: str, rates: dict, note: str):
    wsn, wss = statistics.median(rates["wsn"]), statistics.median(rates["wss"])
    fmt = (lambda x: f"{x:.0f}") if unit == "events/s" else (lambda x: f"{x:.1f}")
    print(f"{what}: wsn:// (nostr-dns gateway) median {fmt(wsn)} {unit}, runs {[fmt(x) for x in rates['wsn']]}")
    print(f"{what}: wss:// (stunnel4)          median {fmt(wss)} {unit}, runs {[fmt(x) for x in rates['wss']]}")
    print(f"{what}: ratio wsn/wss {wsn / wss:.2f}  ({note})")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(ROOT / ".build" / "debug" / "nostr-dns"))
    ap.add_argument("-n", type=int, default=200, help="events per run")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--megabytes", type=int, default=20, help="bulk upload per run")
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wsn-bench-"))
    relay = sink = None
    procs: list[subprocess.Popen] = []
    tunnels = []
    try:
        relay = peers.NostrRelay(work / "relay").start()
        ca = peers.make_test_ca(work / "tls")
        tunnel = peers.Stunnel(work / "stunnel", relay.port, ca.server_cert, ca.server_key).start()
        tunnels.append(tunnel)
        gw = new_host(work, "-gw")
        gateway, port = start_gateway(a.bin, gw.key_path, relay.port)
        procs.append(gateway)
        rs = bolt8.npub_point(gw.hex)
        author = new_host(work)
        rates = {"wsn": [], "wss": []}
        for r in range(a.rounds):
            for name in ("wsn", "wss"):
                # Fresh events each run (a relay answers duplicates differently).
                events = [peers.sdk_event(author.keys, 1, f"bench {name} {r} {i}", []).as_json() for i in range(a.n)]
                pipe = bolt8.Channel("127.0.0.1", port, rs) if name == "wsn" else TLSPipe(tunnel.port, ca.ca)
                rates[name].append(run_once(pipe, events))
        report("relay", "events/s", rates, f"{a.n} events per run, {a.rounds} alternating rounds, one nostr-relay")

        size = a.megabytes * 1_000_000
        sink = Sink(size)
        sink_tunnel = peers.Stunnel(work / "stunnel-sink", sink.port, ca.server_cert, ca.server_key).start()
        tunnels.append(sink_tunnel)
        sink_gateway, sink_port = start_gateway(a.bin, gw.key_path, sink.port)
        procs.append(sink_gateway)
        rates = {"wsn": [], "wss": []}
        for r in range(a.rounds):
            for name in ("wsn", "wss"):
                pipe = bolt8.Channel("127.0.0.1", sink_port, rs) if name == "wsn" else TLSPipe(sink_tunnel.port, ca.ca)
                rates[name].append(bulk_once(pipe, size))
        report("bulk", "MB/s", rates, f"{a.megabytes} MB per run, {a.rounds} alternating rounds, to a byte sink")
        return 0
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
        for t in tunnels:
            t.stop()
        if sink is not None:
            sink.close()
        if relay is not None:
            relay.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
