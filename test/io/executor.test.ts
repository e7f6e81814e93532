// Executors: loop.runInExecutor, toThread, shutdownDefaultExecutor and WorkerPoolExecutor over
// Node worker threads (asyncio's run_in_executor / to_thread / ThreadPoolExecutor; cases after
// CPython's test_asyncio/test_threads.py and test_base_events.py's executor tests).

import { beforeAll, afterEach, describe, expect, test } from "vitest";
import {
  run,
  sleep,
  gather,
  getRunningLoop,
  newEventLoop,
  toThread,
  WorkerPoolExecutor,
  RuntimeError,
  ValueError,
  NotImplementedError,
  FileNotFoundError,
  CancelledError,
  TimersDriver,
  type EventLoop,
} from "../../src/index.ts";
import { expectThrows, expectFails } from "../helpers.ts";
import { WORK, openResources, threadCount, expectThreadsBackTo } from "./helpers.ts";
import { bundleWasyncio, runChild } from "./child.ts";

const fn = (name: string) => ({ module: WORK, name });

let baseline = 0;
beforeAll(async () => {
  // warm up: the host's own helper threads exist before the baseline is taken
  await run(function* () {
    yield* toThread(fn("add"), 1, 2);
  });
  await expectThreadsBackTo(threadCount());
  baseline = threadCount();
});
afterEach(async () => {
  await expectThreadsBackTo(baseline);
});

describe("toThread", () => {
  test("test_to_thread: round trip of arguments and result", async () => {
    const result = await run(function* () {
      const sum = yield* toThread<number>(fn("add"), 40, 2);
      const value = yield* toThread(fn("echo"), { a: [1, 2, { b: new Uint8Array([3]) }], m: new Map([["k", 1]]) });
      return { sum, value };
    });
    expect(result.sum).toBe(42);
    expect(result.value).toEqual({ a: [1, 2, { b: new Uint8Array([3]) }], m: new Map([["k", 1]]) });
  });

  test("the work runs off the loop's thread", async () => {
    const id = await run(function* () {
      return yield* toThread<number>(fn("whereAmI"));
    });
    expect(id).toBeGreaterThan(0); // the main thread's threadId is 0
  });

  test("test_to_thread_once: an async export is awaited in the worker", async () => {
    const v = await run(function* () {
      return yield* toThread(fn("later"), 20, "done");
    });
    expect(v).toBe("done");
  });

  test("test_to_thread_exception: the error comes back with its class name, message and stack", async () => {
    const err = (await expectFails(
      () =>
        run(function* () {
          yield* toThread(fn("fail"), "bad token at 3");
        }),
      Error,
      "bad token at 3",
    )) as Error;
    expect(err.name).toBe("ParseFailure");
    expect(err.stack).toContain("work.mjs");
    expect(err.stack).toContain("fail");
  });

  test("a builtin error class stays itself; an errno code becomes the OSError subclass", async () => {
    await expectFails(() => run(() => toThread(fn("failNamed"))), RangeError, "out of range: 7");
    const e = (await expectFails(() => run(() => toThread(fn("failWithCode"))), FileNotFoundError, "no such file")) as FileNotFoundError;
    expect(e.code).toBe("ENOENT");
  });

  test("a missing export is an error naming it; a non-function export too", async () => {
    await expectFails(() => run(() => toThread(fn("nope"))), TypeError, /has no export named 'nope'/);
    await expectFails(() => run(() => toThread(fn("notAFunction"))), TypeError, /export 'notAFunction' .* is not a function/);
  });

  test("a module that does not exist is an error naming it", async () => {
    const err = (await expectFails(
      () => run(() => toThread({ module: new URL("./fixtures/missing.mjs", import.meta.url), name: "x" })),
      Error,
      /missing\.mjs/,
    )) as Error & { code?: string };
    expect(err.code).toBe("ERR_MODULE_NOT_FOUND");
  });

  test("fn must be { module, name }: a function, a relative path or a missing name is refused at the call", () => {
    expectThrows(() => toThread((() => 1) as never), TypeError, /fn must be \{ module, name \}.*closures cannot cross/);
    expectThrows(() => toThread(null as never), TypeError, /fn must be \{ module, name \}/);
    expectThrows(() => toThread({ module: 42, name: "x" } as never), TypeError, /fn\.module must be a URL/);
    expectThrows(() => toThread({ module: WORK } as never), TypeError, /fn\.name/);
    expectThrows(() => toThread({ module: "./work.mjs", name: "x" }), ValueError, /relative.*new URL\("\.\/work\.mjs", import\.meta\.url\)/);
  });

  test("an absolute path and a URL string name the module too", async () => {
    const [a, b] = await run(function* () {
      const x = yield* toThread<number>({ module: WORK.pathname, name: "add" }, 1, 1);
      const y = yield* toThread<number>({ module: WORK.href, name: "add" }, 2, 2);
      return [x, y];
    });
    expect([a, b]).toEqual([2, 4]);
  });

  test("arguments and results that cannot be cloned are errors of the call", async () => {
    await expectFails(() => run(() => toThread(fn("echo"), () => 1)), Error, /arguments of echo\(\) could not be sent/);
    await expectFails(() => run(() => toThread(fn("unclonable"))), Error, /result of unclonable\(\) could not be sent back/);
  });

  test("a worker that dies fails its call; the next call gets a new worker", async () => {
    const [first, second, third] = await run(function* () {
      const loop = getRunningLoop();
      const a = yield* gather(loop.runInExecutor(null, fn("crash")), { returnExceptions: true } as never);
      const b = yield* gather(loop.runInExecutor(null, fn("exitWorker")), { returnExceptions: true } as never);
      const c = yield* toThread(fn("add"), 1, 2);
      return [a[0], b[0], c];
    });
    expect(String(first)).toMatch(/the worker running crash\(\) exited unexpectedly.*thrown outside the call/);
    expect(String(second)).toMatch(/the worker running exitWorker\(\) exited unexpectedly \(exit code 3\)/);
    expect(third).toBe(3);
  });
});

