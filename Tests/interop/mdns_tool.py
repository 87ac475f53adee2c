"""mDNS querier tool, run inside a test's network namespace (mdns_rig.tool).

Every socket is pinned to an interface address (IP_MULTICAST_IF), so nothing
follows a default route. Replies are parsed with python-zeroconf's
DNSIncoming (dnspython refuses compressed NSEC next-names, which RFC 6762
§18.14 allows). Prints one JSON document on stdout.

    query IFADDR NAME TYPE [--port P] [--qu] [--id N] [--dest ADDR] [--wait S]
          [--count N] [--interval S] [--known ADDR:TTL]...
        Sends COUNT queries (dnspython-built) from IFADDR:P (P=0: an ephemeral
        port, i.e. legacy unicast; 5353: a full mDNS querier, member of the
        group) to DEST (default 224.0.0.251) port 5353, and reports every
        reply within WAIT seconds after the last: source, destination
        (multicast or not, from IP_PKTINFO), id, questions, answers.
    zc IFADDR NAME v4|v6 TIMEOUT_MS
        python-zeroconf's AddressResolverIPv4/IPv6 (its own retries).
    raw IFADDR DEST HEX...
        Sends each HEX string as one datagram from IFADDR:5353 to DEST:5353.
    flood IFADDR NAME SECONDS
        For SECONDS, as fast as it can: random bytes, malformed packets
        (pointer loops, counts beyond the packet, truncated names, responses)
        and valid queries for NAME, multicast (to the group, from IFADDR:5353)
        and unicast (legacy, from an ephemeral port to IFADDR:5353).
        Only for a namespace's own links.
    spoof NAME ADDR SECONDS MIN_S MAX_S IFADDR...
        For SECONDS: an unsolicited mDNS response claiming NAME with A ADDR
        (cache-flush, TTL 120, as a host defending the name would send it),
        multicast from each IFADDR:5353 in turn, every MIN_S to MAX_S
        seconds (MIN_S 0: as fast as it can). Prints how many were sent.
    listen IFADDR NAME SECONDS
        For SECONDS, as a member of the group on IFADDR:5353: every
        response holding an A record of NAME (source, addresses, TTLs,
        cache-flush bits).
"""

import json
import select
import socket
import struct
import sys
import time

import dns.flags
import dns.message
import dns.rrset
from zeroconf import AddressResolverIPv4, AddressResolverIPv6, DNSIncoming, IPVersion, Zeroconf

GROUP = "224.0.0.251"
IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)


def make_socket(ifaddr: str, port: int) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(ifaddr))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
    if port == 5353:
        s.bind(("", 5353))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton(GROUP) + socket.inet_aton(ifaddr))
    else:
        s.bind((ifaddr, port))
    return s


def describe(data: bytes, src, dst: str, t0: float) -> dict:
    m = DNSIncoming(data)
    out = {
        "rtt_ms": round((time.perf_counter() - t0) * 1e3, 3),
        "src": src[0], "sport": src[1], "dst": dst, "multicast": dst == GROUP,
        "id": m.id, "flags": m.flags, "response": m.is_response(), "valid": m.valid,
        "questions": [{"name": q.name, "type": q.type, "class": q.class_} for q in m.questions],
        "answers": [],
    }
    for r in m.answers():
        item = {"name": r.name, "type": r.type, "ttl": r.ttl, "cache_flush": bool(r.unique)}
        if r.type == 1:
            item["addr"] = socket.inet_ntop(socket.AF_INET, r.address)
        elif r.type == 28:
            item["addr"] = socket.inet_ntop(socket.AF_INET6, r.address)
        elif r.type == 47:
            item["next"] = r.next_name
            item["rdtypes"] = sorted(r.rdtypes)
        out["answers"].append(item)
    return out


def query(argv):
    ifaddr, name, rtype = argv[0], argv[1], argv[2]
    opts = {"--port": "0", "--id": None, "--dest": GROUP, "--wait": "1.5", "--count": "1", "--interval": "0"}
    qu = False
    known = []
    i = 3
    while i < len(argv):
        if argv[i] == "--qu":
            qu = True
            i += 1
        elif argv[i] == "--known":
            addr, ttl = argv[i + 1].rsplit(":", 1)
            known.append((addr, int(ttl)))
            i += 2
        else:
            opts[argv[i]] = argv[i + 1]
            i += 2
    port = int(opts["--port"])
    s = make_socket(ifaddr, port)
    q = dns.message.make_query(name, rtype)
    q.flags &= ~dns.flags.RD
    q.id = int(opts["--id"]) if opts["--id"] is not None else (0 if port == 5353 else q.id)
    wire = bytearray(q.to_wire())
    if qu:
        # The QU bit: the top bit of the question's class (RFC 6762 §5.4), the last two bytes.
        wire[-2] |= 0x80
    for addr, ttl in known:
        rr = dns.rrset.from_text(name, ttl, "IN", rtype, addr)
        q2 = dns.message.make_query(name, rtype)
        q2.flags &= ~dns.flags.RD
        q2.id = q.id
        q2.answer.append(rr)
        wire = bytearray(q2.to_wire())
    replies = []
    t0 = time.perf_counter()
    count = int(opts["--count"])
    for k in range(count):
        s.sendto(bytes(wire), (opts["--dest"], 5353))
        if k + 1 < count and float(opts["--interval"]) > 0:
            time.sleep(float(opts["--interval"]))
    end = time.time() + float(opts["--wait"])
    while time.time() < end:
        r, _, _ = select.select([s], [], [], max(0, end - time.time()))
        if not r:
            break
        data, anc, _flags, src = s.recvmsg(9000, socket.CMSG_SPACE(12))
        dst = ""
        for level, ctype, cdata in anc:
            if level == socket.IPPROTO_IP and ctype == IP_PKTINFO and len(cdata) >= 12:
                dst = socket.inet_ntoa(cdata[8:12])
        try:
            d = describe(data, src, dst, t0)
        except Exception as exc:  # a reply we cannot parse is reported, not hidden
            d = {"src": src[0], "error": repr(exc), "hex": data.hex()}
        if d.get("response", True):
            replies.append(d)
    print(json.dumps({"sent": count, "replies": replies}))


