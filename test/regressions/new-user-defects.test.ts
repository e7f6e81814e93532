// Defects a new user hit (issue 6), one block each, named after what broke. Each test failed
// before its fix.

import { describe, expect, it } from "vitest";
import {
  CancelledError,
  RuntimeError,
  createTask,
  currentTask,
  gather,
  newEventLoop,
  run,
  runSync,
  sleep,
  wrap,
  type Task,
} from "../../src/index.ts";
import { CORES, expectThrows } from "../helpers.ts";

describe.each(CORES)("%s core", (core) => {
  describe("a failed wrap() leaves no host operation in flight", () => {
    const hostile = { then() { throw new Error("then exploded"); } };

    it("runSync still jumps the virtual clock after the failed wrap", () => {
      const out = runSync(function* () {
        let caught: unknown = null;
        try {
          wrap(hostile as PromiseLike<unknown>);
        } catch (e) {
          caught = e;
        }
        yield* sleep(10);
        return (caught as Error).message;
      }, { core });
      expect(out).toBe("then exploded");
    });

    it("run() on the virtual clock sleeps without real waiting after the failed wrap", async () => {
      const started = performance.now();
      await run(function* () {
        expect(() => wrap(hostile as PromiseLike<unknown>)).toThrow("then exploded");
        yield* sleep(30);
      }, { core, clock: "virtual" });
      // a leaked count made this take 30 real seconds; the virtual jump takes milliseconds
      expect(performance.now() - started).toBeLessThan(10_000);
    });
  });

  describe("wrap(p, { loop }) on a closed loop", () => {
    it("raises RuntimeError('Event loop is closed') instead of a Future that never settles", () => {
      const loop = newEventLoop({ core, clock: "virtual" });
      loop.close();
      expectThrows(() => wrap(Promise.resolve(1), { loop }), RuntimeError, "Event loop is closed");
    });
  });

  describe("await cycles through other tasks", () => {
    it("A awaits B while B awaits A: a RuntimeError naming the cycle, and cancel() never overflows", () => {
      const log: string[] = [];
      runSync(function* () {
        let a!: Task<unknown>;
        let b!: Task<unknown>;
        a = createTask((function* () {
          yield* sleep(0);
          try {
            yield* b;
          } catch (e) {
            log.push(`a: ${(e as Error).name}: ${(e as Error).message}`);
          }
        })(), { name: "A" });
        b = createTask((function* () {
          try {
            yield* a;
          } catch (e) {
            log.push(`b: ${(e as Error).name}: ${(e as Error).message}`);
          }
        })(), { name: "B" });
        for (let i = 0; i < 3; i++) yield* sleep(0);
        expect(() => a.cancel()).not.toThrow();
        yield* gather(a, b, { returnExceptions: true });
      }, { core });
      expect(log.join("\n")).toMatch(/await cycle: .*'A'.* awaits .*'B'.* awaits .*'A'/);
    });

    it("a task awaiting gather(currentTask()) gets a RuntimeError, not a stack overflow", () => {
      const err = runSync(function* () {
        const t = createTask((function* () {
          const g = gather(currentTask()!);
          g.addDoneCallback((f) => void f.exception()); // retrieved: no unretrieved-error report
          yield* g;
        })());
        try {
          yield* t;
        } catch (e) {
          return e;
        }
        return null;
      }, { core });
      expect(err).toBeInstanceOf(RuntimeError);
      expect(String((err as Error).message)).toMatch(/await cycle/);
    });
  });

  describe("yield* on a plain iterable", () => {
    it("says a non-awaitable was used with yield*, not V8's missing-throw message", () => {
      for (const bad of [[1, 2], "ab", new Set([1])]) {
        const err = runSync(function* () {
          const t = createTask((function* () {
            yield* bad as Iterable<unknown> as never;
          })());
          try {
            yield* t;
          } catch (e) {
            return e;
          }
          return null;
        }, { core });
        expect(err).toBeInstanceOf(RuntimeError);
        expect((err as Error).message).toMatch(/yield\* was used on something that is not awaitable/);
      }
    });
  });

  describe("a finished coroutine awaited again", () => {
    it("createTask of a coroutine a task already ran raises 'cannot reuse already awaited coroutine'", () => {
      runSync(function* () {
        const c = (function* () {
          yield* sleep(0);
          return 1;
        })();
        expect(yield* createTask(c)).toBe(1);
        expectThrows(() => createTask(c), RuntimeError, /cannot reuse already awaited coroutine/);
        expectThrows(() => gather(c), RuntimeError, /cannot reuse already awaited coroutine/);
      }, { core });
    });
  });

  describe("cancellation messages", () => {
    it("a second cancel(msg) does not replace the message already delivered (asyncio keeps 'first')", () => {
      const seen = runSync(function* () {
        const t = createTask((function* () {
          try {
            yield* sleep(10);
          } catch (e) {
            return (e as CancelledError).message;
          }
          return "not cancelled";
        })());
        yield* sleep(0);
        t.cancel("first");
        t.cancel("second");
        return yield* t;
      }, { core });
      expect(seen).toBe("first");
    });
  });
});

