"""Serve rust-nostr's LocalRelay (nostr-sdk 0.45.1) on HOST:PORT until killed.

A test peer in its own process, so it keeps its own event loop. The default
rate limit (which answers "rate-limited: slow down") is lifted.
    python local_relay_serve.py 127.0.0.1 PORT
"""
import asyncio
import signal
import sys

from nostr_sdk import LocalRelayBuilder, RateLimit


async def main(host: str, port: int):
    relay = (LocalRelayBuilder().addr(host).port(port)
             .rate_limit(RateLimit(max_reqs=10000, notes_per_minute=1_000_000))
             .build())
    await relay.run()  # returns once listening
    print(f"listening {host} {port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    relay.shutdown()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
