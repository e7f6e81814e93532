"""W6 on CPython's asyncio (or uvloop): bulk transfer over one TCP connection on 127.0.0.1
through streams. The client writes MIB MiB in 64 KiB chunks (drain() after each) while a
second task reads the echo; the server echoes with read(64 KiB) / write / drain(). So MIB MiB
go each way, and back-pressure is all that keeps memory flat. RSS is sampled every 4 MiB sent
(RssFlatness in bench_common.py).

    python3 bench/asyncio_w6.py MIB
"""
import asyncio
import sys

from bench_common import Measure, RssFlatness

CHUNK = 64 * 1024
MIB = 1 << 20


async def echo(reader, writer):
    while True:
        data = await reader.read(CHUNK)
        if not data:
            break
        writer.write(data)
        await writer.drain()
    writer.close()


async def send(writer, total, flat):
    chunk = b'\xab' * CHUNK
    sent = 0
    while sent < total:
        n = min(CHUNK, total - sent)
        writer.write(chunk if n == CHUNK else chunk[:n])
        await writer.drain()
        sent += n
        flat.sample(sent)
    writer.write_eof()


async def receive(reader):
    got = 0
    while True:
        data = await reader.read(CHUNK)
        if not data:
            return got
        got += len(data)


async def amain(total, flat):
    server = await asyncio.start_server(echo, '127.0.0.1', 0)
    port = server.sockets[0].getsockname()[1]
    meas = Measure()
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    _, got = await asyncio.gather(send(writer, total, flat), receive(reader))
    meas.mark()
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()
    return meas, got


def main():
    mib = int(sys.argv[1])
    flat = RssFlatness(mib * MIB)
    meas, got = asyncio.run(amain(mib * MIB, flat))
    if got != mib * MIB:
        sys.exit(f'received {got} bytes, expected {mib * MIB}')
    meas.report(count=got // MIB, **flat.result())


main()
