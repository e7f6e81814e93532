// W1 on Node's own loop: `setImmediate` as the callSoon equivalent.
//   node bench/node_w1.mjs chained|upfront N
import { startMeasure, argInt } from './common.mjs';

const mode = process.argv[2];
const N = argInt(process.argv[3], 'N');
let n = 0;

if (mode === 'chained') {
  const m = startMeasure();
  const step = () => {
    if (++n === N) { m.mark(); m.report({ count: n }); }
    else setImmediate(step);
  };
  setImmediate(step);
} else if (mode === 'upfront') {
  const m = startMeasure();
  const cb = () => {
    if (++n === N) { m.mark(); m.report({ count: n }); }
  };
  for (let i = 0; i < N; i++) setImmediate(cb);
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
