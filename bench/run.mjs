// `npm run bench` — W1 and W2 from the issue, side by side against CPython's asyncio, Node's own
// loop, and wasyncio with its Wasm core and with its pure-TS reference core.
//
// Each measurement is its own child process (so peak RSS is that contender's own), printing one
// JSON line (see bench/common.mjs). Runs are interleaved — round r runs every workload and
// every contender once, in a rotated order — so a burst of load from a neighbour on this shared
// machine hits all contenders alike. Reported: medians over the rounds.
//
// Options (all optional):
//   --runs=5          rounds (median over them); cut down automatically to fit --budget
//   --budget=165      seconds for the whole bench (the first round is always run in full)
//   --only=w1c,w1u,w2 workloads to run
//   --n1=1000000 --n2=200000 --seed=42
//   --out=bench/results.md   where the Markdown table goes ('' to skip)
//   --timeout=60      seconds per child before it is killed and counted as failed
// Environment: PYTHON (default python3), WASYNCIO_ENTRY (a build other than dist/index.mjs).
// `node bench/profile.mjs w1c|w1u|w2 [wasm|js]` profiles one wasyncio child with --cpu-prof.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import os from 'node:os';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);

const opts = { runs: 5, budget: 165, only: 'w1c,w1u,w2', n1: 1_000_000, n2: 200_000, seed: 42,
  out: path.join(here, 'results.md'), timeout: 60 };
for (const a of process.argv.slice(2)) {
  const m = /^--([a-z0-9]+)=(.*)$/.exec(a);
  if (!m || !(m[1] in opts)) { console.error(`unknown option ${a}`); process.exit(2); }
  opts[m[1]] = typeof opts[m[1]] === 'number' ? Number(m[2]) : m[2];
}
const PY = process.env.PYTHON || 'python3';
const NODE = process.execPath;
const distEntry = process.env.WASYNCIO_ENTRY ? path.resolve(process.env.WASYNCIO_ENTRY) : path.join(root, 'dist', 'index.mjs');
const haveDist = existsSync(distEntry);

// ---- contenders and workloads -------------------------------------------------------------

const CONTENDERS = [
  { id: 'asyncio', label: 'CPython asyncio' },
  { id: 'node', label: 'Node native' },
  { id: 'wasm', label: 'wasyncio, Wasm core' },
  { id: 'js', label: 'wasyncio, pure-TS core' },
];
const b = (f) => path.join(here, f);
const WORKLOADS = [
  {
    id: 'w1c', title: `W1a — ${fmtInt(opts.n1)} callSoon, chained (each callback schedules the next)`,
    short: 'W1 chained', n: opts.n1, target: 10, nodeApi: 'setImmediate',
    cmd: {
      asyncio: [PY, '-B', b('asyncio_w1.py'), 'chained', opts.n1],
      node: [NODE, b('node_w1.mjs'), 'chained', opts.n1],
      wasm: [NODE, b('w1.mjs'), 'wasm', 'chained', opts.n1],
      js: [NODE, b('w1.mjs'), 'js', 'chained', opts.n1],
    },
  },
  {
    id: 'w1u', title: `W1b — ${fmtInt(opts.n1)} callSoon scheduled up front, then run until all ran`,
    short: 'W1 up-front', n: opts.n1, target: 3, nodeApi: 'setImmediate',
    cmd: {
      asyncio: [PY, '-B', b('asyncio_w1.py'), 'upfront', opts.n1],
      node: [NODE, b('node_w1.mjs'), 'upfront', opts.n1],
      wasm: [NODE, b('w1.mjs'), 'wasm', 'upfront', opts.n1],
      js: [NODE, b('w1.mjs'), 'js', 'upfront', opts.n1],
    },
  },
  {
    id: 'w2', title: `W2 — ${fmtInt(opts.n2)} callLater, seeded delays in [0, 50) ms, half cancelled, real clock`,
    short: 'W2 timers', n: opts.n2, expectCount: opts.n2 - (opts.n2 >>> 1), target: 3,
    nodeApi: 'setTimeout/clearTimeout', wasmVsJs: true,
    cmd: {
      asyncio: [PY, '-B', b('asyncio_w2.py'), opts.n2, opts.seed],
      node: [NODE, b('node_w2.mjs'), opts.n2, opts.seed],
      wasm: [NODE, b('w2.mjs'), 'wasm', opts.n2, opts.seed],
      js: [NODE, b('w2.mjs'), 'js', opts.n2, opts.seed],
    },
  },
].filter((w) => opts.only.split(',').includes(w.id));
for (const w of WORKLOADS) w.expectCount ??= w.n;

