"""A TCP proxy to PostgreSQL that holds everything the client sends for a fixed delay before
passing it on (bench/round-trips): a request then takes about as many delays longer as it has
flights of statements that wait for an answer before the next is sent, whatever the machine.

    python3 bench/delay_proxy.py --listen PORT --delay-ms 20 [--to 127.0.0.1:5432]

Chunks keep their order; each is passed on `delay` after it arrived, not after the one before it,
so statements sent together (pipelined) arrive together. Answers come back undelayed.
"""

import argparse
import asyncio
import time


async def forward_delayed(reader, writer, delay):
    queue = asyncio.Queue()

    async def send():
        while True:
            due, data = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                writer.close()
                return
            writer.write(data)
            await writer.drain()

    sender = asyncio.create_task(send())
    while True:
        data = await reader.read(65536)
        await queue.put((time.monotonic() + delay, data))
        if not data:
            break
    await sender


async def forward(reader, writer):
    while True:
        data = await reader.read(65536)
        if not data:
            writer.close()
            return
        writer.write(data)
        await writer.drain()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--delay-ms", type=float, required=True)
    parser.add_argument("--to", default="127.0.0.1:5432")
    args = parser.parse_args()
    host, port = args.to.rsplit(":", 1)
    delay = args.delay_ms / 1000

    async def handle(client_reader, client_writer):
        server_reader, server_writer = await asyncio.open_connection(host, int(port))
        await asyncio.gather(
            forward_delayed(client_reader, server_writer, delay),
            forward(server_reader, client_writer),
            return_exceptions=True,
        )

    async def serve():
        server = await asyncio.start_server(handle, "127.0.0.1", args.listen)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
