"""ATTACKER. Not a relay: a raw-socket "relay" that completes the WebSocket
upgrade (RFC 6455 §4.2.2, by hand) and then sends frames no library would:
reserved opcodes and bits, absurd lengths, invalid UTF-8, endless streams.
Used only to show that the client under test drops it, retries it with
backoff, and keeps its memory bounded (Tests/interop/test_faults.py).

    python evil_frames.py MODE...

Listens on one ephemeral 127.0.0.1 port per MODE and prints
"listening MODE PORT" for each, then "ready". With $EVIL_GO_FILE set, each
connection waits after the upgrade until that file exists before it
attacks (so that the client can be measured with the connections open). Every accepted connection is
logged as "conn MODE N T" (T: time.monotonic()), and how it ended as
"end MODE N WHY". Each connection of a mode gets that mode's attack:

frames the client must refuse (it must close and reconnect later):
    bad-opcode      a frame with reserved opcode 0x3
    rsv-bits        a text frame with RSV1 and RSV2 set (no extension agreed)
    len-2-40        a text frame header announcing 2^40 bytes, then bytes
    text-10mb       a 10 MB text frame, sent in full
    bad-utf8        a text frame that is not UTF-8
    masked          a text frame masked by the server (§5.1 forbids it)
    bad-close       a close frame with code 999 (not valid on the wire)
    short-close     a close frame with a 1-byte body
    big-ping        a ping with 126 bytes of payload (control frames: at most 125)
    fragment-1mb    a text message in 64 KB fragments that never ends (over the 1 MB
                    limit), sent until the client drops the connection (ending
                    "dropped by the client after N bytes")
    notice-then-bad-opcode  a well-formed NIP-01 NOTICE, then a frame with opcode 0x3
text the client must ignore (the connection may stay):
    not-json        text that is not JSON, then silence
    wrong-shape     JSON of the wrong shape (objects, short arrays, bad EVENTs), then silence
floods, for FLOOD_SECONDS per connection, then the connection is closed
(ping-flood: until the client drops it, at most 60 s):
    event-stream    endless well-formed EVENT messages with a bad signature
    fragment-flood  a text frame without FIN, then endless empty continuation frames
    ping-flood      endless 125-byte pings; never reads the pongs ("dropped by the
                    client after N bytes")
    junk-stream     endless one-byte text messages "x" (not JSON)
before the WebSocket (for wss:// URLs: TLS must fail):
    tls-garbage     answers the TLS ClientHello with bytes that are not TLS
"""
import base64
import hashlib
import json
import os
import socket
import sys
import threading
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
FLOOD_SECONDS = float(os.environ.get("EVIL_FLOOD_SECONDS", "6"))
GO_FILE = os.environ.get("EVIL_GO_FILE")
_lock = threading.Lock()


def log(*parts):
    with _lock:
        print(*parts, flush=True)


def frame(opcode: int, payload: bytes, fin: bool = True, rsv: int = 0, length: int | None = None) -> bytes:
    n = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | rsv << 4 | opcode])
    if n <= 125:
        head += bytes([n])
    elif n <= 0xFFFF:
        head += bytes([126]) + n.to_bytes(2, "big")
    else:
        head += bytes([127]) + n.to_bytes(8, "big")
    return head + payload


def upgrade(conn: socket.socket) -> bool:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk or len(data) > 16384:
            return False
        data += chunk
    key = b""
    for line in data.split(b"\r\n"):
        if line.lower().startswith(b"sec-websocket-key:"):
            key = line.split(b":", 1)[1].strip()
    accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
    conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
    return True


def fake_event() -> dict:
    return {"id": "ab" * 32, "pubkey": "cd" * 32, "created_at": int(time.time()), "kind": 30053,
            "tags": [["d", ""], ["ip4", "6.6.6.6"]], "content": "", "sig": "ef" * 64}


def flood(conn: socket.socket, block: bytes, seconds: float = FLOOD_SECONDS):
    """Sends `block` over and over for `seconds`, then the connection is closed."""
    return _send_repeatedly(conn, block, seconds)


def flood_until_dropped(conn: socket.socket, block: bytes, limit: float = 60) -> str:
    """Sends `block` over and over until the client drops the connection
    (the send fails): the attack ends when the client has judged it, however
    slowly it reads, never on a timer of ours. Closing on a timer while the
    client's bytes lie unread would send it a reset in the middle of the
    frame, and the client would log the reset, not the frame it refuses.
    Gives up after `limit` seconds (the client never dropped it)."""
    return _send_repeatedly(conn, block, limit, until_dropped=True)


