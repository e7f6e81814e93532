"""W3 on CPython's asyncio: N tasks, each doing asyncio.sleep(0) ten times, gathered.

    python3 bench/asyncio_w3.py N
"""
import asyncio
import sys

from bench_common import Measure

steps = 0


async def worker():
    global steps
    for _ in range(10):
        await asyncio.sleep(0)
        steps += 1


async def amain(n, m):
    await asyncio.gather(*[worker() for _ in range(n)])
    m.mark()


def main():
    n = int(sys.argv[1])
    m = Measure()
    asyncio.run(amain(n, m))
    m.report(count=steps)


main()
