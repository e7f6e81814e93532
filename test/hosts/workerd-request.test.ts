// One loop per request: runForRequest (src/run-for-request.ts). In workerd
// (test/hosts/fixtures/workerd-request.mjs through test/hosts/workerd.mjs): a handler with a
// deadline, and a streaming handler whose client goes away — workerd aborts request.signal (with
// the enable_request_signal compatibility flag) and main is cancelled and cleans up. On Node, the
// same function without workerd: overlapping calls, cancellation, shutdown, bad arguments.
// `npm test` builds dist/ first.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CancelledError,
  RuntimeError,
  ValueError,
  createTask,
  currentTask,
  getRunningLoop,
  run,
  runForRequest,
  sleep,
  wrap,
  type EventLoop,
} from "../../src/index.ts";
// @ts-expect-error: a plain ESM helper without types
import { startWorkerd, wasyncioModules } from "./workerd.mjs";

interface Workerd {
  url: string;
  stop(): Promise<void>;
  output(): string;
}

const FIXTURE = "test/hosts/fixtures/workerd-request.mjs";

async function text(wd: Workerd, path: string): Promise<[number, string]> {
  const res = await fetch(`${wd.url}${path}`, { signal: AbortSignal.timeout(10_000) });
  return [res.status, await res.text()];
}