def _send_repeatedly(conn: socket.socket, block: bytes, seconds: float, until_dropped: bool = False) -> str:
    # send(), not sendall(): a sendall() cut short by the timeout loses track
    # of how much of the block went out, and the next block would start in
    # the middle of a frame.
    end = time.monotonic() + seconds
    conn.settimeout(1.0)
    view = memoryview(block)
    sent = offset = 0
    while time.monotonic() < end:
        try:
            n = conn.send(view[offset:])
        except socket.timeout:
            continue
        except (BrokenPipeError, ConnectionResetError):
            if until_dropped:
                return f"dropped by the client after {sent} bytes"
            raise
        sent += n
        offset = (offset + n) % len(block)
    return f"flooded {sent} bytes"


def drain(conn: socket.socket, seconds: float = 30) -> str:
    """Reads (and drops) what the client sends until it closes: its close frame, its REQs."""
    conn.settimeout(seconds)
    got = 0
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            return f"client closed after {got} more bytes"
        got += len(chunk)


def attack(mode: str, conn: socket.socket) -> str:
    if mode == "tls-garbage":
        conn.recv(4096)  # the ClientHello
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n" + os.urandom(512))
        return drain(conn)
    if not upgrade(conn):
        return "no upgrade request"
    while GO_FILE and not os.path.exists(GO_FILE):
        time.sleep(0.05)
    if mode == "bad-opcode":
        conn.sendall(frame(0x3, b"x"))
    elif mode == "notice-then-bad-opcode":
        conn.sendall(frame(0x1, b'["NOTICE","welcome"]'))
        time.sleep(0.05)
        conn.sendall(frame(0x3, b"x"))
    elif mode == "rsv-bits":
        conn.sendall(frame(0x1, b"[]", rsv=0b110))
    elif mode == "len-2-40":
        conn.sendall(frame(0x1, b"", length=2 ** 40) + b"[" * 65536)
    elif mode == "text-10mb":
        conn.sendall(frame(0x1, b"a" * (10 << 20)))
    elif mode == "bad-utf8":
        conn.sendall(frame(0x1, b'["NOTICE","\xff\xfe\xc0\xaf"]'))
    elif mode == "masked":
        conn.sendall(b"\x81\x82" + b"\x01\x02\x03\x04" + bytes([ord("[") ^ 1, ord("]") ^ 2]))
    elif mode == "bad-close":
        conn.sendall(frame(0x8, (999).to_bytes(2, "big")))
    elif mode == "short-close":
        conn.sendall(frame(0x8, b"\x03"))
    elif mode == "big-ping":
        conn.sendall(b"\x89\x7e\x00\x7e" + b"p" * 126)
    elif mode == "fragment-1mb":
        conn.sendall(frame(0x1, b"[" * 65536, fin=False))
        return flood_until_dropped(conn, frame(0x0, b"[" * 65536, fin=False))
    elif mode == "not-json":
        conn.sendall(frame(0x1, b"hello, I am not JSON") + frame(0x1, b"{") + frame(0x1, b""))
    elif mode == "wrong-shape":
        for msg in ({"EVENT": 1}, [], ["EVENT"], ["EOSE"], ["EVENT", "fw0"], ["EVENT", "fw0", "not an object"],
                    ["EVENT", "fw0", {"id": 1}], ["OK", "x"], ["EOSE", 7], [1, 2, 3], ["NOTICE"], "string",
                    ["EVENT", "fw0", dict(fake_event(), tags="nope")], ["CLOSED"], None, 12):
            conn.sendall(frame(0x1, json.dumps(msg).encode()))
    elif mode == "event-stream":
        one = frame(0x1, json.dumps(["EVENT", "fw0", fake_event()]).encode())
        return flood(conn, one * 256)
    elif mode == "fragment-flood":
        conn.sendall(frame(0x1, b"[", fin=False))
        return flood(conn, frame(0x0, b"", fin=False) * 8192)
    elif mode == "ping-flood":
        return flood_until_dropped(conn, frame(0x9, b"p" * 125) * 8192)
    elif mode == "junk-stream":
        return flood(conn, frame(0x1, b"x") * 8192)
    else:
        return f"unknown mode {mode}"
    return drain(conn)


def serve(mode: str, listener: socket.socket):
    n = 0
    while True:
        conn, _ = listener.accept()
        n += 1
        log("conn", mode, n, f"{time.monotonic():.3f}")
        threading.Thread(target=handle, args=(mode, n, conn), daemon=True).start()


def handle(mode: str, n: int, conn: socket.socket):
    with conn:
        try:
            why = attack(mode, conn)
        except OSError as exc:
            why = f"{type(exc).__name__}: {exc}"
        log("end", mode, n, why)


def main(modes: list[str]):
    for mode in modes:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if mode == "ping-flood":
            # A small receive window: the pongs it never reads pile up on the client's side.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        log("listening", mode, s.getsockname()[1])
        threading.Thread(target=serve, args=(mode, s), daemon=True).start()
    log("ready")
    threading.Event().wait()


if __name__ == "__main__":
    main(sys.argv[1:])
