"""Seed corpora for the fuzz targets (Tests/fuzz/run.sh), written from the
same sources the tests use: DNS and mDNS messages built with dnspython,
events signed by rust-nostr (nostr-sdk), the JSONTestSuite files and the
certificate in Tests/NostrCoreTests/Vectors, and the protocol examples of
the unit tests (RFC 6455 frames, HTTP responses, a STUN response).

    python Tests/fuzz/seeds.py OUT_DIR      (writes OUT_DIR/<target>/seed-N)
"""
import hashlib
import json
import struct
import sys
from pathlib import Path

import dns.edns
import dns.flags
import dns.message
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import nostr_sdk as n

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "Tests" / "NostrCoreTests" / "Vectors"


def npub(hex_key: str) -> str:
    return n.PublicKey.parse(hex_key).to_bech32()


KEYS = n.Keys.parse("01" * 32)
AUTHOR = npub(KEYS.public_key().to_hex())
OWN_MDNS = npub("11" * 32)      # FuzzDNS.ownKey
CACHED_MDNS = npub("22" * 32)   # FuzzDNS.cachedKey
PEM = (VECTORS / "certificate-p256.pem").read_text()


def dns_queries() -> list[bytes]:
    out = []
    names = [f"{AUTHOR}.nostr.", f"www.{AUTHOR}.nostr.", f"_443._tcp.{AUTHOR}.nostr.", "nostr.",
             f"{AUTHOR.upper()}.NoStR.", "example.com.", f"a.b.{AUTHOR}.nostr.", "npub1xyz.nostr."]
    for name in names:
        for rdtype in ("A", "AAAA", "TLSA", "ANY", "SOA", "TXT", "AXFR"):
            q = dns.message.make_query(name, rdtype, use_edns=False)
            out.append(q.to_wire())
        out.append(dns.message.make_query(name, "A", use_edns=0, payload=4096, want_dnssec=True).to_wire())
        out.append(dns.message.make_query(name, "AAAA", use_edns=1).to_wire())
    q = dns.message.make_query(f"{AUTHOR}.nostr.", "A", rdclass="CH")
    out.append(q.to_wire())
    return out


def dns_messages() -> list[bytes]:
    out = []
    r = dns.message.make_response(dns.message.make_query("host.example.", "A"))
    r.answer.append(dns.rrset.from_text("host.example.", 60, "IN", "CNAME", "target.example."))
    r.answer.append(dns.rrset.from_text("target.example.", 60, "IN", "A", "192.0.2.1"))
    r.authority.append(dns.rrset.from_text("example.", 60, "IN", "SOA", "ns.example. host.example. 1 2 3 4 5"))
    r.authority.append(dns.rrset.from_text("example.", 60, "IN", "NS", "ns.example."))
    r.additional.append(dns.rrset.from_text("_s._tcp.example.", 60, "IN", "SRV", "0 0 443 host.example."))
    r.additional.append(dns.rrset.from_text("4.3.2.1.in-addr.arpa.", 60, "IN", "PTR", "host.example."))
    r.additional.append(dns.rrset.from_text("host.example.", 60, "IN", "NSEC", "host.example. A AAAA"))
    r.additional.append(dns.rrset.from_text("host.example.", 60, "IN", "TXT", '"hello"'))
    out.append(r.to_wire())
    return out + dns_queries()[:6]


def mdns_packets() -> list[bytes]:
    packets = []
    for name in (f"{OWN_MDNS}.local.", f"{CACHED_MDNS}.local.", f"{AUTHOR}.local."):
        for rdtype in ("A", "AAAA", "ANY"):
            q = dns.message.make_query(name, rdtype, use_edns=False)
            q.id = 0
            packets.append(q.to_wire())
        # QU bit (RFC 6762 §5.4): the top bit of the class.
        q = dns.message.make_query(name, "A", use_edns=False)
        q.id = 0
        wire = bytearray(q.to_wire())
        wire[-2] |= 0x80
        packets.append(bytes(wire))
        # A query with a known answer (§7.1).
        q = dns.message.make_query(name, "A", use_edns=False)
        q.id = 0
        q.answer.append(dns.rrset.from_text(name, 120, "IN", "A", "192.168.1.30"))
        packets.append(q.to_wire())
        # A probe (§8.1): the question ANY with our proposed records in authority.
        q = dns.message.make_query(name, "ANY", use_edns=False)
        q.id = 0
        q.authority.append(dns.rrset.from_text(name, 120, "IN", "A", "192.168.1.99"))
        packets.append(q.to_wire())
        # A response claiming the name (a conflict, §9).
        r = dns.message.Message(id=0)
        r.flags = dns.flags.QR | dns.flags.AA
        r.answer.append(dns.rrset.from_text(name, 120, "IN", "A", "192.168.1.99"))
        packets.append(r.to_wire())
    out = []
    for selector in (0, 1, 4, 5, 8, 16, 20):
        out += [bytes([selector]) + p for p in packets]
    return out