const active = CONTENDERS.filter((c) => haveDist || (c.id !== 'wasm' && c.id !== 'js'));

// ---- running ------------------------------------------------------------------------------

function runChild(argv) {
  return new Promise((resolve) => {
    const [cmd, ...args] = argv.map(String);
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => { err += `\n[killed after ${opts.timeout} s]`; child.kill('SIGKILL'); },
      opts.timeout * 1000);
    child.on('error', (e) => { clearTimeout(timer); resolve({ error: String(e) }); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop();
      let rec = null;
      try { rec = JSON.parse(last); } catch { /* reported below */ }
      if (code !== 0 || !rec) {
        resolve({ error: `exit ${code ?? signal}: ${(err || out).trim().split('\n').slice(-6).join(' | ')}` });
      } else resolve(rec);
    });
  });
}

const results = {}; // results[w][c] = [rec...]
const errors = {};  // errors[w][c] = [msg...]
for (const w of WORKLOADS) { results[w.id] = {}; errors[w.id] = {}; for (const c of active) { results[w.id][c.id] = []; errors[w.id][c.id] = []; } }

console.log(`wasyncio bench: ${WORKLOADS.map((w) => w.short).join(', ')} × ${active.map((c) => c.label).join(', ')}`);
if (!haveDist) console.log(`!! ${path.relative(root, distEntry)} is missing (run \`npm run build\`): wasyncio contenders skipped`);

const tStart = Date.now();
let runs = opts.runs;
let slowestRoundS = 0;
const load0 = os.loadavg()[0];
for (let r = 0; r < runs; r++) {
  const tRound = Date.now();
  for (const w of WORKLOADS) {
    const k = r % active.length;
    const order = active.slice(k).concat(active.slice(0, k));
    const cells = [];
    for (const c of order) {
      const rec = await runChild(w.cmd[c.id]);
      if (rec.error) { errors[w.id][c.id].push(rec.error); cells.push(`${c.id} FAILED`); continue; }
      if (rec.count !== w.expectCount) {
        errors[w.id][c.id].push(`ran ${rec.count} callbacks, expected ${w.expectCount}`);
        cells.push(`${c.id} WRONG COUNT`); continue;
      }
      rec.round = r;
      results[w.id][c.id].push(rec);
      cells.push(`${c.id} ${rec.wallMs.toFixed(0)} ms`);
    }
    console.log(`  · round ${r + 1}/${runs} ${w.short.padEnd(12)} ${cells.join('  ')}`);
  }
  // Stay within the budget: after each round, stop if another (as slow as the slowest so far)
  // would overrun it. The first round always runs in full.
  const roundS = (Date.now() - tRound) / 1000;
  slowestRoundS = Math.max(slowestRoundS, roundS);
  const leftS = opts.budget - (Date.now() - tStart) / 1000;
  if (r + 1 < runs && slowestRoundS > leftS) {
    console.log(`  · a round takes up to ${slowestRoundS.toFixed(1)} s and ${Math.max(0, leftS).toFixed(0)} s of --budget=${opts.budget} are left: stopping after ${r + 1} rounds`);
    runs = r + 1;
  }
}
const totalS = (Date.now() - tStart) / 1000;

// ---- statistics and report ----------------------------------------------------------------

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
function fmtInt(n) { return n.toLocaleString('en-US'); }
function fmtOps(x) { return x >= 1e6 ? `${(x / 1e6).toFixed(2)} M/s` : `${(x / 1e3).toFixed(0)} k/s`; }
const fmtMiB = (kib) => `${(kib / 1024).toFixed(1)} MiB`;
const fmtX = (x) => (x == null || !Number.isFinite(x) ? 'n/a' : `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}×`);

function stats(w, c) {
  const recs = results[w.id][c.id];
  if (!recs || recs.length === 0) return null;
  const walls = recs.map((r) => r.wallMs);
  const wall = median(walls);
  return {
    n: recs.length, wall, min: Math.min(...walls), max: Math.max(...walls),
    cpu: median(recs.map((r) => r.cpuMs)),
    rss: median(recs.map((r) => r.maxRssKiB)),
    drss: median(recs.map((r) => Math.max(0, r.maxRssKiB - r.baseRssKiB))),
    ops: w.n / (wall / 1000),
    hashes: new Set(recs.map((r) => r.hash)),
  };
}

const S = {};
for (const w of WORKLOADS) { S[w.id] = {}; for (const c of active) S[w.id][c.id] = stats(w, c); }
// speedup of the Wasm core over contender c: c's median wall time / Wasm core's (>1: Wasm faster)
const speedup = (w, c, key = 'wall') => {
  const a = S[w.id].wasm, o = S[w.id][c];
  return a && o ? o[key] / a[key] : null;
};

