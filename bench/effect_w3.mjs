// W3 on Effect 4: N fibers (Effect.forEach, concurrency 'unbounded'), each doing
// `yield* Effect.yieldNow` ten times — Effect's "give the other fibers a turn", its sleep(0).
//   node bench/effect_w3.mjs N
import { startMeasure, argInt, skip } from './common.mjs';

const N = argInt(process.argv[2], 'N');
let Effect;
try { ({ Effect } = await import('effect')); } catch (e) { skip(`the effect package is not installed (${e.code ?? e})`); }

let steps = 0;
const worker = Effect.gen(function* () {
  for (let i = 0; i < 10; i++) {
    yield* Effect.yieldNow;
    steps++;
  }
});

const m = startMeasure();
await Effect.runPromise(
  Effect.forEach(Array.from({ length: N }, (_, i) => i), () => worker, { concurrency: 'unbounded', discard: true })
    .pipe(Effect.tap(() => Effect.sync(() => m.mark()))),
);
m.report({ count: steps });
