#!/usr/bin/env python3
"""Regenerates ip-text-vectors.tsv: IP address texts and what glibc and
CPython make of them, as an independent reference for IPAddressTests.

Each line: <input> TAB <expected>, where <expected> is the RFC 5952
canonical text (CPython's ipaddress, with IPv4-mapped ::ffff:0:0/96 written
as ::ffff:a.b.c.d per RFC 5952 section 5) if glibc's inet_pton accepts the
input, else ERR. Deterministic (fixed seed). Usage: python3 make-ip-vectors.py > ip-text-vectors.tsv
"""
import ipaddress
import random
import socket

rng = random.Random(5952)


def reference(text):
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            packed = socket.inet_pton(family, text)
        except (OSError, ValueError):
            continue
        if family == socket.AF_INET:
            return str(ipaddress.IPv4Address(packed))
        a = ipaddress.IPv6Address(packed)
        if a.ipv4_mapped is not None:
            return "::ffff:" + str(a.ipv4_mapped)
        return str(a)
    return "ERR"


def random_v6():
    groups = []
    for _ in range(8):
        r = rng.random()
        groups.append(0 if r < 0.45 else rng.choice([rng.randrange(1, 16), rng.randrange(0x10000)]))
    if rng.random() < 0.05:  # IPv4-mapped
        groups[:6] = [0, 0, 0, 0, 0, 0xFFFF]
    return groups


def spell(groups):
    """A valid but usually non-canonical spelling of the groups."""
    parts = []
    for g in groups:
        s = "%x" % g
        if rng.random() < 0.3:
            s = s.rjust(rng.randrange(len(s), 5), "0")
        if rng.random() < 0.3:
            s = s.upper()
        parts.append(s)
    # Maybe compress a random run of zero groups (not necessarily the longest).
    runs = [(i, j) for i in range(8) for j in range(i + 1, 9) if all(g == 0 for g in groups[i:j])]
    if runs and rng.random() < 0.7:
        i, j = rng.choice(runs)
        return ":".join(parts[:i]) + "::" + ":".join(parts[j:])
    if rng.random() < 0.2:  # embedded IPv4 in the last 32 bits
        v4 = (groups[6] << 16) | groups[7]
        return ":".join(parts[:6]) + ":" + str(ipaddress.IPv4Address(v4))
    return ":".join(parts)


def mutate(text):
    alphabet = "0123456789abcdefABCDEFg:.%[] -+/"
    s = list(text)
    for _ in range(rng.randrange(1, 3)):
        op = rng.randrange(3)
        i = rng.randrange(len(s) + 1)
        if op == 0 or not s:
            s.insert(i, rng.choice(alphabet))
        elif op == 1:
            del s[min(i, len(s) - 1)]
        else:
            s[min(i, len(s) - 1)] = rng.choice(alphabet)
    return "".join(s)


fixed = [
    "", ".", ":", "::", ":::", "::1", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7:8:9", "1::2::3", "1:::2", ":1::2", "1::2:", "12345::", "::ffff:1.2.3.4",
    "::1.2.3.4", "1::1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3", "::1.2.3.4.5",
    "::01.2.3.4", "::1.2.3.04", "::256.1.1.1", "::1.2.3.4:5", "::ffff:1.2.3.4.", "fe80::1%eth0", "[::1]",
    "0.0.0.0", "255.255.255.255", "256.0.0.0", "1.2.3", "1.2.3.4.", ".1.2.3.4", "1..2.3", "01.2.3.4",
    "1.2.3.00", "0x1.2.3.4", "+1.2.3.4", " 1.2.3.4", "1.2.3.4 ", "1.2.3.-4", "1.2.3.4.5", "1234.1.1.1",
    "127.1", "2001:DB8::1", "2001:0db8:0000:0000:0000:0000:0002:0001", "2001:db8:0:0:1:0:0:1",
    "2001:db8::0:1:0:0:1", "0:0:0:0:0:0:0:0", "::0:0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    "1:0:0:2:0:0:0:3", "1:0:0:0:2:0:0:3", "0:1:0:0:0:0:0:0", "::ffff:0:0", "::ffff:0.0.0.0",
    "64:ff9b::192.0.2.33", "::ffff:ffff:ffff", "0:0:0:0:0:ffff:c000:0201", "1:2:3:4:5:6:7:8.",
    "g::1", "::-1", "1::+2", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8",
]

cases = list(fixed)
for _ in range(300):
    cases.append(spell(random_v6()))
for _ in range(60):
    cases.append(str(ipaddress.IPv4Address(rng.randrange(1 << 32))))
for _ in range(400):
    base = rng.choice(cases[len(fixed):] + fixed)
    cases.append(mutate(base))

seen = set()
for c in cases:
    if c in seen or "\t" in c or "\n" in c:
        continue
    seen.add(c)
    print(c + "\t" + reference(c))
