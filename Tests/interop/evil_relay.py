"""ATTACKER. Not a relay: a raw-websockets server that plays a malicious relay.

Real relays refuse forged events, so this script exists only to deliver them
(forged signatures, bad ids, other authors, wrong d tags, future or expired
records) to the client under test. It never validates anything.

    python evil_relay.py PORT EVENTS_JSON_FILE [serve|mute|hostile-text]

serve: every REQ, whatever its filters, is answered with every event in the
       file (in file order), then EOSE. Every EVENT gets OK true.
mute:  the WebSocket handshake completes, then nothing is ever sent.
hostile-text: every message that carries relay text does so with terminal
       escape sequences and line feeds that forge a log line (HOSTILE_TEXT):
       a NOTICE on connection, every REQ answered CLOSED, every EVENT
       answered OK false.
Each REQ received is logged as a line "REQ <json>".
"""
import asyncio
import json
import sys

import websockets

# ESC [ 2 J clears the screen, ESC ] 0 ; … BEL sets the window title, the
# line feed starts a forged log line, C1 CSI (U+009B) colours on some terminals.
HOSTILE_TEXT = "blocked: \x1b[2J\x1b]0;pwned\x07\nnostr-dns: FORGED LINE\r\u009b31mred"


async def main(port: int, events_file: str, mode: str):
    events = json.load(open(events_file, encoding="utf-8"))

    async def handler(ws):
        if mode == "hostile-text":
            await ws.send(json.dumps(["NOTICE", HOSTILE_TEXT]))
        async for raw in ws:
            if mode == "mute":
                continue
            try:
                msg = json.loads(raw)
            except ValueError:
                continue
            if msg and msg[0] == "REQ":
                print("REQ " + json.dumps(msg), flush=True)
            if mode == "hostile-text":
                if msg and msg[0] == "REQ":
                    await ws.send(json.dumps(["NOTICE", HOSTILE_TEXT]))
                    await ws.send(json.dumps(["CLOSED", msg[1], HOSTILE_TEXT]))
                elif msg and msg[0] == "EVENT":
                    await ws.send(json.dumps(["OK", msg[1].get("id", ""), False, HOSTILE_TEXT]))
                continue
            if msg and msg[0] == "REQ":
                sub = msg[1]
                for ev in events:
                    await ws.send(json.dumps(["EVENT", sub, ev]))
                await ws.send(json.dumps(["EOSE", sub]))
            elif msg and msg[0] == "EVENT":
                await ws.send(json.dumps(["OK", msg[1].get("id", ""), True, ""]))

    async with websockets.serve(handler, "127.0.0.1", port):
        print(f"listening 127.0.0.1 {port} {mode}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "serve"))
