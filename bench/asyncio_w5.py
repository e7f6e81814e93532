"""W5 on CPython's asyncio (or uvloop, through uvloop_run.py): TCP echo on 127.0.0.1 through
streams. C clients connect to one server in the same process; each sends M messages of S bytes,
one at a time, and waits for each echo (request/response). Every byte of a client's payload is
its own tag, so a mixed-up echo is caught.

    python3 bench/asyncio_w5.py C M S
"""
import asyncio
import sys

from bench_common import Measure


async def handle(reader, writer, size):
    try:
        while True:
            data = await reader.readexactly(size)
            writer.write(data)
            await writer.drain()
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise
    writer.close()


async def client(port, tag, m, size):
    payload = bytes([tag]) * size
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    ok = 0
    for _ in range(m):
        writer.write(payload)
        await writer.drain()
        data = await reader.readexactly(size)
        if data[0] == tag and data[-1] == tag:
            ok += 1
    writer.close()
    await writer.wait_closed()
    return ok


async def amain(c, m, size):
    server = await asyncio.start_server(lambda r, w: handle(r, w, size), '127.0.0.1', 0)
    port = server.sockets[0].getsockname()[1]
    meas = Measure()
    oks = await asyncio.gather(*[client(port, i % 251, m, size) for i in range(c)])
    meas.mark()
    server.close()
    await server.wait_closed()
    return meas, sum(oks)


def main():
    c, m, size = (int(a) for a in sys.argv[1:4])
    meas, count = asyncio.run(amain(c, m, size))
    meas.report(count=count)


main()
