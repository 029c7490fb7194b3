# Debian's python3-websockets as a client of our echo server: argv[1] is the URL. Prints one JSON line.
import asyncio
import json
import sys

import websockets


async def main(url):
    sent = ["hello", "κόσμε ✓", "y" * 70000, bytes([0, 1, 2, 255]), "compressible " * 5000]
    got = []
    async with websockets.connect(url, compression="deflate", max_size=2**20) as ws:
        for m in sent:
            await ws.send(m)
            got.append(await ws.recv())
        pong = await ws.ping(b"py")
        await asyncio.wait_for(pong, 5)
        extensions = [e.name for e in ws.extensions]
        await ws.close(4002, "done")
        code = ws.close_code
    print(json.dumps({"equal": got == sent, "count": len(got), "code": code, "extensions": extensions}))


asyncio.run(main(sys.argv[1]))
