// W4 on effection 4: ping-pong through two `createQueue()`s, the two sides started together
// by `all([...])`; N messages each way.
// effection has no bounded queue or channel: `createQueue()` is its only point-to-point queue
// (unbounded, `add(x)` synchronous, `yield* q.next()` parks until an item arrives), and
// `createChannel()` is an unbuffered broadcast over per-subscriber unbounded queues. In this
// ping-pong no queue ever holds more than one item (A waits for each echo before the next put),
// so createQueue behaves as a capacity-1 queue here — as asyncio.Queue(1) does, no put ever
// has to wait for room; the child checks that bound.
//   node bench/effection_w4.mjs N
import { startMeasure, argInt, skip, w4Checksum } from './common.mjs';

const N = argInt(process.argv[2], 'N');
let fx;
try { fx = await import('effection'); } catch (e) { skip(`the effection package is not installed (${e.code ?? e})`); }
const { run, all, createQueue } = fx;

// an item put and not yet taken, per queue: must never exceed 1
const inFlight = [0, 0];
let overCapacity = false;
let received = 0;
let sum = 0;
function put(q, k, x) {
  if (++inFlight[k] > 1) overCapacity = true;
  q.add(x);
}
function* get(q, k) {
  const r = yield* q.next();
  inFlight[k]--;
  return r.value;
}
function* ping(q1, q2) {
  for (let i = 0; i < N; i++) {
    put(q1, 0, i);
    sum += yield* get(q2, 1);
    received++;
  }
}
function* pong(q1, q2) {
  for (let i = 0; i < N; i++) {
    const v = yield* get(q1, 0);
    received++;
    put(q2, 1, v);
  }
}

const m = startMeasure();
await run(function* () {
  const q1 = createQueue(), q2 = createQueue();
  yield* all([ping(q1, q2), pong(q1, q2)]);
  m.mark();
});
if (overCapacity) { process.stderr.write('a queue held more than one item\n'); process.exit(1); }
if (sum !== w4Checksum(N)) { process.stderr.write(`checksum ${sum} != ${w4Checksum(N)}\n`); process.exit(1); }
m.report({ count: received });
