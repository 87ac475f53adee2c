"""wsn:// channel throughput against wss:// on the same relay, in one run.

One local nostr-relay 1.14; in front of it `nostr-dns gateway` (wsn://, BOLT 8)
and stunnel4 (wss://, TLS with the test CA). The same client code on both:
one connection, N signed events sent pipelined, timed until every OK is back
(events published-and-OKed per second). Runs alternate wsn, wss, wsn, ... and
the medians and their ratio wsn/wss are printed. The Python client is the
same on both sides (hand-written WebSocket framing over either bolt8.Channel
or an ssl socket), so the difference is the server-side transport: the
nostr-dns gateway against stunnel4. Traffic stays on 127.0.0.1."""

from __future__ import annotations

import argparse
import json
import os
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


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(ROOT / ".build" / "debug" / "nostr-dns"))
    ap.add_argument("-n", type=int, default=200, help="events per run")
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wsn-bench-"))
    relay = gateway = tunnel = None
    try:
        relay = peers.NostrRelay(work / "relay").start()
        ca = peers.make_test_ca(work / "tls")
        tunnel = peers.Stunnel(work / "stunnel", relay.port, ca.server_cert, ca.server_key).start()
        gw = new_host(work, "-gw")
        port = peers.free_port()
        env = {k: v for k, v in os.environ.items() if k not in ("NOSTR_DNS_KEY", "NOSTR_DNS_RELAYS")}
        gateway = subprocess.Popen([a.bin, "--key", str(gw.key_path), "gateway", "--listen", f"127.0.0.1:{port}",
                                    "--upstream", relay.url], stdout=subprocess.DEVNULL, env=env)
        peers.wait_until(lambda: peers._tcp_open("127.0.0.1", port), 15, "gateway")
        rs = bolt8.npub_point(gw.hex)
        author = new_host(work)
        rates = {"wsn": [], "wss": []}
        for r in range(a.rounds):
            for name in ("wsn", "wss"):
                # Fresh events each run (a relay answers duplicates differently).
                events = [peers.sdk_event(author.keys, 1, f"bench {name} {r} {i}", []).as_json() for i in range(a.n)]
                pipe = bolt8.Channel("127.0.0.1", port, rs) if name == "wsn" else TLSPipe(tunnel.port, ca.ca)
                rates[name].append(run_once(pipe, events))
        wsn, wss = statistics.median(rates["wsn"]), statistics.median(rates["wss"])
        print(f"wsn:// (nostr-dns gateway): median {wsn:.0f} events/s  runs {[round(x) for x in rates['wsn']]}")
        print(f"wss:// (stunnel4):          median {wss:.0f} events/s  runs {[round(x) for x in rates['wss']]}")
        print(f"ratio wsn/wss: {wsn / wss:.2f}  ({a.n} events per run, {a.rounds} alternating rounds, one relay)")
        return 0
    finally:
        if gateway is not None:
            gateway.terminate()
            gateway.wait(10)
        if tunnel is not None:
            tunnel.stop()
        if relay is not None:
            relay.stop()


if __name__ == "__main__":
    sys.exit(main())