def zc(argv):
    ifaddr, name, family, timeout = argv[0], argv[1], argv[2], int(argv[3])
    z = Zeroconf(interfaces=[ifaddr], ip_version=IPVersion.V4Only if family == "v4" else IPVersion.All)
    try:
        resolver = (AddressResolverIPv4 if family == "v4" else AddressResolverIPv6)(name)
        t = time.perf_counter()
        ok = resolver.request(z, timeout)
        print(json.dumps({"ok": ok, "addresses": resolver.parsed_addresses(),
                          "ms": round((time.perf_counter() - t) * 1e3, 2)}))
    finally:
        z.close()


def raw(argv):
    ifaddr, dest = argv[0], argv[1]
    s = make_socket(ifaddr, 5353)
    for h in argv[2:]:
        s.sendto(bytes.fromhex(h), (dest, 5353))
    print(json.dumps({"sent": len(argv) - 2}))


def flood(argv):
    import random
    ifaddr, name, seconds = argv[0], argv[1], float(argv[2])
    rng = random.Random(5353)
    group = make_socket(ifaddr, 5353)
    legacy = make_socket(ifaddr, 0)
    q = dns.message.make_query(name, "A")
    q.flags &= ~dns.flags.RD
    valid = q.to_wire()
    header = struct.pack(">HHHHHH", 0, 0, 1, 0, 0, 0)
    malformed = [
        header + b"\xc0\x0c\x00\x01\x00\x01",                              # pointer to itself
        struct.pack(">HHHHHH", 0, 0, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF) + b"\x00",  # counts beyond the packet
        header + b"\x3fabc",                                                  # truncated label
        header[:6],                                                           # short header
        struct.pack(">HHHHHH", 0, 0x8400, 0, 1, 0, 0) + b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x78\x00\x04",
        valid[:-3],                                                           # question cut short
    ]
    sent = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for _ in range(200):
            pick = rng.random()
            if pick < 0.3:
                data = rng.randbytes(rng.randrange(0, 600))
            elif pick < 0.7:
                data = rng.choice(malformed)
            else:
                data = valid
            try:
                if rng.random() < 0.5:
                    group.sendto(data, (GROUP, 5353))
                else:
                    legacy.sendto(data, (ifaddr, 5353))
                sent += 1
            except OSError:
                pass
    print(json.dumps({"sent": sent, "seconds": seconds}))


def spoof_packet(name: str, addr: str) -> bytes:
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\x00"
    header = struct.pack(">HHHHHH", 0, 0x8400, 0, 1, 0, 0)
    return header + labels + struct.pack(">HHIH", 1, 0x8001, 120, 4) + socket.inet_aton(addr)


def spoof(argv):
    import random
    name, addr, seconds, lo, hi = argv[0], argv[1], float(argv[2]), float(argv[3]), float(argv[4])
    socks = [make_socket(ifaddr, 5353) for ifaddr in argv[5:]]
    packet = spoof_packet(name, addr)
    rng = random.Random()
    sent = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            socks[sent % len(socks)].sendto(packet, (GROUP, 5353))
            sent += 1
        except OSError:
            pass
        if hi >= 0.1:
            print(json.dumps({"at": time.monotonic()}), flush=True)
        if hi > 0:
            time.sleep(rng.uniform(lo, hi))
    print(json.dumps({"sent": sent, "seconds": seconds}), flush=True)


def listen(argv):
    ifaddr, name, seconds = argv[0], argv[1].rstrip(".").lower(), float(argv[2])
    s = make_socket(ifaddr, 5353)
    seen = []
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([s], [], [], max(0, end - time.time()))
        if not r:
            break
        data, src = s.recvfrom(9000)
        try:
            m = DNSIncoming(data)
        except Exception:  # noqa: BLE001 - not ours to judge here
            continue
        if not m.is_response():
            continue
        recs = [r for r in m.answers() if r.type == 1 and r.name.rstrip(".").lower() == name]
        if recs:
            seen.append({"src": src[0], "at": time.time(),
                         "addrs": [socket.inet_ntop(socket.AF_INET, r.address) for r in recs],
                         "ttls": [r.ttl for r in recs], "cache_flush": [bool(r.unique) for r in recs]})
    print(json.dumps({"responses": seen}))


if __name__ == "__main__":
    {"query": query, "zc": zc, "raw": raw, "flood": flood, "spoof": spoof, "listen": listen}[sys.argv[1]](sys.argv[2:])
