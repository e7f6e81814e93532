// `npm run bench` — W1–W7 from the issues, side by side against CPython's asyncio, uvloop (the
// fast loop asyncio users pick: the same Python programs under uvloop's policy, through
// bench/uvloop_run.py), Node's own loop (raw `net`, worker_threads, child_process for W5–W7),
// Effect 4 and effection 4 (W3/W4 only), and wasyncio with its Wasm core and with its pure-TS
// reference core. W5–W7 are I/O: TCP echo, bulk transfer, toThread and subprocess spawns.
// uvloop is installed when missing (`python3 -m pip install uvloop==0.23.0`, the machine's local
// wheel index); if that fails its column says why.
//
// Each measurement is its own child process (so peak RSS is that contender's own), printing one
// JSON line (see bench/common.mjs). Runs are interleaved — round r runs every workload and
// every contender once, in a rotated order — so a burst of load from a neighbour on this shared
// machine hits all contenders alike. Reported: medians over the rounds.
// A slow cell of a third-party contender (Effect and effection on W3 take 10–70 s a run) is run
// fewer times: as many as fit in --cellbudget seconds, at least once; its row says how many
// runs its median is over. asyncio and wasyncio always run every round.
// A child that prints {skipped: reason} (W4 on a wasyncio build without Queue, a missing npm
// contender) is shown with its reason, not retried, and not counted as a failure.
//
// Options (all optional; through npm: `npm run bench -- --only=w3,w4`):
//   --runs=5          rounds (median over them); cut down automatically to fit --budget
//   --budget=270      seconds for the whole bench (the first round is always run in full)
//   --cellbudget=35   seconds Node, Effect or effection may spend on one workload over all rounds
//   --only=w1c,w1u,w2,w3,w4,w5,w6,w7t,w7s,rec   workloads to run; `w1` stands for w1c,w1u, `w7` for w7t,w7s;
//                    `rec`: record/replay (bench/record_overhead.mjs: recording overhead on W3 and W5,
//                    virtual-time speed, trace sizes), its own section after the table;
//                    `explore`: explore's seeds/s on the racy bank beside fast-check's scheduler (bench/explore.mjs)
//   --contenders=asyncio,uvloop,node,effect,effection,wasm,js   contenders to run (default: all)
//   --n1=1000000 --n2=200000 --n3=100000 --n4=200000 --seed=42
//   --conns5=50 --msgs5=1000 --size5=100   W5: connections × request/response messages of size5 bytes
//   --mib6=1024       W6: MiB sent each way over one connection
//   --n7t=10000       W7 toThread: sequential round trips
//   --batches7=10     W7 spawns: batches of 64 concurrent `true`
//   --out=bench/results.md   where the Markdown table goes ('' to skip)
//   --timeout=60      seconds per child before it is killed and counted as failed (W3/W4: ×3, W6: ×2)
// Environment: PYTHON (default python3), WASYNCIO_ENTRY (a build other than dist/index.mjs).
// `node bench/profile.mjs w1c|w1u|w2|w3|w4 [wasm|js]` profiles one wasyncio child with --cpu-prof.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import os from 'node:os';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);

