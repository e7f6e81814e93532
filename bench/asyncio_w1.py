"""W1 on CPython's asyncio: loop.call_soon, chained or scheduled up front.

    python3 bench/asyncio_w1.py chained|upfront N
"""
import asyncio
import sys

from bench_common import Measure


def main():
    mode, n_total = sys.argv[1], int(sys.argv[2])
    loop = asyncio.new_event_loop()
    n = 0
    m = None

    if mode == 'chained':
        def step():
            nonlocal n
            n += 1
            if n == n_total:
                m.mark()
                loop.stop()
            else:
                loop.call_soon(step)

        m = Measure()
        loop.call_soon(step)
    elif mode == 'upfront':
        def cb():
            nonlocal n
            n += 1
            if n == n_total:
                m.mark()
                loop.stop()

        m = Measure()
        call_soon = loop.call_soon
        for _ in range(n_total):
            call_soon(cb)
    else:
        sys.exit(f'unknown mode {mode}')
    loop.run_forever()
    loop.close()
    m.report(count=n)


main()
