// W7 on raw Node: work off the loop.
//   node bench/node_w7.mjs thread N   N sequential round trips to one worker_threads Worker
//                                     (postMessage(i) → i + 1), calls/s
//   node bench/node_w7.mjs spawn B    B batches of 64 concurrent child_process.spawn('true')
//                                     (stdio inherited, as asyncio's default), each awaited to
//                                     its 'exit', spawns/s
import { Worker } from 'node:worker_threads';
import { spawn } from 'node:child_process';
import { startMeasure, argInt } from './common.mjs';

const mode = process.argv[2];
const N = argInt(process.argv[3], 'N');
const CONCURRENT = 64;

if (mode === 'thread') {
  const worker = new Worker(new URL('./node_w7_worker.mjs', import.meta.url));
  await new Promise((resolve) => worker.once('online', resolve));
  const m = startMeasure();
  let total = 0;
  for (let i = 0; i < N; i++) {
    total += await new Promise((resolve) => { worker.once('message', resolve); worker.postMessage(i); });
  }
  m.mark();
  await worker.terminate();
  if (total !== (N * (N + 1)) / 2) { process.stderr.write(`checksum ${total}\n`); process.exit(1); }
  m.report({ count: N });
} else if (mode === 'spawn') {
  const one = () => new Promise((resolve, reject) => {
    const child = spawn('true', [], { stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
  const m = startMeasure();
  let ok = 0;
  for (let b = 0; b < N; b++) {
    const codes = await Promise.all(Array.from({ length: CONCURRENT }, one));
    ok += codes.filter((c) => c === 0).length;
  }
  m.mark();
  m.report({ count: ok });
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
