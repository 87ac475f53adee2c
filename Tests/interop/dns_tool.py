"""Raw DNS peers for the forwarder and amplification tests (issue 16 item 5),
run inside a network namespace as `python dns_tool.py COMMAND ...`:

- `burst SRC DEST PORT NAME TYPE N [--edns SIZE] [--wait S]`: sends N queries
  from SRC (one UDP socket, as a spoofed flood would) and counts what comes
  back; prints JSON {sent, sent_bytes, replies, reply_bytes, truncated, largest}.
- `publish URL EVENT-JSON`: a signed event to a relay in the namespace.
- `upstream ADDR PORT`: a plain DNS server over UDP and TCP (dnspython) that
  answers `big.example. TXT` with about 4 kB of TXT strings, any other name
  with `A 203.0.113.5`; ignores the client's EDNS size on purpose (as a
  careless upstream would), so the forwarder's own cap is what is tested.
"""

from __future__ import annotations

import json
import select
import socket
import socketserver
import struct
import sys
import threading
import time

import dns.flags
import dns.message
import dns.rrset


def burst(src: str, dest: str, port: int, name: str, rdtype: str, n: int, edns: int | None, wait: float) -> dict:
    family = socket.AF_INET6 if ":" in dest else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    q = dns.message.make_query(name, rdtype, use_edns=edns is not None, payload=edns or 512)
    out = {"sent": 0, "sent_bytes": 0, "replies": 0, "reply_bytes": 0, "truncated": 0, "largest": 0}
    s.setblocking(False)

    def drain():
        while True:
            try:
                data = s.recv(65535)
            except BlockingIOError:
                return
            out["replies"] += 1
            out["reply_bytes"] += len(data)
            out["largest"] = max(out["largest"], len(data))
            if len(data) >= 3 and data[2] & 0x02:
                out["truncated"] += 1

    for i in range(n):
        q.id = i & 0xFFFF
        wire = q.to_wire()
        s.sendto(wire, (dest, port))
        out["sent"] += 1
        out["sent_bytes"] += len(wire)
        drain()
    end = time.time() + wait
    while time.time() < end:
        select.select([s], [], [], 0.1)
        drain()
    return out


def answer(wire: bytes) -> bytes:
    q = dns.message.from_wire(wire)
    r = dns.message.make_response(q)
    r.flags |= dns.flags.RA
    qname = q.question[0].name
    if qname.to_text().lower() == "big.example.":
        strings = " ".join('"' + ("%02d" % i) * 100 + '"' for i in range(20))  # 20 x 200 octets
        r.answer.append(dns.rrset.from_text(qname, 60, "IN", "TXT", strings))
    else:
        r.answer.append(dns.rrset.from_text(qname, 60, "IN", "A", "203.0.113.5"))
    return r.to_wire(max_size=65535)


def upstream(addr: str, port: int):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET

    class TCP(socketserver.BaseRequestHandler):
        def handle(self):
            while True:
                head = self.request.recv(2)
                if len(head) < 2:
                    return
                (length,) = struct.unpack("!H", head)
                data = b""
                while len(data) < length:
                    chunk = self.request.recv(length - len(data))
                    if not chunk:
                        return
                    data += chunk
                a = answer(data)
                self.request.sendall(struct.pack("!H", len(a)) + a)

    class Server(socketserver.ThreadingTCPServer):
        address_family = family
        allow_reuse_address = True
        daemon_threads = True

    tcp = Server((addr, port), TCP)
    threading.Thread(target=tcp.serve_forever, daemon=True).start()
    u = socket.socket(family, socket.SOCK_DGRAM)
    u.bind((addr, port))
    print("ready", flush=True)
    while True:
        data, peer = u.recvfrom(65535)
        try:
            u.sendto(answer(data), peer)
        except Exception as e:  # a malformed query: no answer
            print("dropped:", e, flush=True)


def main(argv: list[str]) -> int:
    cmd = argv[0]
    if cmd == "burst":
        src, dest, port, name, rdtype, n = argv[1], argv[2], int(argv[3]), argv[4], argv[5], int(argv[6])
        edns = int(argv[argv.index("--edns") + 1]) if "--edns" in argv else None
        wait = float(argv[argv.index("--wait") + 1]) if "--wait" in argv else 2.0
        print(json.dumps(burst(src, dest, port, name, rdtype, n, edns, wait)))
        return 0
    if cmd == "publish":  # URL EVENT-JSON: a signed event to a relay in this namespace
        import peers
        print(json.dumps(peers.raw_publish(argv[1], json.loads(argv[2]))))
        return 0
    if cmd == "upstream":
        upstream(argv[1], int(argv[2]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
