"""W7 on CPython's asyncio (or uvloop): work off the loop.

    python3 bench/asyncio_w7.py thread N     N sequential asyncio.to_thread round trips of a
                                             trivial function (calls/s)
    python3 bench/asyncio_w7.py spawn B      B batches of 64 concurrent create_subprocess_exec('true')
                                             + wait() (spawns/s)
"""
import asyncio
import sys

from bench_common import Measure

CONCURRENT = 64


def inc(x):
    return x + 1


async def threads(n):
    total = 0
    for i in range(n):
        total += await asyncio.to_thread(inc, i)
    if total != n * (n + 1) // 2:
        sys.exit(f'checksum {total} != {n * (n + 1) // 2}')
    return n


async def one():
    proc = await asyncio.create_subprocess_exec('true')
    return await proc.wait()


async def spawns(batches):
    ok = 0
    for _ in range(batches):
        codes = await asyncio.gather(*[one() for _ in range(CONCURRENT)])
        ok += sum(1 for c in codes if c == 0)
    return ok


async def amain(mode, n, meas):
    count = await (threads(n) if mode == 'thread' else spawns(n))
    meas.mark()
    return count


def main():
    mode, n = sys.argv[1], int(sys.argv[2])
    if mode not in ('thread', 'spawn'):
        sys.exit(f'unknown mode {mode}')
    meas = Measure()
    count = asyncio.run(amain(mode, n, meas))
    meas.report(count=count)


main()
