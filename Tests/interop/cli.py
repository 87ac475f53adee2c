"""Helpers for driving the nostr-dns command line against real peers.

The CONTRACT these tests hold the binary to (publish-ip, publish-cert, resolve):
output of publish-*, per event, is a line `published kind <K> id <64 hex>`,
then one line per relay: `accepted <url>`, `rejected <url>: <message>` or
`failed <url>: <error>`. resolve prints addresses like `dig +short`, or one
JSON object with --json. Exit codes: 0 ok, 1 failure, 2 usage, 3 not found.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

from nostr_sdk import Keys

import peers
from conftest import make_key_dir, write_key_file

PUBLISHED_RE = re.compile(r"^published kind (\d+) id ([0-9a-f]{64})$")
RESULT_RE = re.compile(r"^(accepted|rejected|failed) (\S+?)(?:: (.*))?$")

# The resolver gives up after --timeout plus "a little": this much.
SLACK = 3.0


def out(proc) -> str:
    return proc.stdout.decode("utf-8", "replace")


def err(proc) -> str:
    return proc.stderr.decode("utf-8", "replace")


def show(proc) -> str:
    return f"exit {proc.returncode}\n--- stdout:\n{out(proc)}--- stderr:\n{err(proc)}"


def assert_usage_error(proc, *mentions: str):
    """Exit 2, nothing on stdout, a reason on stderr that is about the argument
    (not "unknown command"), naming at least one of mentions when given."""
    assert proc.returncode == 2, show(proc)
    assert out(proc) == "", show(proc)
    e = err(proc)
    assert e.strip(), "a usage error needs a reason on stderr"
    assert "unknown command" not in e.lower(), show(proc)
    if mentions:
        assert any(m in e for m in mentions), f"stderr should name one of {mentions}:\n{e}"


def norm_url(url: str) -> str:
    """Relay URLs compare without a trailing slash and case-insensitively (scheme, host)."""
    return url.rstrip("/").lower()


@dataclass
class Block:
    kind: int
    id: str
    results: dict  # norm_url -> (status, message or None)


def parse_publish(stdout: str) -> list[Block]:
    """The publish-* report; any line that is not in the contract's format fails."""
    blocks: list[Block] = []
    for line in stdout.splitlines():
        m = PUBLISHED_RE.match(line)
        if m:
            blocks.append(Block(int(m.group(1)), m.group(2), {}))
            continue
        m = RESULT_RE.match(line)
        assert m and blocks, f"line not in the publish report format: {line!r}\n{stdout}"
        status, url, message = m.groups()
        if status in ("rejected", "failed"):
            assert message, f"{status} needs a reason: {line!r}"
        blocks[-1].results[norm_url(url)] = (status, message)
    return blocks


@dataclass
class Host:
    """A key made by rust-nostr and stored in a key file for nostr-dns."""
    keys: Keys
    key_path: Path

    @property
    def npub(self) -> str:
        return self.keys.public_key().to_bech32()

    @property
    def hex(self) -> str:
        return self.keys.public_key().to_hex()

    @property
    def name(self) -> str:
        return f"{self.npub}.nostr"


def new_host(tmp_path: Path, tag: str = "") -> Host:
    keys = Keys.generate()
    parent = tmp_path / f"host-{keys.public_key().to_hex()[:8]}{tag}"
    parent.mkdir(parents=True)
    d = make_key_dir(parent)
    return Host(keys, write_key_file(d, keys.secret_key().to_bech32()))


def relay_args(*urls: str) -> list[str]:
    args = []
    for u in urls:
        args += ["--relay", u]
    return args


def address_record(keys, ip4=(), ip6=(), d="", ttl=None, created_at=None, extra=(), kind=30053):
    """A kind 30053 address record signed by rust-nostr."""
    tags = [["d", d], *[["ip4", a] for a in ip4], *[["ip6", a] for a in ip6]]
    if ttl is not None:
        tags.append(["ttl", str(ttl)])
    tags.append(["alt", "DNS records"])
    tags += [list(t) for t in extra]
    return peers.sdk_event(keys, kind, "", tags, created_at)


def seed_record(keys, ip: str, created_at=None, content: str | None = None):
    """The proof of concept's kind 30000 record: content {"ip": ...} (json.dumps), no tags."""
    return peers.sdk_event(keys, 30000, content if content is not None else json.dumps({"ip": ip}), [],
                           created_at)


def record_filter(host_hex: str, kind: int = 30053, d: str | None = "") -> dict:
    f = {"kinds": [kind], "authors": [host_hex]}
    if d is not None:
        f["#d"] = [d]
    return f


def tag_values(tags, name: str) -> list[str]:
    return [t[1] for t in tags if t and t[0] == name and len(t) > 1]


def assert_single_tag(tags, name: str, value: str):
    found = [t for t in tags if t and t[0] == name]
    assert found == [[name, value]], f"tag {name}: expected exactly [{name!r}, {value!r}], got {found}"


def now() -> int:
    return int(time.time())


def timed(fn, *args, **kwargs):
    start = time.monotonic()
    result = fn(*args, **kwargs)
    return result, time.monotonic() - start