describe("debug mode reports every dropped operation coroutine", () => {
  const dropped: [string, (lib: typeof import("../../src/index.ts")) => void][] = [
    ["Queue.put", (w) => void new w.Queue().put(1)],
    ["Queue.get", (w) => void new w.Queue().get()],
    ["Queue.join", (w) => void new w.Queue().join()],
    ["Lock.acquire", (w) => void new w.Lock().acquire()],
    ["Event.wait", (w) => void new w.Event().wait()],
    ["Condition.wait", (w) => void new w.Condition().wait()],
    ["Semaphore.acquire", (w) => void new w.Semaphore(1).acquire()],
    ["Barrier.wait", (w) => void new w.Barrier(2).wait()],
    ["Barrier.abort", (w) => void new w.Barrier(2).abort()],
    ["Barrier.reset", (w) => void new w.Barrier(2).reset()],
    ["waitFor", (w) => void w.waitFor(w.sleep(0), 1)],
    ["timeout", (w) => void w.timeout(1, function* () {})],
    ["taskGroup", (w) => void w.taskGroup(function* () {})],
    ["withLock", (w) => void w.withLock(new w.Lock(), function* () {})],
  ];
  it.each(dropped)("%s", async (name, drop) => {
    const w = await import("../../src/index.ts");
    const warned: string[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => void warned.push(args.join(" "));
    try {
      w.runSync(function* () {
        drop(w);
        yield* w.sleep(0);
      }, { debug: true });
    } finally {
      console.warn = original;
    }
    expect(warned.join("\n")).toContain(`coroutine '${name}' was never awaited`);
  });
});

describe("async bodies are refused at the call, before anything runs", () => {
  it.each([
    ["withLock", (w: typeof import("../../src/index.ts"), body: never) => w.withLock(new w.Lock(), body)],
    ["timeout", (w: typeof import("../../src/index.ts"), body: never) => w.timeout(1, body)],
    ["timeoutAt", (w: typeof import("../../src/index.ts"), body: never) => w.timeoutAt(1, body)],
    ["taskGroup", (w: typeof import("../../src/index.ts"), body: never) => w.taskGroup(body)],
  ])("%s(async …) throws TypeError and the body never runs", async (name, call) => {
    const w = await import("../../src/index.ts");
    let ran = false;
    const body = async () => {
      ran = true;
    };
    w.runSync(function* () {
      expectThrows(() => call(w, body as never), TypeError, /generator function.*async function/);
    });
    expect(ran).toBe(false);
  });
});

describe("messages a user can act on", () => {
  it("a plain object is described by its keys, not 'a Object object'", async () => {
    const w = await import("../../src/index.ts");
    const err = expectThrows(() => w.ensureFuture({ a: 1 } as never), TypeError) as Error;
    expect(err.message).not.toContain("a Object object");
    expect(err.message).toContain("an object {a}");
  });

  it("the failed exception-handler report shows the original context's message", async () => {
    const w = await import("../../src/index.ts");
    const printed: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void printed.push(args.map(String).join(" "));
    try {
      w.runSync(function* () {
        const loop = w.getRunningLoop();
        loop.setExceptionHandler(() => {
          throw new Error("handler broke");
        });
        loop.callSoon(() => {
          throw new Error("callback broke");
        });
        yield* w.sleep(0);
        yield* w.sleep(0);
      });
    } finally {
      console.error = original;
    }
    const text = printed.join("\n");
    expect(text).toContain("Unhandled error in exception handler");
    expect(text).toContain("context: Exception in callback");
    expect(text).toContain("callback broke");
    expect(text).not.toContain("Object object");
  });

  it("gather(promise) and createTask(promise) point to wrap()", async () => {
    const w = await import("../../src/index.ts");
    w.runSync(function* () {
      const p = Promise.resolve(1);
      expectThrows(() => w.gather(p as never), TypeError, /wrap\(promise\)/);
      const err = expectThrows(() => w.createTask(p as never), TypeError, /wrap\(promise\)/) as Error;
      expect(err.message).not.toContain("call the generator function");
      yield* w.sleep(0);
    });
  });

  it("a Proxy argument gets the library's argument error, not the Proxy trap's", async () => {
    const w = await import("../../src/index.ts");
    const hostile = new Proxy({}, { get() { throw new Error("trap fired"); } });
    w.runSync(function* () {
      expectThrows(() => w.createTask(hostile as never), TypeError, /a coroutine was expected/);
      expectThrows(() => w.gather(hostile as never), TypeError, /argument 1 must be/);
      expectThrows(() => w.wrap(hostile as never), TypeError, /promise must be a Promise/);
      expectThrows(() => w.ensureFuture(hostile as never), TypeError, /ensureFuture/);
      yield* w.sleep(0);
    });
  });

  it("new PriorityQueue({ compare }) says the options go second", async () => {
    const w = await import("../../src/index.ts");
    expectThrows(() => new w.PriorityQueue({ compare: () => 0 } as never), TypeError, /options object goes second/);
  });
});
