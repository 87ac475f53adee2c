"""A small, independent BOLT 8 (Noise_XK secp256k1 ChaChaPoly SHA256) initiator
for the wsn:// tests: coincurve for ECDH (SHA-256 of the compressed point,
libsecp256k1's default, as BOLT 8 wants), `cryptography` for ChaCha20-Poly1305,
hmac/hashlib for HKDF. Written from lightning/bolts 08-transport.md; checked
against its initiator vector in test_wsn.py before it is trusted."""

from __future__ import annotations

import hashlib
import hmac
import socket

from coincurve import PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

PROTOCOL = b"Noise_XK_secp256k1_ChaChaPoly_SHA256"
PROLOGUE = b"lightning"


def sha256(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def hkdf(salt: bytes, ikm: bytes) -> tuple[bytes, bytes]:
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    t1 = hmac.new(prk, b"\x01", hashlib.sha256).digest()
    t2 = hmac.new(prk, t1 + b"\x02", hashlib.sha256).digest()
    return t1, t2


def nonce(n: int) -> bytes:
    return b"\x00" * 4 + n.to_bytes(8, "little")


_aead: dict[bytes, ChaCha20Poly1305] = {}


def _cipher(k: bytes) -> ChaCha20Poly1305:
    # One object per key (a key serves 1,000 messages): the benchmark's
    # client should not be slower than the channel it measures.
    c = _aead.get(k)
    if c is None:
        if len(_aead) > 64:
            _aead.clear()
        c = _aead[k] = ChaCha20Poly1305(k)
    return c


def enc(k: bytes, n: int, ad: bytes, pt: bytes) -> bytes:
    return _cipher(k).encrypt(nonce(n), pt, ad)


def dec(k: bytes, n: int, ad: bytes, ct: bytes) -> bytes:
    return _cipher(k).decrypt(nonce(n), ct, ad)


def npub_point(xonly_hex: str) -> bytes:
    """The npub's x-only key lifted to even y."""
    return b"\x02" + bytes.fromhex(xonly_hex)


class Initiator:
    def __init__(self, rs_pub: bytes, ls: PrivateKey | None = None, e: PrivateKey | None = None):
        self.rs = rs_pub
        self.ls = ls or PrivateKey()
        self.e = e or PrivateKey()
        self.h = sha256(PROTOCOL)
        self.ck = self.h
        self.h = sha256(self.h + PROLOGUE)
        self.h = sha256(self.h + rs_pub)

    def act_one(self) -> bytes:
        epub = self.e.public_key.format(compressed=True)
        self.h = sha256(self.h + epub)
        self.ck, k = hkdf(self.ck, self.e.ecdh(self.rs))
        c = enc(k, 0, self.h, b"")
        self.h = sha256(self.h + c)
        return b"\x00" + epub + c

    def act_three(self, act2: bytes) -> bytes:
        assert len(act2) == 50 and act2[0] == 0
        re = act2[1:34]
        self.h = sha256(self.h + re)
        self.ck, k2 = hkdf(self.ck, self.e.ecdh(re))
        dec(k2, 0, self.h, act2[34:])
        self.h = sha256(self.h + act2[34:])
        c = enc(k2, 1, self.h, self.ls.public_key.format(compressed=True))
        self.h = sha256(self.h + c)
        self.ck, k3 = hkdf(self.ck, self.ls.ecdh(re))
        t = enc(k3, 0, self.h, b"")
        self.sk, self.rk = hkdf(self.ck, b"")
        self.sck = self.rck = self.ck
        self.sn = self.rn = 0
        return b"\x00" + c + t

    def _next(self, send: bool):
        if send:
            n = self.sn
            self.sn += 1
            if self.sn == 1000:
                self.sck, self.sk = hkdf(self.sck, self.sk)
                self.sn = 0
            return n
        n = self.rn
        self.rn += 1
        if self.rn == 1000:
            self.rck, self.rk = hkdf(self.rck, self.rk)
            self.rn = 0
        return n

    def seal(self, m: bytes) -> bytes:
        # Arguments are evaluated left to right: the key before the nonce
        # step that may rotate it.
        lc = enc(self.sk, self._next(True), b"", len(m).to_bytes(2, "big"))
        return lc + enc(self.sk, self._next(True), b"", m)

    def seal_length_only(self, length: int) -> bytes:
        return enc(self.sk, self._next(True), b"", length.to_bytes(2, "big"))


def recv_exact(s: socket.socket, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise ConnectionError(f"EOF after {len(out)} of {n} bytes")
        out += chunk
    return out


class Channel:
    """An established wsn:// channel over a blocking socket."""

    def __init__(self, host: str, port: int, rs_pub: bytes, timeout: float = 10):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.noise = Initiator(rs_pub)
        self.sock.sendall(self.noise.act_one())
        act2 = recv_exact(self.sock, 50)
        self.sock.sendall(self.noise.act_three(act2))
        self.plain = b""

    def send(self, data: bytes):
        view = memoryview(data)
        self.sock.sendall(b"".join(self.noise.seal(bytes(view[i:i + 65535])) for i in range(0, len(data), 65535)))

    def recv_message(self) -> bytes:
        header = recv_exact(self.sock, 18)
        length = int.from_bytes(dec(self.noise.rk, self.noise._next(False), b"", header), "big")
        body = recv_exact(self.sock, length + 16)
        return dec(self.noise.rk, self.noise._next(False), b"", body)

    def recv_until(self, marker: bytes) -> bytes:
        while marker not in self.plain:
            self.plain += self.recv_message()
        i = self.plain.index(marker) + len(marker)
        out, self.plain = self.plain[:i], self.plain[i:]
        return out

    def close(self):
        self.sock.close()