const opts = { runs: 5, budget: 270, cellbudget: 35, only: 'w1c,w1u,w2,w3,w4,w5,w6,w7t,w7s,rec,explore', n1: 1_000_000, n2: 200_000,
  n3: 100_000, n4: 200_000, seed: 42, out: path.join(here, 'results.md'), timeout: 60,
  conns5: 50, msgs5: 1000, size5: 100, mib6: 1024, n7t: 10_000, batches7: 10,
  contenders: 'asyncio,uvloop,node,effect,effection,wasm,js' };
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
  { id: 'uvloop', label: 'uvloop 0.23.0' },
  { id: 'node', label: 'Node native' },
  { id: 'effect', label: 'Effect 4' },
  { id: 'effection', label: 'effection 4' },
  { id: 'wasm', label: 'wasyncio, Wasm core' },
  { id: 'js', label: 'wasyncio, pure-TS core' },
];
const pkgVersion = (name) => {
  try { return JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')).version; } catch { return null; }
};
for (const c of CONTENDERS) {
  if (c.id === 'effect' || c.id === 'effection') {
    c.version = pkgVersion(c.id);
    if (c.version) c.label = `${c.id === 'effect' ? 'Effect' : 'effection'} ${c.version}`;
  }
}
const b = (f) => path.join(here, f);
const WORKLOADS = [
  {
    id: 'w1c', title: `W1a — ${fmtInt(opts.n1)} callSoon, chained (each callback schedules the next)`,
    short: 'W1 chained', n: opts.n1, targets: [{ vs: 'asyncio', need: 10 }], nodeApi: 'setImmediate',
    cmd: {
      asyncio: [PY, '-B', b('asyncio_w1.py'), 'chained', opts.n1],
      uvloop: [PY, '-B', b('uvloop_run.py'), b('asyncio_w1.py'), 'chained', opts.n1],
      node: [NODE, b('node_w1.mjs'), 'chained', opts.n1],
      wasm: [NODE, b('w1.mjs'), 'wasm', 'chained', opts.n1],
      js: [NODE, b('w1.mjs'), 'js', 'chained', opts.n1],
    },
  },
  {
    id: 'w1u', title: `W1b — ${fmtInt(opts.n1)} callSoon scheduled up front, then run until all ran`,
    short: 'W1 up-front', n: opts.n1, targets: [{ vs: 'asyncio', need: 3 }], nodeApi: 'setImmediate',
    cmd: {
      asyncio: [PY, '-B', b('asyncio_w1.py'), 'upfront', opts.n1],
      uvloop: [PY, '-B', b('uvloop_run.py'), b('asyncio_w1.py'), 'upfront', opts.n1],
      node: [NODE, b('node_w1.mjs'), 'upfront', opts.n1],
      wasm: [NODE, b('w1.mjs'), 'wasm', 'upfront', opts.n1],
      js: [NODE, b('w1.mjs'), 'js', 'upfront', opts.n1],
    },
  },
  {
    id: 'w2', title: `W2 — ${fmtInt(opts.n2)} callLater, seeded delays in [0, 50) ms, half cancelled, real clock`,
    short: 'W2 timers', n: opts.n2, expectCount: opts.n2 - (opts.n2 >>> 1), targets: [{ vs: 'asyncio', need: 3 }],
    nodeApi: 'setTimeout/clearTimeout', wasmVsJs: true,
    cmd: {
      asyncio: [PY, '-B', b('asyncio_w2.py'), opts.n2, opts.seed],
      uvloop: [PY, '-B', b('uvloop_run.py'), b('asyncio_w2.py'), opts.n2, opts.seed],
      node: [NODE, b('node_w2.mjs'), opts.n2, opts.seed],
      wasm: [NODE, b('w2.mjs'), 'wasm', opts.n2, opts.seed],
      js: [NODE, b('w2.mjs'), 'js', opts.n2, opts.seed],
    },
  },
  {
    id: 'w3', title: `W3 — ${fmtInt(opts.n3)} tasks × 10 sleep(0), gathered (peak RSS = at ${fmtInt(opts.n3)} live tasks)`,
    short: 'W3 tasks', n: 10 * opts.n3, opsUnit: 'sleep(0)/s', timeoutMul: 3, rssTarget: 'asyncio',
    targets: [{ vs: 'asyncio', need: 5 }, { vs: 'effect', need: 10 }],
    api: {
      asyncio: 'asyncio.gather + asyncio.sleep(0)', node: 'Promise.all + `await null`',
      effect: 'Effect.forEach unbounded + Effect.yieldNow', effection: 'all() + sleep(0)',
    },
    cmd: {
      asyncio: [PY, '-B', b('asyncio_w3.py'), opts.n3],
      uvloop: [PY, '-B', b('uvloop_run.py'), b('asyncio_w3.py'), opts.n3],
      node: [NODE, b('node_w3.mjs'), opts.n3],
      effect: [NODE, b('effect_w3.mjs'), opts.n3],
      effection: [NODE, b('effection_w3.mjs'), opts.n3],
      wasm: [NODE, b('w3.mjs'), 'wasm', opts.n3],
      js: [NODE, b('w3.mjs'), 'js', opts.n3],
    },
  },
  {
    id: 'w4', title: `W4 — ping-pong through two Queue(1)s, ${fmtInt(opts.n4)} messages each way (${fmtInt(2 * opts.n4)} in all)`,
    short: 'W4 queue', n: 2 * opts.n4, opsUnit: 'msgs/s', timeoutMul: 3,
    targets: [{ vs: 'asyncio', need: 10 }],
    api: {
      asyncio: 'asyncio.Queue(1)', node: 'promise queue, capacity 1',
      effect: 'Queue.bounded(1) offer/take', effection: 'createQueue(): unbounded, never > 1 item here',
    },
    cmd: {
      asyncio: [PY, '-B', b('asyncio_w4.py'), opts.n4],
      uvloop: [PY, '-B', b('uvloop_run.py'), b('asyncio_w4.py'), opts.n4],
      node: [NODE, b('node_w4.mjs'), opts.n4],
      effect: [NODE, b('effect_w4.mjs'), opts.n4],
      effection: [NODE, b('effection_w4.mjs'), opts.n4],
      wasm: [NODE, b('w4.mjs'), 'wasm', opts.n4],
      js: [NODE, b('w4.mjs'), 'js', opts.n4],
    },
  },
  {
    id: 'w5', title: `W5 — TCP echo on 127.0.0.1: ${opts.conns5} connections × ${fmtInt(opts.msgs5)} request/response messages of ${opts.size5} bytes, through streams`,
    short: 'W5 echo', n: opts.conns5 * opts.msgs5, opsUnit: 'msgs/s', io: true,
    targets: [{ vs: 'asyncio', need: 1.5 }, { vs: 'node', need: 0.9 }], nodeApi: 'net',
    api: {
      asyncio: 'asyncio.start_server/open_connection, readexactly + write + drain', uvloop: 'the same program on uvloop',
      node: 'net.createServer/net.connect, echo each chunk', wasm: 'startServer/openConnection, readexactly + write + drain',
    },
    cmd: {
      asyncio: [PY, '-B', b('asyncio_w5.py'), opts.conns5, opts.msgs5, opts.size5],
      uvloop: [PY, '-B', b('uvloop_run.py'), b('asyncio_w5.py'), opts.conns5, opts.msgs5, opts.size5],
      node: [NODE, b('node_w5.mjs'), opts.conns5, opts.msgs5, opts.size5],
      wasm: [NODE, b('w5.mjs'), 'wasm', opts.conns5, opts.msgs5, opts.size5],
      js: [NODE, b('w5.mjs'), 'js', opts.conns5, opts.msgs5, opts.size5],
    },
  },
  {
    id: 'w6', title: `W6 — bulk: ${fmtInt(opts.mib6)} MiB each way over one TCP connection on 127.0.0.1 (64 KiB writes, drain() after each; the server echoes)`,
    short: 'W6 bulk', n: opts.mib6, opsUnit: 'MiB/s', fmtOps: (x) => `${x.toFixed(0)} MiB/s`, io: true, timeoutMul: 2,
    targets: [], rssFlatMiB: 32, nodeApi: 'net',
    api: {
      asyncio: 'streams: read(64 KiB) / write / drain', uvloop: 'the same program on uvloop',
      node: 'write() until false, then wait for drain; the server is sock.pipe(sock)', wasm: 'streams: read(64 KiB) / write / drain',
    },
    cmd: {
      asyncio: [PY, '-B', b('asyncio_w6.py'), opts.mib6],
      uvloop: [PY, '-B', b('uvloop_run.py'), b('asyncio_w6.py'), opts.mib6],
      node: [NODE, b('node_w6.mjs'), opts.mib6],
      wasm: [NODE, b('w6.mjs'), 'wasm', opts.mib6],
      js: [NODE, b('w6.mjs'), 'js', opts.mib6],
    },
  },
  {
    id: 'w7t', title: `W7a — ${fmtInt(opts.n7t)} sequential toThread round trips of a trivial function`,
    short: 'W7 toThread', n: opts.n7t, opsUnit: 'calls/s', io: true,
    targets: [], nodeApi: 'worker_threads',
    api: {
      asyncio: 'asyncio.to_thread', uvloop: 'asyncio.to_thread on uvloop',
      node: 'one Worker, postMessage ping-pong', wasm: 'toThread({ module, name }, i)',
    },
    cmd: {
      asyncio: [PY, '-B', b('asyncio_w7.py'), 'thread', opts.n7t],
      uvloop: [PY, '-B', b('uvloop_run.py'), b('asyncio_w7.py'), 'thread', opts.n7t],
      node: [NODE, b('node_w7.mjs'), 'thread', opts.n7t],
      wasm: [NODE, b('w7.mjs'), 'wasm', 'thread', opts.n7t],
      js: [NODE, b('w7.mjs'), 'js', 'thread', opts.n7t],
    },
  },
  {
    id: 'w7s', title: `W7b — ${opts.batches7} batches of 64 concurrent subprocess spawns of \`true\` (each awaited to its exit)`,
    short: 'W7 spawns', n: 64 * opts.batches7, opsUnit: 'spawns/s', io: true,
    targets: [], nodeApi: 'child_process',
    api: {
      asyncio: 'asyncio.create_subprocess_exec + wait', uvloop: 'the same on uvloop',
      node: "child_process.spawn + 'exit'", wasm: 'createSubprocessExec + wait',
    },
    cmd: {
      asyncio: [PY, '-B', b('asyncio_w7.py'), 'spawn', opts.batches7],
      uvloop: [PY, '-B', b('uvloop_run.py'), b('asyncio_w7.py'), 'spawn', opts.batches7],
      node: [NODE, b('node_w7.mjs'), 'spawn', opts.batches7],
      wasm: [NODE, b('w7.mjs'), 'wasm', 'spawn', opts.batches7],
      js: [NODE, b('w7.mjs'), 'js', 'spawn', opts.batches7],
    },
  },
].filter((w) => opts.only.split(',').flatMap((x) => (x === 'w1' ? ['w1c', 'w1u'] : x === 'w7' ? ['w7t', 'w7s'] : [x])).includes(w.id));
for (const w of WORKLOADS) w.expectCount ??= w.n;
{
  const known = ['w1', 'w1c', 'w1u', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7', 'w7t', 'w7s', 'rec', 'explore'];
  const bad = opts.only.split(',').filter((x) => !known.includes(x));
  if (bad.length) { console.error(`--only: unknown workload(s) ${bad.join(', ')} (known: ${known.join(', ')})`); process.exit(2); }
}

{
  const bad = opts.contenders.split(',').filter((x) => !CONTENDERS.some((c) => c.id === x));
  if (bad.length) { console.error(`--contenders: unknown contender(s) ${bad.join(', ')} (known: ${CONTENDERS.map((c) => c.id).join(', ')})`); process.exit(2); }
}
// uvloop: install it when missing (the machine's local wheel index has 0.23.0); if that fails,
// its children print {skipped} through bench/uvloop_run.py and this line says why.
let uvloopVersion = null;
if (opts.contenders.split(',').includes('uvloop') && WORKLOADS.some((w) => w.cmd.uvloop)) {
  const probe = () => {
    try { return execFileSync(PY, ['-c', 'import uvloop; print(uvloop.__version__)'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return null; }
  };
  uvloopVersion = probe();
  if (uvloopVersion === null) {
    console.log(`uvloop is not installed for ${PY}: running \`${PY} -m pip install uvloop==0.23.0\``);
    try {
      execFileSync(PY, ['-m', 'pip', 'install', '--quiet', 'uvloop==0.23.0'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      console.log(`!! pip install uvloop==0.23.0 failed (${String(e.stderr || e.message).trim().split('\n').pop()}): the uvloop contender is skipped`);
    }
    uvloopVersion = probe();
  }
  if (uvloopVersion !== null) CONTENDERS.find((c) => c.id === 'uvloop').label = `uvloop ${uvloopVersion}`;
}
const isAvailable = (c) => opts.contenders.split(',').includes(c.id) && (haveDist || (c.id !== 'wasm' && c.id !== 'js'));
const active = CONTENDERS.filter((c) => WORKLOADS.some((w) => w.cmd[c.id]) && isAvailable(c));
// the contenders of workload w, in CONTENDERS order
const contendersOf = (w) => active.filter((c) => w.cmd[c.id]);

// ---- running ------------------------------------------------------------------------------

function runChild(argv, timeoutS) {
  return new Promise((resolve) => {
    const [cmd, ...args] = argv.map(String);
    const t0 = Date.now();
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => { err += `\n[killed after ${timeoutS} s]`; child.kill('SIGKILL'); },
      timeoutS * 1000);
    child.on('error', (e) => { clearTimeout(timer); resolve({ error: String(e), childS: (Date.now() - t0) / 1000 }); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const childS = (Date.now() - t0) / 1000;
      const last = out.trim().split('\n').pop();
      let rec = null;
      try { rec = JSON.parse(last); } catch { /* reported below */ }
      if (code !== 0 || !rec) {
        resolve({ error: `exit ${code ?? signal}: ${(err || out).trim().split('\n').slice(-6).join(' | ')}`, childS });
      } else resolve({ ...rec, childS });
    });
  });
}

const results = {}; // results[w][c] = [rec...]
const errors = {};  // errors[w][c] = [msg...]
const skipped = {}; // skipped[w][c] = reason
const childSecs = {}; // childSecs[w][c] = [seconds per child, start-up included]
for (const w of WORKLOADS) {
  results[w.id] = {}; errors[w.id] = {}; skipped[w.id] = {}; childSecs[w.id] = {};
  for (const c of contendersOf(w)) { results[w.id][c.id] = []; errors[w.id][c.id] = []; childSecs[w.id][c.id] = []; }
}

console.log(`wasyncio bench: ${WORKLOADS.map((w) => w.short).join(', ')} × ${active.map((c) => c.label).join(', ')}`);
if (!haveDist) console.log(`!! ${path.relative(root, distEntry)} is missing (run \`npm run build\`): wasyncio contenders skipped`);

// How many runs a cell gets: all rounds, unless its first run shows it would spend more than
// --cellbudget seconds over them (then as many as fit, at least one). asyncio and wasyncio, the
// two sides of most targets, always get every round.
const UNCAPPED = new Set(['asyncio', 'uvloop', 'wasm', 'js']);
function runsAllowed(w, c) {
  if (UNCAPPED.has(c.id)) return Infinity;
  const secs = childSecs[w.id][c.id];
  if (secs.length === 0) return Infinity;
  return Math.max(1, Math.floor(opts.cellbudget / Math.max(...secs)));
}
const willRun = (w, c, r) => !skipped[w.id][c.id] && r < runsAllowed(w, c);

const tStart = Date.now();
let runs = opts.runs;
const load0 = os.loadavg()[0];
for (let r = 0; r < runs; r++) {
  for (const w of WORKLOADS) {
    const cs = contendersOf(w);
    const k = r % cs.length;
    const order = cs.slice(k).concat(cs.slice(0, k));
    const cells = [];
    for (const c of order) {
      if (skipped[w.id][c.id]) continue;
      if (!willRun(w, c, r)) { cells.push(`${c.id} (done: ${runsAllowed(w, c)} run${runsAllowed(w, c) === 1 ? '' : 's'})`); continue; }
      const rec = await runChild(w.cmd[c.id], opts.timeout * (w.timeoutMul ?? 1));
      childSecs[w.id][c.id].push(rec.childS);
      if (rec.skipped) { skipped[w.id][c.id] = rec.skipped; cells.push(`${c.id} SKIPPED`); continue; }
      if (rec.error) { errors[w.id][c.id].push(rec.error); cells.push(`${c.id} FAILED`); continue; }
      if (rec.count !== w.expectCount) {
        errors[w.id][c.id].push(`ran ${rec.count}, expected ${w.expectCount}`);
        cells.push(`${c.id} WRONG COUNT`); continue;
      }
      rec.round = r;
      results[w.id][c.id].push(rec);
      cells.push(`${c.id} ${rec.wallMs.toFixed(0)} ms`);
    }
    console.log(`  · round ${r + 1}/${runs} ${w.short.padEnd(12)} ${cells.join('  ')}`);
    for (const c of order) {
      if (skipped[w.id][c.id] && r === childSecs[w.id][c.id].length - 1) console.log(`      ${c.id} skipped: ${skipped[w.id][c.id]}`);
    }
  }
  // Stay within the budget: after each round, stop if the next one (each of its cells as slow
  // as that cell's slowest run so far) would overrun it. The first round always runs in full.
  if (r + 1 < runs) {
    let nextS = 0;
    for (const w of WORKLOADS) {
      for (const c of contendersOf(w)) if (willRun(w, c, r + 1)) nextS += Math.max(0, ...childSecs[w.id][c.id]);
    }
    const leftS = opts.budget - (Date.now() - tStart) / 1000;
    if (nextS > leftS) {
      console.log(`  · the next round would take ~${nextS.toFixed(1)} s and ${Math.max(0, leftS).toFixed(0)} s of --budget=${opts.budget} are left: stopping after ${r + 1} rounds`);
      runs = r + 1;
    }
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
function fmtOps(x) {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M/s`;
  if (x >= 1e4) return `${(x / 1e3).toFixed(0)} k/s`;
  return x >= 1e3 ? `${(x / 1e3).toFixed(1)} k/s` : `${x.toFixed(0)} /s`; // W7: thousands, hundreds
}
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
    // W6: how much RSS grew after the first quarter of the transfer (≈ 0 when memory is flat)
    grow: recs[0].rssLateKiB == null ? null : median(recs.map((r) => r.rssLateKiB - r.rssEarlyKiB)),
    ops: w.n / (wall / 1000),
    hashes: new Set(recs.map((r) => r.hash)),
  };
}

const S = {};
for (const w of WORKLOADS) { S[w.id] = {}; for (const c of contendersOf(w)) S[w.id][c.id] = stats(w, c); }
// speedup of the Wasm core over contender c: c's median wall time / Wasm core's (>1: Wasm faster)
const speedup = (w, c, key = 'wall') => {
  const a = S[w.id].wasm, o = S[w.id][c];
  return a && o ? o[key] / a[key] : null;
};
const labelOf = (w, c, md = false) => {
  if (c.id === 'node' && w.nodeApi) return md ? `Node \`${w.nodeApi}\`` : `Node ${w.nodeApi}`;
  return c.label;
};
const whyMissing = (w, c) => (skipped[w.id][c.id] ? `SKIPPED: ${skipped[w.id][c.id]}` : `FAILED: ${errors[w.id][c.id][0] ?? 'no runs'}`);

let cpuModel = os.cpus()[0]?.model?.trim() ?? 'unknown CPU';
let pyVersion = 'python3 ?';
try { pyVersion = execFileSync(PY, ['--version'], { encoding: 'utf8' }).trim(); } catch { /* shown as ? */ }
let gitRev = '';
try { gitRev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim(); } catch { /* not a checkout */ }
const distWhen = haveDist ? statSync(distEntry).mtime.toISOString().replace(/\.\d+Z$/, 'Z') : 'missing';
const npmContenders = active.filter((c) => c.version).map((c) => c.label);
const env = `Node ${process.version}, ${pyVersion} (stdlib asyncio${uvloopVersion ? `; uvloop ${uvloopVersion}` : ', no uvloop'})${npmContenders.length ? `, ${npmContenders.join(', ')}` : ''}, ` +
  `${cpuModel} × ${os.cpus().length}, ${os.platform()} ${os.release()}; git ${gitRev || '?'}, ${process.env.WASYNCIO_ENTRY ? `WASYNCIO_ENTRY=${process.env.WASYNCIO_ENTRY}` : 'dist'} built ${distWhen}`;
// Contention check: CPython is single-threaded, so its CPU time ≈ wall time on an idle machine.
// If it got much less CPU than wall time, a neighbour was taking the cores.
const busyNote = [];
{
  // CPU-bound workloads only: in W5–W7 CPython also waits on sockets, threads and children
  const recs = WORKLOADS.filter((w) => !w.io).flatMap((w) => results[w.id].asyncio ?? []);
  const share = recs.length ? median(recs.map((r) => r.cpuMs / r.wallMs)) : 1;
  const loads = `load average ${load0.toFixed(1)} at start, ${os.loadavg()[0].toFixed(1)} at end`;
  // load average counts this bench's own child (≈1): above ncpu − 0.5, something else competed
  const busy = share < 0.9 || Math.max(load0, os.loadavg()[0]) > os.cpus().length - 0.5;
  const cpython = recs.length ? `; CPython got ${(100 * share).toFixed(0)}% of a core over its wall time` : '';
  if (busy) {
    busyNote.push(`!! The machine was busy (${loads} on ${os.cpus().length} cores, this bench's own child counting ≈1${cpython}): ` +
      'wall times are inflated unevenly — the CPU-time ratios are the steadier figure; rerun on a quiet machine.');
  } else busyNote.push(`(${loads} on ${os.cpus().length} cores${cpython}: little contention)`);
}
const NOISE = 'Shared 2-core machine: absolute times are noise — compare the ratios. Each measurement is a ' +
  'fresh child process (cold start, no warm-up; peak RSS is that process\'s own; CPU ms counts all its threads, GC included), rounds interleaved, medians shown.';

console.log('');
console.log(`== results (${runs} round${runs === 1 ? '' : 's'}, ${totalS.toFixed(0)} s) ==`);
console.log(env);
console.log(NOISE);
for (const l of busyNote) console.log(l);

const targets = [];
const verdict = (t) => (t.value == null ? 'n/a' : (t.atMost ? t.value <= t.need : t.value >= t.need) ? 'PASS' : 'MISS');
for (const w of WORKLOADS) {
  const cs = contendersOf(w);
  const wTargets = [];
  console.log('');
  console.log(w.title);
  console.log(`  ${'contender'.padEnd(30)} ${'wall ms median [min–max]'.padEnd(26)} ${'runs'.padStart(4)} ${(w.opsUnit ?? 'ops/s').padStart(11)} ${'peak RSS'.padStart(10)} ${'Δ RSS'.padStart(10)} ${'CPU ms'.padStart(8)}`);
  for (const c of cs) {
    const s = S[w.id][c.id];
    const label = labelOf(w, c);
    if (!s) {
      console.log(`  ${label.padEnd(30)} ${whyMissing(w, c)}`);
      continue;
    }
    const wallS = `${s.wall.toFixed(0)} [${s.min.toFixed(0)}–${s.max.toFixed(0)}]`;
    console.log(`  ${label.padEnd(30)} ${wallS.padEnd(26)} ${String(s.n).padStart(4)} ${(w.fmtOps ?? fmtOps)(s.ops).padStart(11)} ${fmtMiB(s.rss).padStart(10)} ${fmtMiB(s.drss).padStart(10)} ${s.cpu.toFixed(0).padStart(8)}` +
      (errors[w.id][c.id].length ? `  (${errors[w.id][c.id].length} failed run(s): ${errors[w.id][c.id][0]})` : ''));
  }
  if (w.api) console.log(`  APIs: ${cs.filter((c) => w.api[c.id]).map((c) => `${c.id === 'node' ? 'Node' : c.label.split(/[ ,]/)[0]}: ${w.api[c.id]}`).join(' · ')}`);
  if (w.id === 'w2') {
    const hs = new Set(cs.flatMap((c) => [...(S[w.id][c.id]?.hashes ?? [])]));
    console.log(`  schedule hash ${[...hs].join(', ')}${hs.size === 1 ? ' (identical in every contender)' : '  !! contenders ran DIFFERENT schedules'}`);
    console.log('  wall time includes scheduling + cancelling; the last kept deadline is ~50 ms, a real-time floor for everyone');
  }
  const others = cs.filter((c) => c.id !== 'wasm');
  if (S[w.id].wasm) {
    console.log(`  Wasm core speedup (wall; >1 = Wasm core faster): ${others.map((c) => `${fmtX(speedup(w, c.id))} vs ${c.id === 'js' ? 'pure-TS core' : c.id}`).join(' · ')}`);
    console.log(`  Wasm core speedup (CPU time):                    ${others.map((c) => `${fmtX(speedup(w, c.id, 'cpu'))} vs ${c.id === 'js' ? 'pure-TS core' : c.id}`).join(' · ')}`);
  }
  for (const tg of w.targets) {
    if (!cs.some((c) => c.id === tg.vs)) continue;
    const vsLabel = CONTENDERS.find((c) => c.id === tg.vs).label.replace('CPython ', '');
    wTargets.push({ name: `${w.short}: Wasm core ≥ ${tg.need}× ${vsLabel}`, value: speedup(w, tg.vs), cpu: speedup(w, tg.vs, 'cpu'), need: tg.need });
  }
  if (w.wasmVsJs) {
    // paired by round (the two ran back to back in the same round): how often was Wasm faster?
    const js = new Map(results[w.id].js?.map((r) => [r.round, r.wallMs]) ?? []);
    const pairs = (results[w.id].wasm ?? []).filter((r) => js.has(r.round));
    const wins = pairs.filter((r) => r.wallMs < js.get(r.round)).length;
    wTargets.push({ name: `${w.short}: Wasm core ≥ pure-TS core`, value: speedup(w, 'js'), cpu: speedup(w, 'js', 'cpu'), need: 1,
      note: pairs.length ? `Wasm faster in ${wins} of ${pairs.length} rounds` : '' });
  }
  if (w.rssTarget && cs.some((c) => c.id === w.rssTarget)) {
    // peak RSS: the other's ÷ the Wasm core's, so ≥ 1× means "no more than the other"
    const a = S[w.id].wasm, o = S[w.id][w.rssTarget];
    const vsLabel = CONTENDERS.find((c) => c.id === w.rssTarget).label.replace('CPython ', '');
    wTargets.push({ name: `${w.short}: Wasm peak RSS ≤ ${vsLabel}'s`, value: a && o ? o.rss / a.rss : null, need: 1, rss: true,
      note: a && o ? `${fmtMiB(a.rss)} vs ${fmtMiB(o.rss)}${S[w.id].js ? `; pure-TS core ${fmtMiB(S[w.id].js.rss)}` : ''}` : '' });
  }
  if (w.rssFlatMiB) {
    // flat: the Wasm core's RSS does not grow with the bytes sent — after the first quarter of
    // the transfer it rises by at most rssFlatMiB (memory that kept what it moved would rise by
    // hundreds of MiB there)
    const a = S[w.id].wasm;
    const withGrow = cs.filter((c) => S[w.id][c.id]?.grow != null);
    wTargets.push({ name: `${w.short}: Wasm RSS flat (growth after the first ¼ ≤ ${w.rssFlatMiB} MiB)`, value: a?.grow != null ? a.grow / 1024 : null,
      need: w.rssFlatMiB, atMost: true, rss: true, fmt: (v) => (v == null ? 'n/a' : `${v.toFixed(1)} MiB`),
      note: a ? `moving ${fmtInt(w.n)} MiB each way; growth after ¼: ${withGrow.map((c) => `${c.id} ${fmtMiB(S[w.id][c.id].grow)}`).join(', ')}; ` +
        `Δ peak RSS: ${cs.filter((c) => S[w.id][c.id]).map((c) => `${c.id} ${fmtMiB(S[w.id][c.id].drss)}`).join(', ')}` : '' });
  }
  for (const tt of wTargets) {
    tt.verdict = verdict(tt);
    if (tt.value == null && !S[w.id].wasm) tt.note = whyMissing(w, CONTENDERS.find((c) => c.id === 'wasm'));
    const extra = tt.atMost ? `— ${tt.note}` : tt.rss ? `(their RSS ÷ Wasm's) — ${tt.note}` : `(CPU-time ratio ${fmtX(tt.cpu)})${tt.note ? ` — ${tt.note}` : ''}`;
    console.log(`  target ${tt.name.padEnd(40)} measured ${(tt.fmt ?? fmtX)(tt.value).padEnd(7)} ${tt.verdict}  ${extra}`);
  }
  targets.push(...wTargets);
}

// ---- Markdown -----------------------------------------------------------------------------

const md = [];
md.push(`### Benchmarks (\`npm run bench\`)`);
md.push('');
md.push(`${env}. Median of up to ${runs} run${runs === 1 ? '' : 's'} per cell (the "runs" column), ${totalS.toFixed(0)} s in all.`);
md.push('');
md.push(`> ${NOISE} "Wasm speedup" is this row's median wall time ÷ the Wasm core's: above 1× the Wasm core is faster.`);
for (const l of busyNote) md.push(`> ${l}`);
md.push('');
md.push('| workload | contender | wall ms (median) | runs | ops/s | peak RSS | CPU ms | Wasm speedup (wall) | (CPU) |');
md.push('|---|---|--:|--:|--:|--:|--:|--:|--:|');
for (const w of WORKLOADS) {
  for (const c of contendersOf(w)) {
    const s = S[w.id][c.id];
    const label = labelOf(w, c, true) + (w.api?.[c.id] ? ` (${w.api[c.id]})` : '');
    if (!s) { md.push(`| ${w.short} | ${label} | ${skipped[w.id][c.id] ? `skipped: ${skipped[w.id][c.id]}` : 'failed'} | | | | | | |`); continue; }
    md.push(`| ${w.short} | ${label} | ${s.wall.toFixed(0)} | ${s.n} | ${(w.fmtOps ?? fmtOps)(s.ops)} | ${fmtMiB(s.rss)} | ${s.cpu.toFixed(0)} | ${c.id === 'wasm' ? '1×' : fmtX(speedup(w, c.id))} | ${c.id === 'wasm' ? '1×' : fmtX(speedup(w, c.id, 'cpu'))} |`);
  }
}
md.push('');
md.push('| target | measured | result | CPU-time ratio |');
md.push('|---|--:|---|--:|');
for (const t of targets) md.push(`| ${t.name} | ${(t.fmt ?? fmtX)(t.value)}${t.rss && !t.atMost ? ' (RSS)' : ''} | ${t.verdict}${t.note ? ` (${t.note})` : ''} | ${t.rss ? '' : fmtX(t.cpu)} |`);
md.push('');
const notes = [];
if (WORKLOADS.some((w) => w.id.startsWith('w1'))) notes.push(`W1: ${fmtInt(opts.n1)} callbacks; ops/s = callbacks ÷ wall time.`);
if (WORKLOADS.some((w) => w.id === 'w2')) {
  notes.push(`W2: ${fmtInt(opts.n2)} timers with delays in [0, 50) ms from a seeded generator (seed ${opts.seed}), ` +
    `half of them (chosen by the same generator) cancelled right after scheduling; wall time runs from the first schedule call to the last firing, ` +
    `so the ~50 ms real-time floor is included; ops/s = timers scheduled ÷ wall time. Node's \`setTimeout\` works in whole milliseconds.`);
}
if (WORKLOADS.some((w) => w.id === 'w3')) {
  notes.push(`W3: ${fmtInt(opts.n3)} tasks each doing sleep(0) ten times, all gathered by the main task; wall time from just before ` +
    `\`run()\`/\`asyncio.run()\`/\`Effect.runPromise\` to the end of the gather (the runner's shutdown is not counted); ops/s = sleep(0)s ÷ wall time; ` +
    `peak RSS is the process's peak, reached with ${fmtInt(opts.n3)} tasks alive. Effect: \`Effect.forEach(ids, () => worker, { concurrency: "unbounded", discard: true })\` ` +
    `with \`yield* Effect.yieldNow\` as the sleep(0); effection: \`all([...])\` (one spawned child per operation) with \`yield* sleep(0)\`, which effection ` +
    `implements as \`setTimeout(resolve, 0)\` (it has no yield-to-the-loop primitive; its reducer is synchronous); Node: \`await null\` in async functions, \`Promise.all\`.`);
}
if (WORKLOADS.some((w) => w.id === 'w4')) {
  notes.push(`W4: ping-pong — A puts i on q1 and gets the echo from q2, B gets from q1 and puts it back on q2 — ${fmtInt(opts.n4)} round trips, ` +
    `${fmtInt(2 * opts.n4)} messages; ops/s = messages ÷ wall time. Queues: asyncio.Queue(1); wasyncio \`new Queue(1)\`; Effect \`Queue.bounded(1)\` with ` +
    `\`Queue.offer\`/\`Queue.take\` in two fibers (\`Effect.all\`, concurrency unbounded); Node: a minimal promise-based capacity-1 queue in bench/node_w4.mjs; ` +
    `effection has no bounded queue, so \`createQueue()\` (unbounded, synchronous \`add\`) — in this ping-pong no queue ever holds more than one item ` +
    `(checked), and with capacity 1 no put ever waits for room in any contender either.`);
}
if (WORKLOADS.some((w) => w.cmd.uvloop) && active.some((c) => c.id === 'uvloop')) {
  notes.push('uvloop: the very same Python programs as the CPython asyncio rows, run by bench/uvloop_run.py after ' +
    '`asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())`.');
}
if (WORKLOADS.some((w) => w.id === 'w5')) {
  notes.push(`W5: one server and ${opts.conns5} clients in the same process, on 127.0.0.1; each client sends ${fmtInt(opts.msgs5)} messages of ` +
    `${opts.size5} bytes one at a time and waits for each echo; wall time from the first connect to the last client done; ` +
    `ops/s = messages ÷ wall time. TCP_NODELAY everywhere (asyncio sets it; raw Node is asked to). Each client's bytes carry its tag, checked on every echo.`);
}
if (WORKLOADS.some((w) => w.id === 'w6')) {
  notes.push(`W6: ${fmtInt(opts.mib6)} MiB written in 64 KiB chunks by the client and echoed by the server, so ${fmtInt(opts.mib6)} MiB go each way ` +
    `(${fmtInt(2 * opts.mib6)} MiB through the process); MiB/s = MiB each way ÷ wall time. Only back-pressure keeps memory flat: each child samples ` +
    `its RSS every 4 MiB sent, and the flatness target compares the highest sample after the first quarter of the transfer with the highest before ` +
    `it (\`--mib6\` changes the size).`);
}
if (WORKLOADS.some((w) => w.id === 'w7t' || w.id === 'w7s')) {
  notes.push(`W7: toThread — ${fmtInt(opts.n7t)} calls one after the other of a function returning its argument + 1 (asyncio: \`to_thread\` on its default ` +
    `thread pool; wasyncio: \`toThread\` on its worker_threads pool, the function named by module URL and export); spawns — ${opts.batches7} batches of 64 ` +
    `concurrent \`true\` processes, each awaited to its exit, stdio inherited. Peak RSS is the parent's only.`);
}
for (const n of notes) { md.push(n); md.push(''); }
// Sizes (bench/size.mjs): what a user downloads, beside the speed table
if (haveDist) {
  try {
    const { measureSizes, sizeTable } = await import('./size.mjs');
    md.push('### Sizes', '', sizeTable(measureSizes()), '');
  } catch (exc) {
    md.push('### Sizes', '', `not measured: ${exc.message}`, '');
  }
}
// Record and replay (bench/record_overhead.mjs): its own children, after the table
if (haveDist && opts.only.split(',').includes('rec')) {
  console.log('');
  console.log('record/replay (bench/record_overhead.mjs):');
  const { measureRecording } = await import('./record_overhead.mjs');
  const rec = await measureRecording({ rounds: Math.min(3, runs), n3: opts.n3, conns5: opts.conns5, msgs5: opts.msgs5, size5: opts.size5 });
  md.push('### Record and replay', '', rec.md, '');
}
// Explore (bench/explore.mjs): schedules per second on the racy bank, in this process
if (haveDist && opts.only.split(',').includes('explore')) {
  console.log('');
  console.log('explore (bench/explore.mjs):');
  const { measureExplore, exploreTable } = await import('./explore.mjs');
  const seeds = 2000;
  const rows = await measureExplore({ seeds, rounds: Math.min(5, runs) });
  md.push('### Explore', '', `Schedules tried per second on examples/bank/bank.mjs, ${fmtInt(seeds)} seeds per run (bench/explore.mjs):`, '', exploreTable(rows, seeds), '');
}
const mdText = md.join('\n');

console.log('');
console.log('== Markdown (also written to ' + (opts.out ? path.relative(root, opts.out) : 'nowhere') + ') ==');
console.log('');
console.log(mdText);
if (opts.out) writeFileSync(opts.out, mdText);

const anyError = WORKLOADS.some((w) => contendersOf(w).some((c) => !S[w.id][c.id] && !skipped[w.id][c.id]));
process.exitCode = anyError ? 1 : 0;
