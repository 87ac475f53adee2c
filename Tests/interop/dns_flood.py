"""ATTACKER: many distinct valid npubs asked of a DNS server over UDP.

`npubs(n)` makes n distinct npubs from random 32-byte x-only keys that are
valid secp256k1 x coordinates (BIP-340 lift_x, checked by coincurve's libsecp256k1), fast and
without signing anything. `flood(port, names)` asks `<npub>.nostr A` for
each, keeping at most `window` queries in flight on one UDP socket (each
waits up to `wait` seconds), and counts the answers by RCODE.
"""
from __future__ import annotations

import os
import select
import socket
import struct
import time

P = 2**256 - 2**32 - 977
CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


_GEN = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
# BIP-173's polymod, five generator bits at a time.
_TABLE = [0] * 32
for _b in range(32):
    for _i in range(5):
        if (_b >> _i) & 1:
            _TABLE[_b] ^= _GEN[_i]
_HRP = [ord(c) >> 5 for c in "npub"] + [0] + [ord(c) & 31 for c in "npub"]


def _polymod(values):
    chk = 1
    table = _TABLE
    for v in values:
        chk = ((chk & 0x1FFFFFF) << 5) ^ v ^ table[chk >> 25]
    return chk


def npub(x: bytes) -> str:
    """BIP-173 bech32 of a 32-byte key with the hrp "npub" (NIP-19)."""
    v = int.from_bytes(x, "big") << 4  # 256 bits padded to 260 = 52 groups of 5
    data = [(v >> (5 * (51 - i))) & 31 for i in range(52)]
    mod = _polymod(_HRP + data + [0] * 6) ^ 1
    check = [(mod >> 5 * (5 - i)) & 31 for i in range(6)]
    return "npub1" + "".join(CHARSET[d] for d in data + check)


def valid_x(x: bytes) -> bool:
    """Whether x is the x coordinate of a secp256k1 point (BIP-340 lift_x)."""
    try:
        from coincurve.keys import PublicKeyXOnly
    except ImportError:
        v = int.from_bytes(x, "big")
        return v < P and pow((v * v * v + 7) % P, (P - 1) // 2, P) == 1
    try:
        PublicKeyXOnly(x)
        return True
    except ValueError:
        return False


def npubs(n: int) -> list[str]:
    out, seen = [], set()
    while len(out) < n:
        x = os.urandom(32)
        if x in seen or not valid_x(x):
            continue
        seen.add(x)
        out.append(npub(x))
    return out


def _query(qid: int, name: str) -> bytes:
    wire = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"
    return struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + wire + struct.pack(">HH", 1, 1)


def flood(port: int, names: list[str], window: int = 400, wait: float = 6.0, host: str = "127.0.0.1") -> dict:
    """Asks every name once; returns {"NOERROR": n, "NXDOMAIN": n, "SERVFAIL": n, "lost": n, "seconds": s}."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.setblocking(False)
    counts = {"NOERROR": 0, "NXDOMAIN": 0, "SERVFAIL": 0, "other": 0, "lost": 0}
    inflight: dict[int, float] = {}
    free_ids = list(range(65536))
    start = time.monotonic()
    i = 0
    names_by_id: dict[int, str] = {}
    while i < len(names) or inflight:
        now = time.monotonic()
        while i < len(names) and len(inflight) < window:
            qid = free_ids.pop()
            try:
                s.sendto(_query(qid, names[i] + ".nostr"), (host, port))
            except BlockingIOError:
                free_ids.append(qid)
                break
            inflight[qid] = now + wait
            names_by_id[qid] = names[i]
            i += 1
        r, _, _ = select.select([s], [], [], 0.05)
        if r:
            while True:
                try:
                    data = s.recv(4096)
                except BlockingIOError:
                    break
                if len(data) < 12:
                    continue
                qid, flags = struct.unpack(">HH", data[:4])
                if qid not in inflight:
                    continue
                del inflight[qid]
                names_by_id.pop(qid, None)
                free_ids.append(qid)
                rcode = flags & 0xF
                counts[{0: "NOERROR", 3: "NXDOMAIN", 2: "SERVFAIL"}.get(rcode, "other")] += 1
        now = time.monotonic()
        for qid in [q for q, t in inflight.items() if t < now]:
            del inflight[qid]
            names_by_id.pop(qid, None)
            free_ids.append(qid)
            counts["lost"] += 1
    s.close()
    counts["seconds"] = round(time.monotonic() - start, 1)
    return counts
