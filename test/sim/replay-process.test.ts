// A subprocess program recorded with a real child process, replayed with none: the pid, the
// child's output and its exit code come from the trace.

import childProcess from "node:child_process";
import { afterEach, expect, it, vi } from "vitest";
import { PIPE, Recorder, Trace, createSubprocessExec, run, toThread } from "../../src/index.ts";

afterEach(() => {
  vi.restoreAllMocks();
});

function* program() {
  const proc = yield* createSubprocessExec(process.execPath, "-e", "process.stdout.write('hello from ' + process.pid); process.exit(3)", { stdout: PIPE });
  const out = new TextDecoder().decode(yield* proc.stdout!.read());
  const code = yield* proc.wait();
  return { pid: proc.pid, out, code };
}

it("a child process's output and exit code are recorded, and replayed with no process spawned", async () => {
  const rec = new Recorder();
  const recorded = await run(program, { record: rec });
  expect(recorded.code).toBe(3);
  expect(recorded.out).toBe(`hello from ${recorded.pid}`);
  const text = rec.trace().toString();
  expect(text).toContain(`"op":"spawn"`);
  expect(text).toContain(`"kind":"exit"`);
  const spawn = vi.spyOn(childProcess, "spawn").mockImplementation(() => {
    throw new Error("no processes in a replay");
  });
  const replayed = await run(program, { replay: Trace.parse(text) });
  expect(replayed).toEqual(recorded);
  expect(spawn).not.toHaveBeenCalled();
});

it("a worker thread's results are recorded, and replayed with no worker started", async () => {
  const work = { module: new URL("./fixtures/work.mjs", import.meta.url).href, name: "square" };
  function* threads() {
    const a = yield* toThread<number>(work, 7);
    const b = yield* toThread<number>(work, 12);
    return [a, b];
  }
  const { default: workerThreads } = await import("node:worker_threads");
  // every call reaches a worker as a message: count them (spying on the class itself breaks it)
  const Worker = vi.spyOn(workerThreads.Worker.prototype, "postMessage");
  const rec = new Recorder();
  const recorded = await run(threads, { record: rec });
  expect(recorded).toEqual([49, 144]);
  expect(Worker).toHaveBeenCalled(); // the spy sees the recording's worker calls…
  Worker.mockClear();
  const text = rec.trace().toString();
  expect(text).toContain(`"kind":"result"`);
  const replayed = await run(threads, { replay: Trace.parse(text) });
  expect(replayed).toEqual(recorded);
  expect(Worker).not.toHaveBeenCalled(); // …and none in the replay
});
