// Profile one wasyncio bench child with `node --cpu-prof` and print the hottest functions.
//   node bench/profile.mjs w1c|w1u|w2 [wasm|js] [--top=25]
// The .cpuprofile is left in $TMPDIR/wasyncio-prof/ (open it in Chrome DevTools for a flame chart).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import os from 'node:os';

const here = path.dirname(fileURLToPath(import.meta.url));
const [wl = 'w1c', core = 'wasm'] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const top = Number(process.argv.find((a) => a.startsWith('--top='))?.slice(6) ?? 25);
const args = {
  w1c: ['w1.mjs', core, 'chained', 1_000_000],
  w1u: ['w1.mjs', core, 'upfront', 1_000_000],
  w2: ['w2.mjs', core, 200_000, 42],
}[wl];
if (!args) { console.error('workload: w1c | w1u | w2'); process.exit(2); }

const dir = path.join(os.tmpdir(), 'wasyncio-prof');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const r = spawnSync(process.execPath,
  ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=100', path.join(here, args[0]), ...args.slice(1).map(String)],
  { encoding: 'utf8' });
process.stdout.write(`child: ${r.stdout}${r.stderr}`);
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
