// W2 on wasyncio: 200k callLater timers with seeded delays in [0, 0.05) s, half cancelled,
// real clock; time until the rest have fired.
//   node bench/w2.mjs wasm|js N SEED
import { wasyncioEntry, startMeasure, argInt, w2Plan } from './common.mjs';

const core = process.argv[2];
const N = argInt(process.argv[3], 'N');
const SEED = argInt(process.argv[4], 'SEED');
const { newEventLoop } = await import(wasyncioEntry());

const plan = w2Plan(N, SEED, 0.05);
const loop = newEventLoop({ core, clock: 'real' });
const handles = new Array(N);
let fired = 0;

const cb = () => {
  if (++fired === plan.nKeep) { m.mark(); loop.stop(); }
};
const { delayS, cancelOrder } = plan;
const m = startMeasure();
for (let i = 0; i < N; i++) handles[i] = loop.callLater(delayS[i], cb);
for (let k = 0; k < cancelOrder.length; k++) handles[cancelOrder[k]].cancel();
await loop.runForever();
loop.close();
m.report({ count: fired, hash: plan.hash });
