// Record and replay, measured (`node bench/record_overhead.mjs`, and a section of `npm run bench`):
//   - recording overhead: W3 (tasks × sleep(0)) and W5 (TCP echo) run unchanged, once on the plain
//     library and once on a generated entry whose run() records (target: under 1.5× slower);
//   - virtual time: 100,000 timers spread over one simulated hour under runSync — simulated
//     seconds per wall second, plain, recorded and replayed from the recording;
//   - trace size per 1,000 iterations of each.
// Each measurement is its own child process; plain and recorded runs alternate round by round;
// medians are reported.
//
// Options: --rounds=3 --n3=100000 --conns5=50 --msgs5=1000 --size5=100 --timers=100000
// (a child: --child=vtime --mode=plain|record|replay --timers=N)
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mulberry32 } from './common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
// the library measured: $WASYNCIO_ENTRY (as for every bench child), else dist/index.mjs
const dist = process.env.WASYNCIO_ENTRY ? path.resolve(process.env.WASYNCIO_ENTRY) : path.join(root, 'dist', 'index.mjs');

/**
 * A wasyncio entry that is the library at `real`, except that run() records every run with a
 * Recorder. Handed to an unchanged workload (bench/w3.mjs, bench/w5.mjs) as $WASYNCIO_ENTRY, the
 * recorded run is the very program the plain run is. After the run it writes the trace's size
 * to stderr as `record-stats {json}`; serializing is outside the workload's measured span (the
 * workloads stop their clock inside main).
 */
function recordingEntry(real, dir) {
  const file = path.join(dir, 'recording-entry.mjs');
  const url = JSON.stringify(pathToFileURL(real).href);
  writeFileSync(file, `import * as real from ${url};
export * from ${url};
export async function run(main, options = {}) {
  const recorder = new real.Recorder();
  try {
    return await real.run(main, { ...options, record: recorder });
  } finally {
    const t0 = performance.now();
    const trace = recorder.trace();
    const text = trace.toString();
    const serializeMs = performance.now() - t0;
    const t1 = performance.now();
    real.Trace.parse(text);
    const parseMs = performance.now() - t1;
    process.stderr.write("record-stats " + JSON.stringify({ iterations: trace.iterations, bytes: text.length, serializeMs, parseMs }) + "\\n");
  }
}
`);
  return file;
}
const NODE = process.execPath;

export const DEFAULTS = { rounds: 3, n3: 100_000, conns5: 50, msgs5: 1000, size5: 100, timers: 100_000 };

function parseArgs(argv) {
  const opts = { ...DEFAULTS, child: null, mode: null };
  for (const a of argv) {
    const m = /^--([a-z0-9]+)=(.*)$/.exec(a);
    if (!m || !(m[1] in opts)) throw new Error(`unknown option ${a}`);
    opts[m[1]] = typeof DEFAULTS[m[1]] === 'number' ? Number(m[2]) : m[2];
  }
  return opts;
}

// ---- the virtual-time child ---------------------------------------------------------------

