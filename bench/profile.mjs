// Profile one wasyncio bench child with `node --cpu-prof` and print the hottest functions.
//   node bench/profile.mjs w1c|w1u|w2|w3|w4 [wasm|js] [--top=25] [--n=N]
//   node bench/profile.mjs w3|w4 effect|effection|node [--top=25]   (the other JS contenders, to compare)
// --lines: also the hottest source lines inside the hottest non-builtin functions (V8's
//          positionTicks), e.g. which statement of Task's constructor is slow;
// --gc:    run the child once more under --trace-gc and summarize the collector's work (how many
//          scavenges / mark-compacts, their total pause, how much survived each scavenge).
// WASYNCIO_ENTRY is passed through, so another build can be profiled.
// The .cpuprofile is left in $TMPDIR/wasyncio-prof/ (open it in Chrome DevTools for a flame chart).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import os from 'node:os';

const here = path.dirname(fileURLToPath(import.meta.url));
const [wl = 'w1c', core = 'wasm'] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const top = Number(process.argv.find((a) => a.startsWith('--top='))?.slice(6) ?? 25);
const nArg = process.argv.find((a) => a.startsWith('--n='))?.slice(4);
const other = ['effect', 'effection', 'node'].includes(core);
const child = (base, ...rest) => (other ? [`${core}_${base}`, ...rest] : [base, core, ...rest]);
const args = {
  w1c: ['w1.mjs', core, 'chained', nArg ?? 1_000_000],
  w1u: ['w1.mjs', core, 'upfront', nArg ?? 1_000_000],
  w2: ['w2.mjs', core, nArg ?? 200_000, 42],
  w3: child('w3.mjs', nArg ?? 100_000),
  w4: child('w4.mjs', nArg ?? 200_000),
}[wl];
if (!args || (other && !['w3', 'w4'].includes(wl))) { console.error('workload: w1c | w1u | w2 | w3 | w4 (effect|effection|node: w3, w4 only)'); process.exit(2); }

const dir = path.join(os.tmpdir(), 'wasyncio-prof');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const r = spawnSync(process.execPath,
  ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=100', path.join(here, args[0]), ...args.slice(1).map(String)],
  { encoding: 'utf8' });
process.stdout.write(`child: ${r.stdout}${r.stderr}`);
if (/"skipped"/.test(r.stdout)) process.exit(0);
const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
if (!file) { console.error('no profile written'); process.exit(1); }
const prof = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));

// self time per node = samples hitting it × the mean sample interval
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const counts = new Map();
for (const s of prof.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
const total = prof.samples.length;
const agg = new Map();
for (const [id, c] of counts) {
  const n = byId.get(id);
  const f = n.callFrame;
  const key = `${f.functionName || '(anonymous)'}  ${f.url ? path.basename(f.url) : ''}${f.url ? `:${f.lineNumber + 1}` : ''}`;
  agg.set(key, (agg.get(key) ?? 0) + c);
}
const ms = (prof.endTime - prof.startTime) / 1000;
console.log(`profile ${path.join(dir, file)}: ${total} samples over ${ms.toFixed(0)} ms (whole process, import included)`);
console.log('self%   function  file:line');
for (const [k, c] of [...agg].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${((100 * c) / total).toFixed(1).padStart(5)}%  ${k}`);
}

if (process.argv.includes('--lines')) {
  // per-line self samples of the hottest functions that have a source file
  const hot = [...agg].sort((a, b) => b[1] - a[1]).map(([k]) => k).filter((k) => /\.m?js:\d+$/.test(k)).slice(0, 8);
  const lineTicks = new Map();
  const sources = new Map();
  for (const n of prof.nodes) {
    const f = n.callFrame;
    const key = `${f.functionName || '(anonymous)'}  ${f.url ? path.basename(f.url) : ''}${f.url ? `:${f.lineNumber + 1}` : ''}`;
    if (!hot.includes(key) || !n.positionTicks) continue;
    for (const t of n.positionTicks) {
      const k = `${f.url}\u0000${f.functionName || '(anonymous)'}\u0000${t.line}`;
      lineTicks.set(k, (lineTicks.get(k) ?? 0) + t.ticks);
    }
  }
  const lineOf = (url, line) => {
    try {
      if (!sources.has(url)) sources.set(url, readFileSync(url.startsWith('file:') ? fileURLToPath(url) : url, 'utf8').split('\n'));
      return (sources.get(url)[line - 1] ?? '').trim().slice(0, 100);
    } catch { return ''; }
  };
  console.log('');
  console.log('hottest lines in those functions (self%, function:line, source):');
  for (const [k, c] of [...lineTicks].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    const [url, fn, line] = k.split('\u0000');
    console.log(`${((100 * c) / total).toFixed(1).padStart(5)}%  ${`${fn}:${line}`.padEnd(26)} ${lineOf(url, Number(line))}`);
  }
}

if (process.argv.includes('--gc')) {
  const g = spawnSync(process.execPath, ['--trace-gc', path.join(here, args[0]), ...args.slice(1).map(String)], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const lines = g.stdout.split('\n');
  const res = lines.filter((l) => l.startsWith('{')).pop();
  const ev = { Scavenge: [], 'Mark-Compact': [], 'Mark-Compact (reduce)': [], 'Minor Mark-Compact': [] };
  let peakHeap = 0;
  for (const l of lines) {
    const m = /: (Scavenge|Mark-Compact \(reduce\)|Mark-Compact|Minor Mark-Compact) ([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(([\d.]+)\) MB, ([\d.]+) \/ [\d.]+ ms/.exec(l);
    if (!m) continue;
    const [, kind, before, , after, committed, ms] = m;
    ev[kind].push({ before: +before, after: +after, ms: +ms });
    peakHeap = Math.max(peakHeap, +committed);
  }
  const wall = res ? JSON.parse(res).wallMs : NaN;
  console.log('');
  console.log(`GC (--trace-gc, separate run: ${res ?? g.stderr.trim().split('\n').pop()})`);
  for (const [kind, xs] of Object.entries(ev)) {
    if (!xs.length) continue;
    const ms = xs.reduce((a, x) => a + x.ms, 0);
    const kept = xs.reduce((a, x) => a + x.after, 0) / xs.reduce((a, x) => a + x.before, 0);
    console.log(`  ${kind.padEnd(22)} ×${String(xs.length).padStart(4)}  ${ms.toFixed(0).padStart(6)} ms pause in all (${((100 * ms) / wall).toFixed(0)}% of the measured wall time)` +
      `  heap after/before ${(100 * kept).toFixed(0)}%`);
  }
  console.log(`  peak committed V8 heap ${peakHeap.toFixed(0)} MB`);
}
