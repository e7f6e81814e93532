// W3 on Node's own loop: N async functions, each doing `await null` ten times (one microtask
// turn each: Node's nearest thing to sleep(0)), gathered with Promise.all.
//   node bench/node_w3.mjs N
import { startMeasure, argInt } from './common.mjs';

const N = argInt(process.argv[2], 'N');
let steps = 0;
async function worker() {
  for (let i = 0; i < 10; i++) {
    await null;
    steps++;
  }
}

const m = startMeasure();
await Promise.all(Array.from({ length: N }, () => worker()));
m.mark();
m.report({ count: steps });
