"""A TCP proxy in front of a real relay that logs what the client asks for.

    python relay_tap.py LISTEN_PORT RELAY_PORT [DELAY_MS]

Every WebSocket connection from the client under test is passed to the relay
on 127.0.0.1:RELAY_PORT unchanged. The client's frames (RFC 6455 §5.2,
masked) are parsed on the way, and each text message that is a NIP-01 REQ
or CLOSE is logged as a line "REQ <subscription id> <payload bytes>" or
"CLOSE <subscription id>". With DELAY_MS, what the relay sends reaches the
client that much later (a slow relay, for rollback tests).
"""
import asyncio
import json
import sys


def unmask(data: bytes, key: bytes) -> bytes:
    return bytes(b ^ key[i % 4] for i, b in enumerate(data))


async def main(listen: int, upstream: int, delay: float):
    async def client_to_relay(reader, writer):
        buf = b""
        head_done = False
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                break
            writer.write(chunk)
            await writer.drain()
            buf += chunk
            if not head_done:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    continue
                buf = buf[end + 4:]
                head_done = True
            while len(buf) >= 2:
                opcode = buf[0] & 0x0F
                length = buf[1] & 0x7F
                pos = 2
                if length == 126:
                    if len(buf) < 4:
                        break
                    length = int.from_bytes(buf[2:4], "big")
                    pos = 4
                elif length == 127:
                    if len(buf) < 10:
                        break
                    length = int.from_bytes(buf[2:10], "big")
                    pos = 10
                masked = buf[1] & 0x80
                key = buf[pos:pos + 4] if masked else b"\0\0\0\0"
                pos += 4 if masked else 0
                if len(buf) < pos + length:
                    break
                if opcode == 1:
                    text = unmask(buf[pos:pos + min(length, 96)], key).decode("utf-8", "replace")
                    if text.startswith('["REQ"') or text.startswith('["CLOSE"'):
                        verb = "REQ" if text.startswith('["REQ"') else "CLOSE"
                        sub = text.split('"')[3] if text.count('"') >= 4 else "?"
                        print(f"{verb} {sub} {length}", flush=True)
                buf = buf[pos + length:]
        writer.close()

    async def relay_to_client(reader, writer):
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                break
            if delay:
                await asyncio.sleep(delay)
            writer.write(chunk)
            await writer.drain()
        writer.close()

    async def handle(c_reader, c_writer):
        try:
            r_reader, r_writer = await asyncio.open_connection("127.0.0.1", upstream)
        except OSError:
            c_writer.close()
            return
        await asyncio.gather(client_to_relay(c_reader, r_writer), relay_to_client(r_reader, c_writer),
                             return_exceptions=True)

    server = await asyncio.start_server(handle, "127.0.0.1", listen)
    print(f"listening 127.0.0.1 {listen}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]) / 1000 if len(sys.argv) > 3 else 0))