def signed_events() -> list[dict]:
    def ev(kind, content, tags, created_at=1_700_000_000):
        builder = n.EventBuilder(n.Kind(kind), content).tags([n.Tag.parse(t) for t in tags])
        builder = builder.custom_created_at(n.Timestamp.from_secs(created_at))
        return json.loads(builder.finalize(KEYS).as_json())
    spki = hashlib.sha256(b"spki").hexdigest()
    return [
        ev(30053, "", [["d", ""], ["ip4", "192.0.2.1"], ["ip6", "2001:db8::1"], ["ttl", "300"], ["alt", "DNS records"]]),
        ev(30053, "", [["d", "www"], ["ip4", "203.0.113.7"], ["expiration", "1900000000"]]),
        ev(30053, "", [["d", "wsn"], ["ip4", "127.0.0.1"], ["port", "7000"]]),
        ev(30059, PEM, [["d", "https"], ["u", "https://x.nostr:4443"], ["k", spki], ["exp", "1900000000"]]),
        ev(30000, json.dumps({"ip": "192.0.2.9"}), []),
        ev(30001, PEM, []),
        ev(1, "hello \u00e9 \"quoted\" \\ \n", [["e", "00" * 32], ["p", "11" * 32]]),
    ]


def signed_record_inputs() -> list[bytes]:
    # FuzzNostr.signedRecord: kind selector (index into its kinds), age, then
    # a JSON array of tags and optionally the content (a string).
    spki = hashlib.sha256(b"spki").hexdigest()
    shapes = [
        (0, [["d", ""], ["ip4", "192.0.2.1"], ["ip6", "2001:db8::1"], ["ttl", "300"]]),
        (0, [["d", "www"], ["ip4", "10.0.0.1"], ["expiration", "1800100000"]]),
        (0, [["d", "wsn"], ["ip4", "127.0.0.1"], ["port", "7000"]]),
        (1, [["d", "https"], ["k", spki], ["exp", "1800100000"], PEM]),
        (1, [["d", "_443._tcp"], ["u", "https://h:443"], ["k", spki]]),
        (2, [json.dumps({"ip": "192.0.2.9"})]),
        (3, [PEM]),
    ]
    return [bytes([k, age]) + json.dumps(tags).encode() for k, tags in shapes for age in (0, 1, 200)]


def relay_messages() -> list[bytes]:
    out = []
    for e in signed_events():
        out.append(json.dumps(["EVENT", "sub-1", e]).encode())
    out += [json.dumps(m).encode() for m in (
        ["EOSE", "sub-1"], ["OK", "ab" * 32, True, ""], ["OK", "ab" * 32, False, "blocked: no"],
        ["NOTICE", "slow down"], ["CLOSED", "sub-1", "error: x"], ["AUTH", "challenge"],
        ["REQ", "s", {"kinds": [30053], "authors": ["11" * 32], "#d": [""], "limit": 1}],
        ["CLOSE", "s"])]
    return out


def ws_frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    head = bytes([(0x80 if fin else 0) | opcode])
    if len(payload) < 126:
        head += bytes([len(payload)])
    elif len(payload) < 65536:
        head += bytes([126]) + struct.pack(">H", len(payload))
    else:
        head += bytes([127]) + struct.pack(">Q", len(payload))
    return head + payload


def websocket_frames() -> list[bytes]:
    msgs = relay_messages()
    out = [bytes([255]) + ws_frame(1, m) for m in msgs]
    out.append(bytes([7]) + ws_frame(1, msgs[0][:10], fin=False) + ws_frame(9, b"ping") + ws_frame(0, msgs[0][10:]))
    out.append(bytes([0]) + ws_frame(2, b"\x00\x01binary") + ws_frame(10, b"pong"))
    out.append(bytes([3]) + ws_frame(8, struct.pack(">H", 1000) + b"bye"))
    out.append(bytes([255]) + ws_frame(1, b"x" * 70000))
    return out


