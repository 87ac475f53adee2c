"""The proof of concept's lookup, done with its nostr stack (electrum-aionostr).

One cold process: import the library, connect to the relay, REQ kind 30053 by
author and #d, keep the newest event whose signature verifies (electrum-aionostr
checks the id and BIP-340 signature when it parses an event; verify() again
here), print its ip4 tags one per line. Exit 3 when there is none.

    python aionostr_lookup.py RELAY_URL PUBKEY_HEX [LABEL]
"""
import asyncio
import sys

from electrum_aionostr import Manager


async def lookup(url: str, pubkey: str, label: str) -> list[str]:
    query = {"kinds": [30053], "authors": [pubkey], "#d": [label]}
    async with Manager([url], connect_timeout=5) as manager:
        events = [ev async for ev in manager.get_events(query, only_stored=True)]
    valid = [ev for ev in events
             if ev.verify() and ev.pubkey == pubkey and ev.kind == 30053
             and [t[1] for t in ev.tags if t[:1] == ["d"] and len(t) > 1][:1] == [label]]
    if not valid:
        return []
    best = min(valid, key=lambda ev: (-ev.created_at, ev.id))
    return [t[1] for t in best.tags if len(t) > 1 and t[0] == "ip4"]


def main() -> int:
    url, pubkey = sys.argv[1], sys.argv[2]
    label = sys.argv[3] if len(sys.argv) > 3 else ""
    addresses = asyncio.run(lookup(url, pubkey, label))
    for a in addresses:
        print(a)
    return 0 if addresses else 3


if __name__ == "__main__":
    sys.exit(main())
