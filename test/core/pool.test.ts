// Wasm cores of closed loops are reused by later loops (an instance costs ~80 µs and 64 KiB,
// most of what explore() paid per seed). A reused core must behave exactly like a new one —
// the same handle ids, deadlines and state checksums — or a replay in a process that reused
// cores would diverge from its recording.

import { expect, it } from "vitest";
import { Recorder, createTask, gather, getRunningLoop, newEventLoop, runSync, sleep } from "../../src/index.ts";

function* busy() {
  const loop = getRunningLoop();
  const handles = [];
  for (let i = 0; i < 200; i++) handles.push(loop.callLater(i % 7, () => {}));
  for (let i = 0; i < 200; i += 3) handles[i].cancel();
  yield* gather(...Array.from({ length: 20 }, (_, k) => createTask((function* () {
    for (let j = 0; j < 5; j++) yield* sleep(k % 3);
  })())));
}

function traceOf(): string {
  const rec = new Recorder();
  runSync(busy(), { record: rec, seed: 1 });
  return rec.trace().toString();
}

it("a pooled core gives the same ids, deadlines and checksums as a new one", () => {
  // keep enough loops open that the pool is empty: the first recording gets a new instance
  const held = Array.from({ length: 12 }, () => newEventLoop({ clock: "virtual" }));
  const fresh = traceOf();
  for (const loop of held) loop.close(); // their cores go to the pool
  expect(traceOf()).toBe(fresh); // a pooled core
  expect(traceOf()).toBe(fresh); // the same core again, after a busy run left it dirty
});
