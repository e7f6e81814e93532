// W4 on Effect 4: ping-pong through two `Queue.bounded(1)`s (Queue.offer / Queue.take), the
// two sides run as fibers by `Effect.all([...], { concurrency: 'unbounded' })`; N each way.
//   node bench/effect_w4.mjs N
import { startMeasure, argInt, skip, w4Checksum } from './common.mjs';

const N = argInt(process.argv[2], 'N');
let Effect, Queue;
try { ({ Effect, Queue } = await import('effect')); } catch (e) { skip(`the effect package is not installed (${e.code ?? e})`); }

let received = 0;
let sum = 0;
const ping = (q1, q2) => Effect.gen(function* () {
  for (let i = 0; i < N; i++) {
    yield* Queue.offer(q1, i);
    sum += yield* Queue.take(q2);
    received++;
  }
});
const pong = (q1, q2) => Effect.gen(function* () {
  for (let i = 0; i < N; i++) {
    const v = yield* Queue.take(q1);
    received++;
    yield* Queue.offer(q2, v);
  }
});

const m = startMeasure();
await Effect.runPromise(Effect.gen(function* () {
  const q1 = yield* Queue.bounded(1);
  const q2 = yield* Queue.bounded(1);
  yield* Effect.all([ping(q1, q2), pong(q1, q2)], { concurrency: 'unbounded', discard: true });
  m.mark();
}));
if (sum !== w4Checksum(N)) { process.stderr.write(`checksum ${sum} != ${w4Checksum(N)}\n`); process.exit(1); }
m.report({ count: received });