/** Poll `/state?id=` until `done(state)` or a few seconds passed; returns the last state. */
async function stateOf(wd: Workerd, id: string, done: (s: string) => boolean, ms = 5000): Promise<string> {
  const deadline = Date.now() + ms;
  let state = "";
  while (Date.now() < deadline) {
    [, state] = await text(wd, `/state?id=${id}`);
    if (done(state)) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  return state;
}

/** Open /stream, read its first chunk (main is running), then go away. */
async function streamThenLeave(wd: Workerd, id: string): Promise<string> {
  const client = new AbortController();
  const res = await fetch(`${wd.url}/stream?id=${id}`, { signal: client.signal });
  const reader = res.body!.getReader();
  const first = await reader.read();
  expect(await stateOf(wd, id, (s) => s !== "unknown")).toBe("started");
  client.abort();
  return new TextDecoder().decode(first.value);
}

describe("runForRequest in workerd, with the enable_request_signal flag", () => {
  let wd: Workerd;
  beforeAll(async () => {
    wd = await startWorkerd({
      modules: [{ name: FIXTURE, path: FIXTURE }, ...wasyncioModules()],
      compatibilityFlags: ["enable_request_signal"],
    });
  }, 30_000);
  afterAll(async () => {
    await wd?.stop();
  });

  it("answers within a timeout(), or 504 when the work takes longer", async () => {
    expect(await text(wd, "/deadline?work=0.01")).toEqual([200, "in time"]);
    expect(await text(wd, "/deadline?work=5")).toEqual([504, "too slow"]);
  });

  it("cancels main when the client of a streaming response goes away; main's cleanup runs", async () => {
    expect(await streamThenLeave(wd, "gone")).toBe("ping\n");
    const state = await stateOf(wd, "gone", (s) => s.includes("cleaned up"));
    expect(state).toBe("cancelled: the client went away (request.signal aborted: The client has disconnected) | cleaned up");
  });
});

describe("runForRequest in workerd, without the enable_request_signal flag", () => {
  let wd: Workerd;
  beforeAll(async () => {
    wd = await startWorkerd({ modules: [{ name: FIXTURE, path: FIXTURE }, ...wasyncioModules()] });
  }, 30_000);
  afterAll(async () => {
    await wd?.stop();
  });

  it("is not told that the client went away: request.signal never aborts, main goes on", async () => {
    await streamThenLeave(wd, "unflagged");
    // a second passes after the client left: with the flag, main is cancelled within milliseconds
    const state = await stateOf(wd, "unflagged", (s) => s !== "started", 1000);
    expect(state).toBe("started");
  });
});

// ---- the same function on Node ---------------------------------------------------------------------

describe("runForRequest on Node (no workerd)", () => {
  it("resolves with main's value and closes its loop", async () => {
    let loop: EventLoop | null = null;
    const value = await runForRequest(new Request("http://x/"), function* () {
      loop = getRunningLoop();
      yield* sleep(0.01);
      return 42;
    });
    expect(value).toBe(42);
    expect(loop!.isClosed()).toBe(true);
  });

  it("runs overlapping requests side by side, each on its own loop (run() cannot)", async () => {
    const record: string[] = [];
    const loops = new Set<EventLoop>();
    function* handler(name: string) {
      loops.add(getRunningLoop());
      for (let i = 0; i < 3; i++) {
        record.push(`${name}${i}`);
        yield* sleep(0.02);
      }
      return name;
    }
    const results = await Promise.all([
      runForRequest({}, () => handler("a")),
      runForRequest({}, () => handler("b")),
    ]);
    expect(results).toEqual(["a", "b"]);
    expect(loops.size).toBe(2);
    // both were in flight at once: b started before a finished
    expect(record.indexOf("b0")).toBeLessThan(record.indexOf("a2"));
    expect(record.sort()).toEqual(["a0", "a1", "a2", "b0", "b1", "b2"]);
  });

  it("cancels main when request.signal aborts; its finally runs; the promise rejects with that CancelledError", async () => {
    const client = new AbortController();
    const record: string[] = [];
    const done = runForRequest({ signal: client.signal }, function* () {
      try {
        record.push("started");
        yield* sleep(30);
        record.push("finished");
      } finally {
        yield* sleep(0.01);
        record.push("cleaned up");
      }
    });
    setTimeout(() => client.abort(new Error("gone")), 20);
    const err = await done.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect((err as Error).message).toBe("the client went away (request.signal aborted: gone)");
    expect(record).toEqual(["started", "cleaned up"]);
  });

  it("cancels main at its first wait when the signal aborted before the call", async () => {
    const record: string[] = [];
    const err = await runForRequest({ signal: AbortSignal.abort("early") }, function* () {
      record.push("started");
      try {
        yield* sleep(1);
      } finally {
        record.push("finally");
      }
    }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect((err as Error).message).toBe("the client went away (request.signal aborted: early)");
    expect(record).toEqual(["started", "finally"]);
  });

  it("does not cancel main when the signal aborts after main is done", async () => {
    const client = new AbortController();
    const value = await runForRequest({ signal: client.signal }, function* () {
      yield* sleep(0.01);
      return "done";
    });
    client.abort(); // too late: nothing listens any more
    expect(value).toBe("done");
  });

  it("hands its promise to ctx.waitUntil, which never rejects, even when main fails", async () => {
    const held: Promise<unknown>[] = [];
    const ctx = { waitUntil: (p: Promise<unknown>) => void held.push(p) };
    const err = await runForRequest({}, function* () {
      yield* sleep(0.01);
      throw new ValueError("bad input");
    }, { ctx }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ValueError);
    expect(held).toHaveLength(1);
    await expect(held[0]).resolves.toBeUndefined();
  });

  it("cancels the tasks main left, waits for their cleanup, and closes what is open, as run() does", async () => {
    const record: string[] = [];
    let loop: EventLoop | null = null;
    const value = await runForRequest({}, function* () {
      loop = getRunningLoop();
      createTask((function* () {
        try {
          yield* sleep(30);
        } finally {
          yield* sleep(0.01);
          record.push("child cleaned up");
        }
      })());
      void wrap(new Promise(() => {})); // a host promise that never settles: open when main ends
      yield* sleep(0.01);
      return "main done";
    });
    expect(value).toBe("main done");
    expect(record).toEqual(["child cleaned up"]);
    expect(loop!._openResources()).toEqual([]);
    expect(loop!.isClosed()).toBe(true);
  });

  it("runs main's done callbacks before it settles", async () => {
    const record: string[] = [];
    const value = await runForRequest({}, function* () {
      currentTask()!.addDoneCallback(() => record.push("done callback"));
      yield* sleep(0);
      return 1;
    });
    expect(value).toBe(1);
    expect(record).toEqual(["done callback"]);
  });

  it("refuses bad arguments at the call, and a call from inside a running loop", async () => {
    const main = function* () {
      yield* sleep(0);
    };
    expect(() => runForRequest(null as never, main)).toThrow(TypeError);
    expect(() => runForRequest(null as never, main)).toThrow(/request must be a Request/);
    expect(() => runForRequest({ signal: "x" as never }, main)).toThrow(/request.signal must be an AbortSignal, got "x"/);
    expect(() => runForRequest({}, (() => 5) as never)).toThrow(ValueError);
    expect(() => runForRequest({}, (() => Promise.resolve()) as never)).toThrow(/a Promise: pass a function\* or use wrap\(\)/);
    expect(() => runForRequest({}, main, 5 as never)).toThrow(/options must be an object/);
    expect(() => runForRequest({}, main, { ctx: {} as never })).toThrow(/options.ctx must be the fetch handler's context/);
    expect(() => runForRequest({}, main, { clock: "sundial" as never })).toThrow(ValueError);
    const nested = await run(function* () {
      try {
        void runForRequest({}, main);
        return "no error";
      } catch (e) {
        return e;
      }
    });
    expect(nested).toBeInstanceOf(RuntimeError);
    expect((nested as Error).message).toBe("runForRequest(request, main) cannot be called from a running event loop");
  });
});
