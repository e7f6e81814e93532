// W3 on effection 4: N operations started together with `all([...])` (which spawns each as a
// child task), each doing `yield* sleep(0)` ten times. effection has no "yield to the loop"
// primitive: its reducer is synchronous, and sleep(0) is `setTimeout(resolve, 0)` under the
// hood (an `action`), so each of the ten turns goes through a Node timer.
//   node bench/effection_w3.mjs N
import { startMeasure, argInt, skip } from './common.mjs';

const N = argInt(process.argv[2], 'N');
let fx;
try { fx = await import('effection'); } catch (e) { skip(`the effection package is not installed (${e.code ?? e})`); }
const { run, all, sleep } = fx;

let steps = 0;
function* worker() {
  for (let i = 0; i < 10; i++) {
    yield* sleep(0);
    steps++;
  }
}

const m = startMeasure();
await run(function* () {
  yield* all(Array.from({ length: N }, () => worker()));
  m.mark();
});
m.report({ count: steps });
