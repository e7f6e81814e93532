// Shared helpers for the benchmark children (run by bench/run.mjs, one process per measurement).
//
// Every child prints exactly one JSON line on stdout:
//   { wallMs, cpuMs, maxRssKiB, baseRssKiB, count, ...extra }
// wallMs  — wall time from just before the first schedule call until the last callback ran;
// cpuMs   — user+system CPU of the process over the same span;
// maxRssKiB  — peak RSS of the whole process (process.resourceUsage().maxRSS, KiB on Linux);
// baseRssKiB — RSS just before the measured span (after imports and input generation).
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

/** dist/index.mjs, or the module named by $WASYNCIO_ENTRY (to bench another build). */
export function wasyncioEntry() {
  const e = process.env.WASYNCIO_ENTRY;
  return e ? pathToFileURL(e).href : new URL('../dist/index.mjs', import.meta.url).href;
}

/** mulberry32, returning raw u32 draws. bench/asyncio_w2.py has the bit-identical twin. */
export function mulberry32(seed) {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

const FNV_OFFSET = 0x811c9dc5;
function fnv(h, x) {
  // FNV-1a over the four bytes of a u32, little-endian.
  for (let k = 0; k < 4; k++) {
    h ^= (x >>> (8 * k)) & 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * The W2 input, generated before the clock starts: n delays in [0, maxDelayS) seconds, and
 * exactly n/2 distinct indices to cancel (a partial Fisher–Yates shuffle), in cancel order.
 * `hash` covers every draw and the cancel order, so run.mjs can check that all contenders
 * (JS and Python) ran the very same schedule.
 */
export function w2Plan(n, seed, maxDelayS) {
  const next = mulberry32(seed);
  const delayS = new Float64Array(n);
  let hash = FNV_OFFSET;
  for (let i = 0; i < n; i++) {
    const r = next();
    hash = fnv(hash, r);
    delayS[i] = (r / 4294967296) * maxDelayS;
  }
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const nCancel = n >>> 1;
  for (let i = 0; i < nCancel; i++) {
    const j = i + (next() % (n - i));
    const tmp = idx[i]; idx[i] = idx[j]; idx[j] = tmp;
    hash = fnv(hash, idx[i]);
  }
  const cancelOrder = idx.subarray(0, nCancel);
  let maxKeptS = 0;
  const cancelled = new Uint8Array(n);
  for (const i of cancelOrder) cancelled[i] = 1;
  for (let i = 0; i < n; i++) if (!cancelled[i] && delayS[i] > maxKeptS) maxKeptS = delayS[i];
  return { delayS, cancelOrder, nKeep: n - nCancel, hash: hash >>> 0, maxKeptS };
}

/** Starts the measured span; returns a function that ends it and prints the JSON line. */
export function startMeasure() {
  const baseRssKiB = Math.round(process.memoryUsage.rss() / 1024);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let tEnd = 0;
  let cpuEnd = null;
  return {
    /** Call from the last callback: freezes wall and CPU time. */
    mark() {
      tEnd = performance.now();
      cpuEnd = process.cpuUsage(cpu0);
    },
    report(extra = {}) {
      if (cpuEnd === null) this.mark();
      const line = {
        wallMs: tEnd - t0,
        cpuMs: (cpuEnd.user + cpuEnd.system) / 1000,
        maxRssKiB: process.resourceUsage().maxRSS,
        baseRssKiB,
        ...extra,
      };
      process.stdout.write(JSON.stringify(line) + '\n');
    },
  };
}

export function argInt(s, name) {
  const v = Number(s);
  if (!Number.isInteger(v) || v <= 0) {
    process.stderr.write(`bad ${name}: ${s}\n`);
    process.exit(2);
  }
  return v;
}

/**
 * A contender that cannot run this workload in this build: prints `{ skipped: reason }` (and
 * the reason on stderr) and exits 0. run.mjs shows the reason instead of a time and does not
 * retry the cell in later rounds.
 */
export function skip(reason) {
  process.stderr.write(`skipped: ${reason}\n`);
  process.stdout.write(JSON.stringify({ skipped: reason }) + '\n');
  process.exit(0);
}

/** Sum 0 + 1 + … + (n − 1): the checksum of the values W4's ping side gets back. */
export const w4Checksum = (n) => (n * (n - 1)) / 2;

/**
 * W6's flatness check: RSS sampled every 4 MiB sent; `rssEarlyKiB` is the highest sample of the
 * first quarter of the transfer, `rssLateKiB` the highest after it. Memory that grows with the
 * bytes sent shows as late − early ≈ ¾ of the growth; flat memory as ≈ 0, whatever the size.
 * bench/bench_common.py has the twin.
 */
export class RssFlatness {
  constructor(totalBytes) {
    this.quarter = totalBytes / 4;
    this.next = 0;
    this.early = Math.round(process.memoryUsage.rss() / 1024);
    this.late = 0;
  }
  /** Call after each write with the bytes sent so far (cheap: reads RSS every 4 MiB). */
  sample(sent) {
    if (sent < this.next) return;
    this.next = sent + 4 * 2 ** 20;
    const kib = Math.round(process.memoryUsage.rss() / 1024);
    if (sent <= this.quarter) { if (kib > this.early) this.early = kib; } else if (kib > this.late) this.late = kib;
  }
  result() {
    return { rssEarlyKiB: this.early, rssLateKiB: this.late };
  }
}