describe("runInExecutor", () => {
  test("test_run_in_executor: the loop's timers keep firing while a worker computes", async () => {
    const { ticks, result } = await run(function* () {
      const loop = getRunningLoop();
      let ticks = 0;
      const tick = () => {
        ticks++;
        handle = loop.callLater(0.01, tick);
      };
      let handle = loop.callLater(0.01, tick);
      const result = yield* loop.runInExecutor<{ threadId: number; spins: boolean }>(null, fn("busy"), 300);
      handle.cancel();
      return { ticks, result };
    });
    expect(result.spins).toBe(true);
    expect(result.threadId).toBeGreaterThan(0);
    // 300 ms of work and a 10 ms timer: a blocked loop would have ticked at most once
    expect(ticks).toBeGreaterThanOrEqual(5);
  });

  test("a call in flight stops the virtual clock from jumping past it", async () => {
    const { value, at } = await run(
      function* () {
        const loop = getRunningLoop();
        const call = loop.runInExecutor(null, fn("later"), 30, "v");
        const timer = sleep(3600);
        const value = yield* call;
        const at = loop.time();
        void timer;
        return { value, at };
      },
      { clock: "virtual" },
    );
    expect(value).toBe("v");
    expect(at).toBe(0); // no timer was due, and the clock did not jump while the call ran
  });

  test("test_run_in_executor_cancel: a cancelled queued call never runs; the loop has nothing left open", async () => {
    const out = await run(function* () {
      const loop = getRunningLoop();
      const pool = new WorkerPoolExecutor({ maxWorkers: 1 });
      const first = loop.runInExecutor(pool, fn("later"), 50, "first");
      const queued = loop.runInExecutor(pool, fn("later"), 0, "queued");
      queued.cancel();
      const v = yield* first;
      yield* pool.shutdown();
      return { v, cancelled: queued.cancelled(), open: openResources(loop) };
    });
    expect(out).toEqual({ v: "first", cancelled: true, open: [] });
  });

  test("WorkerPoolExecutor: maxWorkers bounds the threads; extra calls wait their turn", async () => {
    const ids = await run(function* () {
      const loop = getRunningLoop();
      const pool = new WorkerPoolExecutor({ maxWorkers: 2 });
      const calls = [0, 1, 2, 3, 4].map(() => loop.runInExecutor<{ threadId: number }>(pool, fn("busy"), 30));
      const results = yield* gather(...calls);
      yield* pool.shutdown();
      expect(openResources(loop)).toEqual([]);
      return results.map((r) => r.threadId);
    });
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBeLessThanOrEqual(2);
  });

  test("the default pool has min(32, cpus + 4) workers, made on demand (asyncio's default)", async () => {
    const { availableParallelism } = await import("node:os");
    const size = Math.min(32, availableParallelism() + 4);
    const ids = await run(function* () {
      const loop = getRunningLoop();
      // all submitted in one step: `size` workers start, the rest wait for a free one
      const calls = Array.from({ length: size + 3 }, () => loop.runInExecutor<{ threadId: number }>(null, fn("busy"), 50));
      const results = yield* gather(...calls);
      return results.map((r) => r.threadId);
    });
    expect(new Set(ids).size).toBe(size);
  });

  test("shutdown(wait) lets submitted calls finish; afterwards the executor refuses new calls", async () => {
    await run(function* () {
      const loop = getRunningLoop();
      const pool = new WorkerPoolExecutor({ maxWorkers: 1 });
      const a = loop.runInExecutor(pool, fn("later"), 30, "a");
      const b = loop.runInExecutor(pool, fn("later"), 10, "b");
      yield* pool.shutdown();
      expect([a.result(), b.result()]).toEqual(["a", "b"]);
      expect(pool.isShutdown()).toBe(true);
      expectThrows(() => loop.runInExecutor(pool, fn("add"), 1, 2), RuntimeError, /after shutdown/);
      expect(openResources(loop)).toEqual([]);
    });
  });

  test("shutdown(false) stops the workers at once and cancels pending calls", async () => {
    await run(function* () {
      const loop = getRunningLoop();
      const pool = new WorkerPoolExecutor({ maxWorkers: 1 });
      const a = loop.runInExecutor(pool, fn("later"), 5000, "a");
      const b = loop.runInExecutor(pool, fn("later"), 10, "b");
      yield* sleep(0.05);
      yield* pool.shutdown(false);
      expect(a.cancelled()).toBe(true);
      expect(b.cancelled()).toBe(true);
      expect(openResources(loop)).toEqual([]);
    });
  });

  test("test_run_in_executor after shutdown_default_executor raises RuntimeError", async () => {
    await run(function* () {
      const loop = getRunningLoop();
      expect(yield* toThread(fn("add"), 1, 1)).toBe(2);
      yield* loop.shutdownDefaultExecutor();
      expectThrows(() => loop.runInExecutor(null, fn("add"), 1, 2), RuntimeError, "Executor shutdown has been called");
      yield* expectFailsCoro(toThread(fn("add"), 1, 2), RuntimeError);
      // a pool of one's own still works
      const pool = new WorkerPoolExecutor();
      expect(yield* loop.runInExecutor(pool, fn("add"), 2, 3)).toBe(5);
      yield* pool.shutdown();
      expect(openResources(loop)).toEqual([]);
    });
  });

  test("shutdownDefaultExecutor waits for the calls in flight", async () => {
    await run(function* () {
      const loop = getRunningLoop();
      const call = loop.runInExecutor(null, fn("later"), 40, "x");
      yield* loop.shutdownDefaultExecutor();
      expect(call.done() && call.result()).toBe("x");
    });
  });

  test("shutdownDefaultExecutor before any call: later calls are refused", async () => {
    await run(function* () {
      const loop = getRunningLoop();
      yield* loop.shutdownDefaultExecutor();
      expectThrows(() => loop.runInExecutor(null, fn("add"), 1, 2), RuntimeError, "Executor shutdown has been called");
    });
  });

  test("run() stops the default executor when main ends, even with a call still running", async () => {
    let loop: EventLoop | null = null;
    let call: { cancelled(): boolean } | null = null;
    await run(function* () {
      loop = getRunningLoop();
      call = loop.runInExecutor(null, fn("later"), 10_000, "never");
      yield* sleep(0.02);
    });
    expect(loop!.isClosed()).toBe(true);
    expect(call!.cancelled()).toBe(true);
  });

  test("an executor binds to one loop at a time, and to the next once the first is closed", async () => {
    const pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const add = function* (a: number, b: number) {
      return yield* getRunningLoop().runInExecutor<number>(pool, fn("add"), a, b);
    };
    expect(await run(add(1, 2))).toBe(3);
    expect(await run(add(3, 4))).toBe(7);
    const other = newEventLoop();
    try {
      await run(function* () {
        yield* getRunningLoop().runInExecutor(pool, fn("add"), 0, 0);
        expectThrows(() => other.runInExecutor(pool, fn("add"), 1, 1), RuntimeError, /in use by another event loop/);
      });
    } finally {
      other.close();
    }
  });

  test("bad arguments are refused at the call", () => {
    const loop = newEventLoop();
    try {
      expectThrows(() => loop.runInExecutor({} as never, fn("add")), TypeError, /executor must be a WorkerPoolExecutor or null/);
      expectThrows(() => loop.runInExecutor(null, (() => 1) as never), TypeError, /runInExecutor\(executor, fn\): fn must be \{ module, name \}/);
      expectThrows(() => new WorkerPoolExecutor({ maxWorkers: 0 }), ValueError, "maxWorkers must be greater than 0");
      expectThrows(() => new WorkerPoolExecutor({ maxWorkers: 1.5 }), TypeError, "maxWorkers must be an integer");
      expectThrows(() => new WorkerPoolExecutor(null as never), TypeError, "options must be an object");
      expectThrows(() => new WorkerPoolExecutor().shutdown("yes" as never), TypeError, "wait must be a boolean");
      expect(openResources(loop)).toEqual([]);
    } finally {
      loop.close();
    }
    expectThrows(() => loop.runInExecutor(null, fn("add")), RuntimeError, "Event loop is closed");
  });

  test("a host without workers: NotImplementedError naming the host", () => {
    const loop = newEventLoop({ driver: new TimersDriver("browser") });
    try {
      expectThrows(() => loop.runInExecutor(null, fn("add"), 1, 2), NotImplementedError, /worker executors are not available on browser/);
    } finally {
      loop.close();
    }
  });

  test("cancelling the task that awaits a call cancels the call", async () => {
    await run(function* () {
      const loop = getRunningLoop();
      const pool = new WorkerPoolExecutor({ maxWorkers: 1 });
      const waiter = loop.createTask(
        (function* () {
          return yield* loop.runInExecutor(pool, fn("later"), 5000, "x");
        })(),
      );
      yield* sleep(0.02);
      waiter.cancel();
      yield* expectFailsCoro(waiter, CancelledError);
      yield* pool.shutdown(false);
      expect(openResources(loop)).toEqual([]);
    });
  });
});

function* expectFailsCoro(aw: Iterable<unknown> & object, cls: new (...a: never[]) => Error): Generator<unknown, Error, unknown> {
  try {
    yield* aw as never;
  } catch (e) {
    expect(e).toBeInstanceOf(cls);
    return e as Error;
  }
  throw new Error(`expected ${cls.name}`);
}

describe("from a bundle, in a process of its own", () => {
  test("the worker code travels inside the bundle; the process exits by itself after run()", async () => {
    const lib = await bundleWasyncio();
    try {
      const r = await runChild(`
        import { run, toThread, getRunningLoop } from ${JSON.stringify(lib.url)};
        const work = { module: ${JSON.stringify(WORK.href)}, name: "add" };
        const v = await run(function* () {
          const a = yield* toThread(work, 20, 22);
          getRunningLoop().runInExecutor(null, { module: ${JSON.stringify(WORK.href)}, name: "later" }, 60000, "abandoned");
          return a;
        });
        console.log(JSON.stringify({ v }));
      `);
      expect(JSON.parse(r.stdout)).toEqual({ v: 42 });
      expect(r.code).toBe(0);
    } finally {
      lib.remove();
    }
  });
});
