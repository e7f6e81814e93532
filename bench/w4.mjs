// W4 on wasyncio: ping-pong through two Queue(1)s — task A puts i on q1 and gets the echo from
// q2, task B gets from q1 and puts it on q2 — N messages each way (2N in all).
//   node bench/w4.mjs wasm|js N
import { wasyncioEntry, startMeasure, argInt, skip, w4Checksum } from './common.mjs';

const core = process.argv[2];
const N = argInt(process.argv[3], 'N');
const mod = await import(wasyncioEntry());
if (typeof mod.Queue !== 'function') {
  skip(`Queue not available in this build (${process.env.WASYNCIO_ENTRY ?? 'dist/index.mjs'} exports no Queue)`);
}
const { run, gather, Queue } = mod;

let received = 0;
let sum = 0;
function* ping(q1, q2) {
  for (let i = 0; i < N; i++) {
    yield* q1.put(i);
    sum += yield* q2.get();
    received++;
  }
}
function* pong(q1, q2) {
  for (let i = 0; i < N; i++) {
    const v = yield* q1.get();
    received++;
    yield* q2.put(v);
  }
}

const m = startMeasure();
await run(function* () {
  const q1 = new Queue(1), q2 = new Queue(1);
  yield* gather(ping(q1, q2), pong(q1, q2));
  m.mark();
}, { core });
if (sum !== w4Checksum(N)) { process.stderr.write(`checksum ${sum} != ${w4Checksum(N)}\n`); process.exit(1); }
m.report({ count: received });
