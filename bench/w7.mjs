// W7 on wasyncio: work off the loop — the same programs as bench/asyncio_w7.py.
//   node bench/w7.mjs wasm|js thread N   N sequential toThread round trips of w7_work.mjs's inc (calls/s)
//   node bench/w7.mjs wasm|js spawn B    B batches of 64 concurrent createSubprocessExec('true') + wait() (spawns/s)
import { wasyncioEntry, startMeasure, argInt, skip } from './common.mjs';

const core = process.argv[2];
const mode = process.argv[3];
const N = argInt(process.argv[4], 'N');
const CONCURRENT = 64;
const mod = await import(wasyncioEntry());
const build = process.env.WASYNCIO_ENTRY ?? 'dist/index.mjs';
const { run, gather } = mod;

let m;
let count = 0;
if (mode === 'thread') {
  if (typeof mod.toThread !== 'function') skip(`toThread not available in this build (${build} exports no toThread)`);
  const inc = { module: new URL('./w7_work.mjs', import.meta.url), name: 'inc' };
  let total = 0;
  await run(function* () {
    m = startMeasure();
    for (let i = 0; i < N; i++) total += yield* mod.toThread(inc, i);
    m.mark();
  }, { core });
  if (total !== (N * (N + 1)) / 2) { process.stderr.write(`checksum ${total}\n`); process.exit(1); }
  count = N;
} else if (mode === 'spawn') {
  if (typeof mod.createSubprocessExec !== 'function') skip(`subprocesses not available in this build (${build} exports no createSubprocessExec)`);
  function* one() {
    const proc = yield* mod.createSubprocessExec('true');
    return yield* proc.wait();
  }
  await run(function* () {
    m = startMeasure();
    for (let b = 0; b < N; b++) {
      const codes = yield* gather(...Array.from({ length: CONCURRENT }, one));
      count += codes.filter((c) => c === 0).length;
    }
    m.mark();
  }, { core });
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
m.report({ count });
