// W1 on wasyncio: 1M callSoon callbacks, chained or scheduled up front.
//   node bench/w1.mjs wasm|js chained|upfront N
import { wasyncioEntry, startMeasure, argInt } from './common.mjs';

const core = process.argv[2];
const mode = process.argv[3];
const N = argInt(process.argv[4], 'N');
const { newEventLoop } = await import(wasyncioEntry());

const loop = newEventLoop({ core });
let n = 0;
let m;

if (mode === 'chained') {
  const step = () => {
    if (++n === N) { m.mark(); loop.stop(); }
    else loop.callSoon(step);
  };
  m = startMeasure();
  loop.callSoon(step);
} else if (mode === 'upfront') {
  const cb = () => {
    if (++n === N) { m.mark(); loop.stop(); }
  };
  m = startMeasure();
  for (let i = 0; i < N; i++) loop.callSoon(cb);
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
await loop.runForever();
loop.close();
m.report({ count: n });