async function vtimeChild(mode, n) {
  const { runSync, getRunningLoop, Recorder } = await import(pathToFileURL(dist).href);
  const next = mulberry32(42);
  const delays = Float64Array.from({ length: n }, () => (next() / 4294967296) * 3600);
  let simulated = 0;
  function* main() {
    const loop = getRunningLoop();
    const done = loop.createFuture();
    let fired = 0;
    const tick = () => {
      if (++fired === n) {
        simulated = loop.time();
        done.setResult(fired);
      }
    };
    for (let i = 0; i < n; i++) loop.callLater(delays[i], tick);
    return yield* done;
  }
  let trace = null;
  let options = {};
  if (mode === 'record') options = { record: new Recorder() };
  if (mode === 'replay') {
    const rec = new Recorder();
    runSync(main, { record: rec });
    trace = rec.trace();
    options = { replay: trace };
  }
  const t0 = performance.now();
  const fired = runSync(main, options);
  const wallMs = performance.now() - t0;
  if (mode === 'record') trace = options.record.trace();
  const out = { wallMs, count: fired, simulatedS: simulated };
  if (trace !== null) {
    const text = trace.toString();
    Object.assign(out, { iterations: trace.iterations, bytes: text.length });
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

// ---- the parent ---------------------------------------------------------------------------

function child(args, env = {}) {
  return new Promise((resolve) => {
    execFile(NODE, args, { cwd: root, env: { ...process.env, ...env }, timeout: 300_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) return resolve({ error: `${err.message.split('\n')[0]} ${stderr.trim().split('\n').slice(-3).join(' ')}` });
      const rec = JSON.parse(stdout.trim().split('\n').pop());
      const stats = /record-stats (\{.*\})/.exec(stderr);
      if (stats) rec.trace = JSON.parse(stats[1]);
      resolve(rec);
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const per1k = (t) => (t ? (t.bytes / t.iterations) * 1000 : NaN);
const fmtKB = (b) => (Number.isFinite(b) ? `${(b / 1024).toFixed(1)} KB` : 'n/a');

/** Run every measurement; returns the rows and the Markdown section. */
export async function measureRecording(o = DEFAULTS, log = (s) => console.log(s)) {
  o = { ...DEFAULTS, ...o };
  if (!existsSync(dist)) return { md: `not measured: ${path.relative(root, dist)} is missing (npm run build)`, rows: [] };
  const tmp = mkdtempSync(path.join(tmpdir(), 'wasyncio-record-bench-'));
  const entry = recordingEntry(dist, tmp);
  const plainEnv = { WASYNCIO_ENTRY: dist };
  const workloads = [
    { id: 'W3', what: `${o.n3.toLocaleString('en-US')} tasks × 10 sleep(0)`, args: [path.join(here, 'w3.mjs'), 'wasm', o.n3] },
    { id: 'W5', what: `TCP echo, ${o.conns5} connections × ${o.msgs5.toLocaleString('en-US')} messages of ${o.size5} B`, args: [path.join(here, 'w5.mjs'), 'wasm', o.conns5, o.msgs5, o.size5] },
  ].filter((w) => existsSync(w.args[0]));
  const res = {};
  for (const w of workloads) res[w.id] = { plain: [], record: [], trace: null, errors: [] };
  for (let r = 0; r < o.rounds; r++) {
    for (const w of workloads) {
      const order = r % 2 === 0 ? ['plain', 'record'] : ['record', 'plain'];
      for (const mode of order) {
        const rec = await child(w.args.map(String), mode === 'record' ? { WASYNCIO_ENTRY: entry } : plainEnv);
        if (rec.error || rec.skipped) {
          res[w.id].errors.push(rec.error ?? rec.skipped);
          continue;
        }
        res[w.id][mode].push(rec.wallMs);
        if (rec.trace) res[w.id].trace = rec.trace;
      }
      log(`  · round ${r + 1}/${o.rounds} ${w.id}: plain ${median(res[w.id].plain).toFixed(0)} ms, recorded ${median(res[w.id].record).toFixed(0)} ms (medians so far)`);
    }
  }
  const vt = {};
  for (const mode of ['plain', 'record', 'replay']) {
    const runs = [];
    for (let r = 0; r < o.rounds; r++) runs.push(await child([fileURLToPath(import.meta.url), '--child=vtime', `--mode=${mode}`, `--timers=${o.timers}`], plainEnv));
    const ok = runs.filter((x) => !x.error);
    vt[mode] = { wallMs: median(ok.map((x) => x.wallMs)), simulatedS: ok[0]?.simulatedS, trace: ok[0]?.bytes ? { bytes: ok[0].bytes, iterations: ok[0].iterations } : null, error: runs.find((x) => x.error)?.error };
    log(`  · virtual time (${mode}): ${vt[mode].error ?? `${median(ok.map((x) => x.wallMs)).toFixed(0)} ms`}`);
  }

  rmSync(tmp, { recursive: true, force: true });
  const rows = [];
  const md = [];
  md.push('| workload | plain wall ms | recorded wall ms | recording overhead | target | trace per 1,000 iterations | trace |');
  md.push('|---|--:|--:|--:|---|--:|---|');
  for (const w of workloads) {
    const x = res[w.id];
    const p = median(x.plain);
    const q = median(x.record);
    const ratio = q / p;
    rows.push({ id: w.id, plainMs: p, recordMs: q, ratio, per1k: per1k(x.trace), trace: x.trace });
    const t = x.trace;
    md.push(`| ${w.id} (${w.what}) | ${p.toFixed(0)} | ${q.toFixed(0)} | ${Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a'} | < 1.5×: ${ratio < 1.5 ? 'met' : Number.isFinite(ratio) ? 'MISSED' : 'n/a'} | ${fmtKB(per1k(t))} | ${t ? `${t.iterations.toLocaleString('en-US')} iterations, ${fmtKB(t.bytes)}; written in ${t.serializeMs.toFixed(0)} ms, parsed in ${t.parseMs.toFixed(0)} ms` : x.errors[0] ?? ''} |`);
  }
  md.push('');
  md.push(`| virtual time: ${o.timers.toLocaleString('en-US')} timers over one simulated hour (runSync) | wall ms | simulated s per wall s | trace per 1,000 iterations |`);
  md.push('|---|--:|--:|--:|');
  for (const mode of ['plain', 'record', 'replay']) {
    const v = vt[mode];
    const speed = v.simulatedS / (v.wallMs / 1000);
    rows.push({ id: `vtime-${mode}`, wallMs: v.wallMs, speed, per1k: per1k(v.trace) });
    md.push(`| ${mode === 'plain' ? 'plain' : mode === 'record' ? 'recorded' : 'replayed from its trace'} | ${v.error ? v.error : v.wallMs.toFixed(0)} | ${Number.isFinite(speed) ? Math.round(speed).toLocaleString('en-US') : 'n/a'} | ${mode === 'plain' ? '' : fmtKB(per1k(v.trace))} |`);
  }
  md.push('');
  md.push('Recording overhead = median wall time recorded ÷ plain, the same workload program both times (a generated entry makes its run() record). ' +
    'The recorder keeps a checksum per iteration, each clock read, each host event (bytes as base64) and each command; the trace is written after the measured span.');
  return { rows, md: md.join('\n') };
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const o = parseArgs(process.argv.slice(2));
  if (o.child === 'vtime') await vtimeChild(o.mode, o.timers);
  else {
    const { md } = await measureRecording(o);
    console.log('');
    console.log(md);
  }
}