let cpuModel = os.cpus()[0]?.model?.trim() ?? 'unknown CPU';
let pyVersion = 'python3 ?';
try { pyVersion = execFileSync(PY, ['--version'], { encoding: 'utf8' }).trim(); } catch { /* shown as ? */ }
let gitRev = '';
try { gitRev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim(); } catch { /* not a checkout */ }
const distWhen = haveDist ? statSync(distEntry).mtime.toISOString().replace(/\.\d+Z$/, 'Z') : 'missing';
const env = `Node ${process.version}, ${pyVersion} (stdlib asyncio, no uvloop), ${cpuModel} × ${os.cpus().length}, ` +
  `${os.platform()} ${os.release()}; git ${gitRev || '?'}, dist built ${distWhen}`;
// Contention check: CPython is single-threaded, so its CPU time ≈ wall time on an idle machine.
// If it got much less CPU than wall time, a neighbour was taking the cores.
const busyNote = [];
{
  const recs = WORKLOADS.flatMap((w) => results[w.id].asyncio ?? []);
  const share = recs.length ? median(recs.map((r) => r.cpuMs / r.wallMs)) : 1;
  const loads = `load average ${load0.toFixed(1)} at start, ${os.loadavg()[0].toFixed(1)} at end`;
  // load average counts this bench's own child (≈1): above ncpu − 0.5, something else competed
  const busy = share < 0.9 || Math.max(load0, os.loadavg()[0]) > os.cpus().length - 0.5;
  if (busy) {
    busyNote.push(`!! The machine was busy (${loads} on ${os.cpus().length} cores, this bench's own child counting ≈1; ` +
      `CPython got ${(100 * share).toFixed(0)}% of a core over its wall time): wall times are inflated unevenly — ` +
      'the CPU-time ratios are the steadier figure; rerun on a quiet machine.');
  } else busyNote.push(`(${loads} on ${os.cpus().length} cores; CPython got ${(100 * share).toFixed(0)}% of a core over its wall time: little contention)`);
}
const NOISE = 'Shared 2-core machine: absolute times are noise — compare the ratios. Each measurement is a ' +
  'fresh child process (cold start, no warm-up; peak RSS is that process\'s own; CPU ms counts all its threads, GC included), rounds interleaved, medians shown.';

console.log('');
console.log(`== results (${runs} round${runs === 1 ? '' : 's'}, ${totalS.toFixed(0)} s) ==`);
console.log(env);
console.log(NOISE);
for (const l of busyNote) console.log(l);

const targets = [];
for (const w of WORKLOADS) {
  console.log('');
  console.log(w.title);
  console.log(`  ${'contender'.padEnd(30)} ${'wall ms median [min–max]'.padEnd(26)} ${'ops/s'.padStart(10)} ${'peak RSS'.padStart(10)} ${'Δ RSS'.padStart(10)} ${'CPU ms'.padStart(8)}`);
  for (const c of active) {
    const s = S[w.id][c.id];
    const label = c.id === 'node' ? `Node ${w.nodeApi}` : c.label;
    if (!s) {
      console.log(`  ${label.padEnd(30)} FAILED: ${errors[w.id][c.id][0] ?? 'no runs'}`);
      continue;
    }
    const wallS = `${s.wall.toFixed(0)} [${s.min.toFixed(0)}–${s.max.toFixed(0)}]`;
    console.log(`  ${label.padEnd(30)} ${wallS.padEnd(26)} ${fmtOps(s.ops).padStart(10)} ${fmtMiB(s.rss).padStart(10)} ${fmtMiB(s.drss).padStart(10)} ${s.cpu.toFixed(0).padStart(8)}` +
      (errors[w.id][c.id].length ? `  (${errors[w.id][c.id].length} failed run(s): ${errors[w.id][c.id][0]})` : ''));
  }
  if (w.id === 'w2') {
    const hs = new Set(active.flatMap((c) => [...(S[w.id][c.id]?.hashes ?? [])]));
    console.log(`  schedule hash ${[...hs].join(', ')}${hs.size === 1 ? ' (identical in every contender)' : '  !! contenders ran DIFFERENT schedules'}`);
    console.log('  wall time includes scheduling + cancelling; the last kept deadline is ~50 ms, a real-time floor for everyone');
  }
  if (S[w.id].wasm) {
    console.log(`  Wasm core speedup (wall; >1 = Wasm core faster): ${fmtX(speedup(w, 'asyncio'))} vs asyncio · ${fmtX(speedup(w, 'node'))} vs Node · ${fmtX(speedup(w, 'js'))} vs pure-TS core`);
    console.log(`  Wasm core speedup (CPU time):                    ${fmtX(speedup(w, 'asyncio', 'cpu'))} vs asyncio · ${fmtX(speedup(w, 'node', 'cpu'))} vs Node · ${fmtX(speedup(w, 'js', 'cpu'))} vs pure-TS core`);
  }
  const t = { name: `${w.short}: Wasm core ≥ ${w.target}× asyncio`, value: speedup(w, 'asyncio'), cpu: speedup(w, 'asyncio', 'cpu'), need: w.target };
  targets.push(t);
  if (w.wasmVsJs) {
    // paired by round (the two ran back to back in the same round): how often was Wasm faster?
    const js = new Map(results[w.id].js?.map((r) => [r.round, r.wallMs]) ?? []);
    const pairs = (results[w.id].wasm ?? []).filter((r) => js.has(r.round));
    const wins = pairs.filter((r) => r.wallMs < js.get(r.round)).length;
    targets.push({ name: `${w.short}: Wasm core ≥ pure-TS core`, value: speedup(w, 'js'), cpu: speedup(w, 'js', 'cpu'), need: 1,
      note: pairs.length ? `Wasm faster in ${wins} of ${pairs.length} rounds` : '' });
  }
  for (const tt of targets.slice(-1 - (w.wasmVsJs ? 1 : 0))) {
    tt.verdict = tt.value == null ? 'n/a' : tt.value >= tt.need ? 'PASS' : 'MISS';
    console.log(`  target ${tt.name.padEnd(40)} measured ${fmtX(tt.value).padEnd(7)} ${tt.verdict}  (CPU-time ratio ${fmtX(tt.cpu)})${tt.note ? ` — ${tt.note}` : ''}`);
  }
}

