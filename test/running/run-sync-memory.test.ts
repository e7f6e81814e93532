// runSync runs its loop from start to close inside one host job. A WeakRef made in a job keeps
// its target alive until the job ends, so the "exception never retrieved" bookkeeping held every
// failed loop (and its Wasm memory) of a synchronous explore() of thousands of seeds. A runSync
// loop holds its failures strongly and drops them at close: the GC can collect it in the job.

import * as v8 from "node:v8";
import * as vm from "node:vm";
import { expect, it } from "vitest";
import { createTask, getRunningLoop, runSync, sleep } from "../../src/index.ts";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

it("failed runSync loops can be collected within the same job", async () => {
  let collected = 0;
  const registry = new FinalizationRegistry(() => collected++);
  (function oneJob() {
    for (let i = 0; i < 200; i++) {
      try {
        runSync(function* () {
          registry.register(getRunningLoop(), i);
          createTask((function* () {
            yield* sleep(0);
            throw new Error("a task fails, nobody retrieves it");
          })());
          yield* sleep(0);
          yield* sleep(0);
          throw new Error("main fails");
        });
      } catch {
        // expected
      }
    }
    gc(); // inside the job: only what no WeakRef of this job holds can go
  })();
  await new Promise((resolve) => setTimeout(resolve, 50)); // finalizers run after the job
  expect(collected).toBeGreaterThan(100);
});