def websocket_upgrades() -> list[bytes]:
    return [bytes([s]) + r for s in (255, 3) for r in (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 502 Bad Gateway\r\nServer: nginx\r\n\r\n")]


def http_responses() -> list[bytes]:
    bodies = [
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-T: 1\r\n\r\n",
        b"HTTP/1.0 200 OK\r\n\r\nuntil close",
        b"HTTP/1.1 204 No Content\r\n\r\n",
        b"HTTP/1.1 301 Moved\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    ]
    return [bytes([s]) + b for s in (255, 0, 4) for b in bodies]


def http_requests() -> list[bytes]:
    return [
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        b"GET /index.html?x=1 HTTP/1.0\r\n\r\n",
        b"HEAD / HTTP/1.1\r\nHost: [::1]:4443\r\nUser-Agent: curl/8\r\nAccept: */*\r\n\r\n",
    ]


def stun_responses() -> list[bytes]:
    tid = b"\x5a" * 12
    cookie = 0x2112A442
    def attr(t, v):
        return struct.pack(">HH", t, len(v)) + v + b"\x00" * (-len(v) % 4)
    x4 = attr(0x0020, struct.pack(">BBH", 0, 1, 3478 ^ (cookie >> 16)) + struct.pack(">I", 0xC0000201 ^ cookie))
    ip6 = bytes.fromhex("20010db8000000000000000000000001")
    key = struct.pack(">I", cookie) + tid
    x6 = attr(0x0020, struct.pack(">BBH", 0, 2, 3478 ^ (cookie >> 16)) + bytes(a ^ b for a, b in zip(ip6, key)))
    m4 = attr(0x0001, struct.pack(">BBH", 0, 1, 3478) + bytes([192, 0, 2, 1]))
    out = []
    for attrs in (x4, x6, m4, m4 + x4, attr(0x8022, b"server")):
        out.append(struct.pack(">HHI", 0x0101, len(attrs), cookie) + tid + attrs)
    return out


def main() -> int:
    out = Path(sys.argv[1])
    pem = PEM.encode()
    der_lines = [l for l in PEM.splitlines() if l and not l.startswith("-----")]
    import base64
    der = base64.b64decode("".join(der_lines))
    json_suite = [p.read_bytes() for p in sorted((VECTORS / "json-test-suite" / "test_parsing").glob("*.json"))]
    events = [json.dumps(e).encode() for e in signed_events()]
    corpora = {
        "dns": dns_queries(),
        "dns-message": dns_messages(),
        "mdns": mdns_packets(),
        "json": json_suite + events,
        "event": events,
        "relay-message": relay_messages(),
        "signed-record": signed_record_inputs(),
        "bech32": [AUTHOR.encode(), AUTHOR.upper().encode(), KEYS.secret_key().to_bech32().encode(),
                   n.Nip19Profile(KEYS.public_key(), [n.RelayUrl.parse("wss://relay.example")]).to_bech32().encode(),
                   b"A12UEL5L", b"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
                   b"11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j"],
        "names": [f"{AUTHOR}.nostr".encode(), f"www.{AUTHOR}.nostr".encode(), f"{AUTHOR}.local".encode(),
                  AUTHOR.encode(), b"ws://127.0.0.1:7777", b"wss://relay.example/path?x=1",
                  f"wsn://{AUTHOR}@[::1]:7000".encode(), f"wsn://{AUTHOR}".encode(),
                  f"https://{AUTHOR}.nostr:4443/x".encode(), b"192.0.2.1", b"2001:db8::1", b"::ffff:1.2.3.4"],
        "config": [b"relay = wss://relay.example\nrelay=ws://127.0.0.1:7777\n# comment\nkey = /var/lib/nostr-dns/nsec\n"
                   b"ca-file = /etc/ssl/certs/ca-certificates.crt\r\n"],
        "websocket-upgrade": websocket_upgrades(),
        "websocket-frames": websocket_frames(),
        "http-response": http_responses(),
        "http-request": http_requests(),
        "noise-acts": [bytes([0]), bytes([1]), bytes([2]), bytes([0, 5, 1]), bytes([2, 60, 128])],
        "noise-transport": [bytes([0x10, 0, 5]) + b"hello" + bytes([3]) + b"abc", bytes([0x90, 0, 2]) + b"hi",
                            bytes([0x03, 9, 4]) + b"ping" + bytes([255]) + b"x" * 255],
        "stun": stun_responses(),
        "certificate": [pem, der],
    }
    for target, seeds in corpora.items():
        d = out / target
        d.mkdir(parents=True, exist_ok=True)
        for i, s in enumerate(seeds):
            (d / f"seed-{i:03d}").write_bytes(s)
    print(f"seeds: {sum(len(s) for s in corpora.values())} inputs for {len(corpora)} targets in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
