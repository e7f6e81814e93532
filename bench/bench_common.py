"""Shared helpers for the CPython asyncio children (twin of bench/common.mjs).

Each child prints one JSON line: {wallMs, cpuMs, maxRssKiB, baseRssKiB, count, ...}.
maxRssKiB is resource.getrusage(RUSAGE_SELF).ru_maxrss (KiB on Linux).
"""
import json
import os
import resource
import sys
import time

M32 = 0xFFFFFFFF


def mulberry32(seed):
    """Bit-identical twin of mulberry32 in bench/common.mjs; yields raw u32 draws."""
    a = seed & M32

    def nxt():
        nonlocal a
        a = (a + 0x6D2B79F5) & M32
        t = ((a ^ (a >> 15)) * (1 | a)) & M32
        t = ((t + (((t ^ (t >> 7)) * (61 | t)) & M32)) & M32) ^ t
        return (t ^ (t >> 14)) & M32

    return nxt


def _fnv(h, x):
    for k in range(4):
        h ^= (x >> (8 * k)) & 0xFF
        h = (h * 0x01000193) & M32
    return h


def w2_plan(n, seed, max_delay_s):
    """Same draws, same order, same hash as w2Plan in bench/common.mjs."""
    nxt = mulberry32(seed)
    h = 0x811C9DC5
    delays = [0.0] * n
    for i in range(n):
        r = nxt()
        h = _fnv(h, r)
        delays[i] = (r / 4294967296) * max_delay_s
    idx = list(range(n))
    n_cancel = n >> 1
    for i in range(n_cancel):
        j = i + (nxt() % (n - i))
        idx[i], idx[j] = idx[j], idx[i]
        h = _fnv(h, idx[i])
    return delays, idx[:n_cancel], n - n_cancel, h


def rss_kib():
    with open('/proc/self/statm') as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf('SC_PAGE_SIZE') // 1024


class Measure:
    def __init__(self):
        self.base_rss = rss_kib()
        self.cpu0 = time.process_time()
        self.t0 = time.perf_counter()
        self.t_end = None
        self.cpu_end = None

    def mark(self):
        self.t_end = time.perf_counter()
        self.cpu_end = time.process_time()

    def report(self, **extra):
        if self.t_end is None:
            self.mark()
        line = {
            'wallMs': (self.t_end - self.t0) * 1000,
            'cpuMs': (self.cpu_end - self.cpu0) * 1000,
            'maxRssKiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            'baseRssKiB': self.base_rss,
        }
        line.update(extra)
        sys.stdout.write(json.dumps(line) + '\n')
        sys.stdout.flush()


class RssFlatness:
    """W6's flatness check, twin of RssFlatness in bench/common.mjs: RSS sampled every 4 MiB
    sent; rssEarlyKiB is the highest sample of the first quarter, rssLateKiB the highest after."""

    def __init__(self, total_bytes):
        self.quarter = total_bytes / 4
        self.next = 0
        self.early = rss_kib()
        self.late = 0

    def sample(self, sent):
        if sent < self.next:
            return
        self.next = sent + 4 * (1 << 20)
        kib = rss_kib()
        if sent <= self.quarter:
            self.early = max(self.early, kib)
        else:
            self.late = max(self.late, kib)

    def result(self):
        return {'rssEarlyKiB': self.early, 'rssLateKiB': self.late}
