// W2 on Node's own timers: `setTimeout` (delay in ms) + `clearTimeout`.
//   node bench/node_w2.mjs N SEED
import { startMeasure, argInt, w2Plan } from './common.mjs';

const N = argInt(process.argv[2], 'N');
const SEED = argInt(process.argv[3], 'SEED');
const plan = w2Plan(N, SEED, 0.05);
const handles = new Array(N);
let fired = 0;

const m = startMeasure();
const cb = () => {
  if (++fired === plan.nKeep) { m.mark(); m.report({ count: fired, hash: plan.hash }); }
};
const { delayS, cancelOrder } = plan;
for (let i = 0; i < N; i++) handles[i] = setTimeout(cb, delayS[i] * 1000);
for (let k = 0; k < cancelOrder.length; k++) clearTimeout(handles[cancelOrder[k]]);
