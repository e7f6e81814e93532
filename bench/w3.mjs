// W3 on wasyncio: N tasks, each doing sleep(0) ten times, gathered (the live-task count peaks
// at N, so the process's peak RSS is the "RSS at N live tasks" figure).
//   node bench/w3.mjs wasm|js N
import { wasyncioEntry, startMeasure, argInt } from './common.mjs';

const core = process.argv[2];
const N = argInt(process.argv[3], 'N');
const { run, gather, sleep } = await import(wasyncioEntry());

let steps = 0;
function* worker() {
  for (let i = 0; i < 10; i++) {
    yield* sleep(0);
    steps++;
  }
}

const m = startMeasure();
await run(function* () {
  yield* gather(...Array.from({ length: N }, () => worker()));
  m.mark();
}, { core });
m.report({ count: steps });
