"""W4 on CPython's asyncio: ping-pong through two asyncio.Queue(1)s — task A puts i on q1 and
gets the echo from q2, task B gets from q1 and puts it on q2 — N messages each way.

    python3 bench/asyncio_w4.py N
"""
import asyncio
import sys

from bench_common import Measure

received = 0
total = 0


async def ping(q1, q2, n):
    global received, total
    for i in range(n):
        await q1.put(i)
        total += await q2.get()
        received += 1


async def pong(q1, q2, n):
    global received
    for _ in range(n):
        v = await q1.get()
        received += 1
        await q2.put(v)


async def amain(n, m):
    q1, q2 = asyncio.Queue(1), asyncio.Queue(1)
    await asyncio.gather(ping(q1, q2, n), pong(q1, q2, n))
    m.mark()


def main():
    n = int(sys.argv[1])
    m = Measure()
    asyncio.run(amain(n, m))
    if total != n * (n - 1) // 2:
        sys.exit(f'checksum {total} != {n * (n - 1) // 2}')
    m.report(count=received)


main()