// ---- Markdown -----------------------------------------------------------------------------

const md = [];
md.push(`### Benchmarks (\`npm run bench\`)`);
md.push('');
md.push(`${env}. Median of ${runs} run${runs === 1 ? '' : 's'} per cell, ${totalS.toFixed(0)} s in all.`);
md.push('');
md.push(`> ${NOISE} "Wasm speedup" is this row's median wall time ÷ the Wasm core's: above 1× the Wasm core is faster.`);
for (const l of busyNote) md.push(`> ${l}`);
md.push('');
md.push('| workload | contender | wall ms (median) | ops/s | peak RSS | CPU ms | Wasm speedup (wall) | (CPU) |');
md.push('|---|---|--:|--:|--:|--:|--:|--:|');
for (const w of WORKLOADS) {
  for (const c of active) {
    const s = S[w.id][c.id];
    const label = c.id === 'node' ? `Node \`${w.nodeApi}\`` : c.label;
    if (!s) { md.push(`| ${w.short} | ${label} | failed | | | | | |`); continue; }
    md.push(`| ${w.short} | ${label} | ${s.wall.toFixed(0)} | ${fmtOps(s.ops)} | ${fmtMiB(s.rss)} | ${s.cpu.toFixed(0)} | ${c.id === 'wasm' ? '1×' : fmtX(speedup(w, c.id))} | ${c.id === 'wasm' ? '1×' : fmtX(speedup(w, c.id, 'cpu'))} |`);
  }
}
md.push('');
md.push('| target | measured (wall) | result | CPU-time ratio |');
md.push('|---|--:|---|--:|');
for (const t of targets) md.push(`| ${t.name} | ${fmtX(t.value)} | ${t.verdict}${t.note ? ` (${t.note})` : ''} | ${fmtX(t.cpu)} |`);
md.push('');
md.push(`W1: ${fmtInt(opts.n1)} callbacks; ops/s = callbacks ÷ wall time. W2: ${fmtInt(opts.n2)} timers with delays in [0, 50) ms from a seeded generator (seed ${opts.seed}), ` +
  `half of them (chosen by the same generator) cancelled right after scheduling; wall time runs from the first schedule call to the last firing, ` +
  `so the ~50 ms real-time floor is included; ops/s = timers scheduled ÷ wall time. Node's \`setTimeout\` works in whole milliseconds.`);
const mdText = md.join('\n') + '\n';

console.log('');
console.log('== Markdown (also written to ' + (opts.out ? path.relative(root, opts.out) : 'nowhere') + ') ==');
console.log('');
console.log(mdText);
if (opts.out) writeFileSync(opts.out, mdText);

const anyError = WORKLOADS.some((w) => active.some((c) => !S[w.id][c.id]));
process.exitCode = anyError ? 1 : 0;
