// W4 on Node's own loop: ping-pong through two capacity-1 queues — async function A puts i on
// q1 and awaits the echo from q2, B gets from q1 and puts it on q2 — N messages each way.
// Queue1 below is a minimal promise-based bounded queue with asyncio.Queue's structure:
// `while full: park a putter`, then push and wake one getter; `while empty: park a getter`,
// then shift and wake one putter.
//   node bench/node_w4.mjs N
import { startMeasure, argInt, w4Checksum } from './common.mjs';

class Queue1 {
  constructor(maxsize) {
    this.maxsize = maxsize;
    this.items = [];
    this.getters = [];
    this.putters = [];
  }
  async put(x) {
    while (this.items.length >= this.maxsize) await new Promise((r) => this.putters.push(r));
    this.items.push(x);
    const g = this.getters.shift();
    if (g !== undefined) g();
  }
  async get() {
    while (this.items.length === 0) await new Promise((r) => this.getters.push(r));
    const x = this.items.shift();
    const p = this.putters.shift();
    if (p !== undefined) p();
    return x;
  }
}

const N = argInt(process.argv[2], 'N');
let received = 0;
let sum = 0;
async function ping(q1, q2) {
  for (let i = 0; i < N; i++) {
    await q1.put(i);
    sum += await q2.get();
    received++;
  }
}
async function pong(q1, q2) {
  for (let i = 0; i < N; i++) {
    const v = await q1.get();
    received++;
    await q2.put(v);
  }
}

const m = startMeasure();
const q1 = new Queue1(1), q2 = new Queue1(1);
await Promise.all([ping(q1, q2), pong(q1, q2)]);
m.mark();
if (sum !== w4Checksum(N)) { process.stderr.write(`checksum ${sum} != ${w4Checksum(N)}\n`); process.exit(1); }
m.report({ count: received });
