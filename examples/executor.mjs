// Blocking work off the loop (asyncio's to_thread): the function is named by module and export,
// since closures cannot cross threads (the worker imports fib.mjs). The loop's timers keep firing
// while the worker computes.
// Run: node examples/executor.mjs
import { run, toThread, sleep, createTask } from "wasyncio";

await run(function* main() {
  let ticks = 0;
  const ticker = createTask((function* () {
    for (;;) {
      yield* sleep(0.01);
      ticks++;
    }
  })());
  const value = yield* toThread({ module: new URL("./fib.mjs", import.meta.url), name: "fib" }, 35);
  ticker.cancel();
  console.log(`fib(35) = ${value}, computed in a worker; the loop's 10 ms timer fired ${ticks} times meanwhile`);
});
