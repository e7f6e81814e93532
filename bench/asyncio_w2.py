"""W2 on CPython's asyncio: loop.call_later with seeded delays, half cancelled.

    python3 bench/asyncio_w2.py N SEED
"""
import asyncio
import sys

from bench_common import Measure, w2_plan


def main():
    n_total, seed = int(sys.argv[1]), int(sys.argv[2])
    delays, cancel_order, n_keep, h = w2_plan(n_total, seed, 0.05)
    loop = asyncio.new_event_loop()
    handles = [None] * n_total
    fired = 0

    def cb():
        nonlocal fired
        fired += 1
        if fired == n_keep:
            m.mark()
            loop.stop()

    call_later = loop.call_later
    m = Measure()
    for i in range(n_total):
        handles[i] = call_later(delays[i], cb)
    for i in cancel_order:
        handles[i].cancel()
    loop.run_forever()
    loop.close()
    m.report(count=fired, hash=h)


main()
