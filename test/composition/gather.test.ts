// gather() — ported from CPython 3.13's test_tasks.py: GatherTestsBase (run twice, as
// FutureGatherTests and CoroutineGatherTests), the rest of FutureGatherTests and
// CoroutineGatherTests, and BaseTaskTests.test_cancel_gather_1/2 and test_gather_shield; plus the
// SPEC's contract: bad arguments raise a TypeError at the call naming the argument position,
// `gather()` is a done future with `[]`, a typed tuple result, cancellation both ways (bpo-32684),
// and exceptions of the children the gather no longer waits for are marked retrieved.

import { describe, expect, expectTypeOf, it } from "vitest";
import {
  CancelledError,
  Future,
  GatheringFuture,
  InvalidStateError,
  RuntimeError,
  ValueError,
  createTask,
  eagerTaskFactory,
  ensureFuture,
  gather,
  getRunningLoop,
  runSync,
  setEventLoop,
  shield,
  sleep,
  type Awaitable,
  type Coro,
  type EventLoop,
} from "../../src/index.ts";
import { CORES, expectFails, expectSameItems, expectThrows, makeLoop, resetEventLoopAfter, runBriefly } from "../helpers.ts";

class ZeroDivisionError extends Error {
  override name = "ZeroDivisionError";
}

/** `gather` with its overloads erased: for spreading arrays and passing bad arguments. */
const gatherAny = gather as unknown as (...args: unknown[]) => GatheringFuture<unknown[]>;

/** GatherTestsBase._run_loop: run iterations until nothing is left to do (chains are short). */
async function runLoop(loop: EventLoop): Promise<void> {
  for (let i = 0; i < 5; i++) await runBriefly(loop);
}

/** test_utils.MockCallback: records every call. */
function mockCallback(): { fn: (f: unknown) => void; calls: unknown[] } {
  const calls: unknown[] = [];
  return { fn: (f) => void calls.push(f), calls };
}

function expectCalledOnceWith(cb: { calls: unknown[] }, arg: unknown): void {
  expect(cb.calls.length).toBe(1);
  expect(cb.calls[0]).toBe(arg);
}

/** GatherTestsBase's two faces: gather the futures themselves, or coroutines awaiting them. */
interface Variant {
  name: string;
  wrapFutures(futs: Future<number>[]): Awaitable<number>[];
  // (the future comes back in a box: a Future is a thenable, and a Promise would adopt it)
  gather(loop: EventLoop, args: Awaitable<number>[], opts?: { returnExceptions?: boolean }): Promise<{ fut: GatheringFuture<unknown[]> }>;
}

const VARIANTS: Variant[] = [
  {
    name: "FutureGatherTests",
    wrapFutures: (futs) => futs,
    gather: async (_loop, args, opts) => ({ fut: opts ? gatherAny(...args, opts) : gatherAny(...args) }),
  },
  {
    name: "CoroutineGatherTests",
    wrapFutures: (futs) =>
      futs.map((fut) =>
        (function* coro(): Coro<number> {
          return yield* fut;
        })(),
      ),
    // gather() called inside a running loop (the coroutines become tasks of that loop)
    gather: async (loop, args, opts) => {
      let out: GatheringFuture<unknown[]> | null = null;
      await loop.runUntilComplete(
        (function* () {
          out = opts ? gatherAny(...args, opts) : gatherAny(...args);
        })(),
      );
      return { fut: out! };
    },
  },
];

describe.each(CORES)("%s core", (core) => {
  const go = <T>(main: () => Coro<T>): T => runSync(main, { core });

  // ---------------------------------------------------------------------------------------------
  // GatherTestsBase, once per variant
  // ---------------------------------------------------------------------------------------------
  describe.each(VARIANTS)("$name", (variant) => {
    async function checkSuccess(opts?: { returnExceptions?: boolean }): Promise<void> {
      const loop = makeLoop(core);
      const [a, b, c] = [0, 1, 2].map(() => loop.createFuture<number>());
      const { fut } = await variant.gather(loop, variant.wrapFutures([a, b, c]), opts);
      const cb = mockCallback();
      fut.addDoneCallback(cb.fn);
      b.setResult(1);
      a.setResult(2);
      await runLoop(loop);
      expect(cb.calls.length).toBe(0);
      expect(fut.done()).toBe(false);
      c.setResult(3);
      await runLoop(loop);
      expectCalledOnceWith(cb, fut);
      expect(fut.result()).toEqual([2, 1, 3]);
    }

    it(`results come in argument order (test_tasks.${variant.name}.test_success)`, async () => {
      await checkSuccess();
      await checkSuccess({ returnExceptions: false });
    });

    it(`returnExceptions changes nothing when all succeed (test_tasks.${variant.name}.test_result_exception_success)`, async () => {
      await checkSuccess({ returnExceptions: true });
    });

    it(`the first exception fails the gather; later completions do nothing (test_tasks.${variant.name}.test_one_exception)`, async () => {
      const loop = makeLoop(core);
      const [a, b, c, d, e] = [0, 1, 2, 3, 4].map(() => loop.createFuture<number>());
      const { fut } = await variant.gather(loop, variant.wrapFutures([a, b, c, d, e]));
      const cb = mockCallback();
      fut.addDoneCallback(cb.fn);
      const exc = new ZeroDivisionError();
      a.setResult(1);
      b.setException(exc);
      await runLoop(loop);
      expect(fut.done()).toBe(true);
      expectCalledOnceWith(cb, fut);
      expect(fut.exception()).toBe(exc);
      // does nothing
      c.setResult(3);
      d.cancel();
      e.setException(new RuntimeError());
      e.exception();
      await runLoop(loop);
      expectCalledOnceWith(cb, fut);
      expect(fut.exception()).toBe(exc);
    });

    it(`returnExceptions puts the errors in the results (test_tasks.${variant.name}.test_return_exceptions)`, async () => {
      const loop = makeLoop(core);
      const [a, b, c, d] = [0, 1, 2, 3].map(() => loop.createFuture<number>());
      const { fut } = await variant.gather(loop, variant.wrapFutures([a, b, c, d]), { returnExceptions: true });
      const cb = mockCallback();
      fut.addDoneCallback(cb.fn);
      const exc = new ZeroDivisionError();
      const exc2 = new RuntimeError();
      b.setResult(1);
      c.setException(exc);
      a.setResult(3);
      await runLoop(loop);
      expect(fut.done()).toBe(false);
      d.setException(exc2);
      await runLoop(loop);
      expect(fut.done()).toBe(true);
      expectCalledOnceWith(cb, fut);
      expectSameItems(fut.result(), [3, 1, exc, exc2]);
    });
  });

  // ---------------------------------------------------------------------------------------------
  // FutureGatherTests
  // ---------------------------------------------------------------------------------------------
  it("gather() with no loop at all is a RuntimeError (test_tasks.FutureGatherTests.test_constructor_empty_sequence_without_loop)", () => {
    resetEventLoopAfter();
    setEventLoop(null);
    expectThrows(() => gather(), RuntimeError, /no current event loop/i);
  });

  it("gather() binds to the running loop (test_tasks.FutureGatherTests.test_constructor_empty_sequence_use_running_loop)", async () => {
    const loop = makeLoop(core);
    let fut: GatheringFuture<[]> | null = null;
    await loop.runUntilComplete(
      (function* () {
        fut = gather();
      })(),
    );
    expect(fut).toBeInstanceOf(Future);
    expect(fut!.getLoop()).toBe(loop);
    await runLoop(loop);
    expect(fut!.done()).toBe(true);
    expect(fut!.result()).toEqual([]);
  });

  it("gather() outside a running loop binds to the current loop (test_tasks.FutureGatherTests.test_constructor_empty_sequence_use_global_loop)", async () => {
    resetEventLoopAfter();
    const loop = makeLoop(core);
    setEventLoop(loop);
    const fut = gather();
    expect(fut).toBeInstanceOf(Future);
    expect(fut.getLoop()).toBe(loop);
    await runLoop(loop);
    expect(fut.done()).toBe(true);
    expect(fut.result()).toEqual([]);
  });

  it("futures of different loops are a ValueError (test_tasks.FutureGatherTests.test_constructor_heterogenous_futures)", () => {
    const oneLoop = makeLoop(core);
    const otherLoop = makeLoop(core);
    const fut1 = oneLoop.createFuture();
    const fut2 = otherLoop.createFuture();
    expectThrows(() => gather(fut1, fut2), ValueError);
  });

  it("the gather binds to its children's loop (test_tasks.FutureGatherTests.test_constructor_homogenous_futures)", async () => {
    resetEventLoopAfter();
    const oneLoop = makeLoop(core);
    const otherLoop = makeLoop(core);
    setEventLoop(oneLoop);
    const children = [0, 1, 2].map(() => otherLoop.createFuture<number>());
    let fut = gatherAny(...children);
    expect(fut.getLoop()).toBe(otherLoop);
    await runLoop(otherLoop);
    expect(fut.done()).toBe(false);
    fut = gatherAny(...children);
    expect(fut.getLoop()).toBe(otherLoop);
    await runLoop(otherLoop);
    expect(fut.done()).toBe(false);
    // a coroutine after them becomes a task of that loop too (ensure_future(arg, loop=loop))
    const mixed = gather(children[0], sleep(0, "coro"));
    expect(mixed.getLoop()).toBe(otherLoop);
    children.forEach((c, i) => c.setResult(i));
    expect(await otherLoop.runUntilComplete(mixed)).toEqual([0, "coro"]);
  });

  it("a cancelled child fails the gather with CancelledError; the gather is not cancelled (test_tasks.FutureGatherTests.test_one_cancellation)", async () => {
    const loop = makeLoop(core);
    const [a, b, c, d, e] = [0, 1, 2, 3, 4].map(() => loop.createFuture<number>());
    const fut = gather(a, b, c, d, e);
    const cb = mockCallback();
    fut.addDoneCallback(cb.fn);
    a.setResult(1);
    b.cancel();
    await runLoop(loop);
    expect(fut.done()).toBe(true);
    expectCalledOnceWith(cb, fut);
    expect(fut.cancelled()).toBe(false);
    expect(fut.exception()).toBeInstanceOf(CancelledError);
    // does nothing
    c.setResult(3);
    d.cancel();
    e.setException(new RuntimeError());
    e.exception();
    await runLoop(loop);
    expectCalledOnceWith(cb, fut);
  });

  it("returnExceptions puts a CancelledError in place of each cancelled child (test_tasks.FutureGatherTests.test_result_exception_one_cancellation)", async () => {
    const loop = makeLoop(core);
    const [a, b, c, d, e, f] = [0, 1, 2, 3, 4, 5].map(() => loop.createFuture<number>());
    const fut = gather(a, b, c, d, e, f, { returnExceptions: true });
    const cb = mockCallback();
    fut.addDoneCallback(cb.fn);
    a.setResult(1);
    const zde = new ZeroDivisionError();
    b.setException(zde);
    c.cancel();
    await runLoop(loop);
    expect(fut.done()).toBe(false);
    d.setResult(3);
    e.cancel();
    const rte = new RuntimeError();
    f.setException(rte);
    const res = (await loop.runUntilComplete(fut)) as unknown[];
    expect(res[2]).toBeInstanceOf(CancelledError);
    expect(res[4]).toBeInstanceOf(CancelledError);
    res[2] = res[4] = null;
    expectSameItems(res, [1, zde, null, 3, null, rte]);
    expectCalledOnceWith(cb, fut);
  });

  // ---------------------------------------------------------------------------------------------
  // CoroutineGatherTests
  // ---------------------------------------------------------------------------------------------
  it("coroutines with no loop at all are a RuntimeError, and are not started (test_tasks.CoroutineGatherTests.test_constructor_without_loop)", () => {
    resetEventLoopAfter();
    setEventLoop(null);
    let started = 0;
    function* coro() {
      started++;
      return "abc";
    }
    expectThrows(() => gather(coro(), coro()), RuntimeError, /no current event loop/i);
    expect(started).toBe(0);
  });

  it("coroutines become tasks of the running loop (test_tasks.CoroutineGatherTests.test_constructor_use_running_loop)", async () => {
    const loop = makeLoop(core);
    function* coro() {
      return "abc";
    }
    const gen1 = coro();
    const gen2 = coro();
    let fut: GatheringFuture<[string, string]> | null = null;
    await loop.runUntilComplete(
      (function* () {
        fut = gather(gen1, gen2);
      })(),
    );
    expect(fut!.getLoop()).toBe(loop);
    expect(await loop.runUntilComplete(fut!)).toEqual(["abc", "abc"]);
  });

  it("outside a running loop coroutines go to the current loop (test_tasks.CoroutineGatherTests.test_constructor_use_global_loop)", async () => {
    resetEventLoopAfter();
    const otherLoop = makeLoop(core);
    setEventLoop(otherLoop);
    function* coro() {
      return "abc";
    }
    const fut = gather(coro(), coro());
    expect(fut.getLoop()).toBe(otherLoop);
    expect(await otherLoop.runUntilComplete(fut)).toEqual(["abc", "abc"]);
  });

  it("a coroutine passed twice runs once and fills both places (test_tasks.CoroutineGatherTests.test_duplicate_coroutines)", async () => {
    const loop = makeLoop(core);
    let runs = 0;
    function* coro(s: string) {
      runs++;
      return s;
    }
    const c = coro("abc");
    let fut: GatheringFuture<unknown[]> | null = null;
    await loop.runUntilComplete(
      (function* () {
        fut = gatherAny(c, c, coro("def"), c);
      })(),
    );
    await runLoop(loop);
    expect(fut!.result()).toEqual(["abc", "abc", "def", "abc"]);
    expect(runs).toBe(2);
  });

  it("cancelling the task awaiting the gather cancels every child (test_tasks.CoroutineGatherTests.test_cancellation_broadcast)", async () => {
    const loop = makeLoop(core);
    let proof = 0;
    const waiter = loop.createFuture();
    function* inner() {
      yield* waiter;
      proof += 1;
    }
    const child1 = ensureFuture(inner(), { loop });
    const child2 = ensureFuture(inner(), { loop });
    let gatherer = null as GatheringFuture<unknown[]> | null;
    function* outer() {
      gatherer = gather(child1, child2);
      yield* gatherer;
      proof += 100;
    }
    const f = ensureFuture(outer(), { loop });
    await runBriefly(loop);
    expect(f.cancel()).toBe(true);
    await expectFails(() => loop.runUntilComplete(f), CancelledError);
    expect(gatherer!.cancel()).toBe(false);
    expect(waiter.cancelled()).toBe(true);
    expect(child1.cancelled()).toBe(true);
    expect(child2.cancelled()).toBe(true);
    await runBriefly(loop);
    expect(proof).toBe(0);
  });

  it("an exception after the gather failed is marked retrieved (test_tasks.CoroutineGatherTests.test_exception_marking)", async () => {
    const loop = makeLoop(core);
    const reports: unknown[] = [];
    loop.setExceptionHandler((_l, ctx) => reports.push(ctx.message));
    function* inner(f: Future<unknown>): Coro<void> {
      yield* f;
      throw new RuntimeError("should not be ignored");
    }
    const a = loop.createFuture();
    const b = loop.createFuture();
    function* outer() {
      yield* gather(inner(a), inner(b));
    }
    const f = ensureFuture(outer(), { loop });
    await runBriefly(loop);
    a.setResult(null);
    await runBriefly(loop);
    b.setResult(null);
    await runBriefly(loop);
    expect(f.exception()).toBeInstanceOf(RuntimeError);
    // the second child's failure was retrieved by gather's callback: nothing to report
    loop.close();
    expect(reports).toEqual([]);
  });

  it("a bad argument after a coroutine: TypeError, and no error report afterwards (test_tasks.CoroutineGatherTests.test_issue46672)", async () => {
    const loop = makeLoop(core);
    const reports: unknown[] = [];
    loop.setExceptionHandler((_l, ctx) => reports.push(ctx.message));
    function* coro(s: string) {
      return s;
    }
    const c = coro("abc");
    // (Python passes `{}`; in wasyncio a trailing plain object is the options, so an array here)
    let thrown: unknown = null;
    await loop.runUntilComplete(
      (function* () {
        try {
          gatherAny(c, []);
        } catch (e) {
          thrown = e;
        }
      })(),
    );
    expect(thrown).toBeInstanceOf(TypeError);
    expect((thrown as Error).message).toMatch(/argument 2/);
    await runLoop(loop);
    loop.close();
    expect(reports).toEqual([]);
  });

  // ---------------------------------------------------------------------------------------------
  // BaseTaskTests
  // ---------------------------------------------------------------------------------------------
  it("a gather refuses cancellation once its children are done (test_tasks.BaseTaskTests.test_cancel_gather_1)", async () => {
    const loop = makeLoop(core);
    const fut = loop.createFuture<number>();
    let gatherTask = null as Future<[number]> | null;
    await loop.runUntilComplete(
      (function* () {
        // the indirection fut -> childCoro keeps the gather from finishing with fut
        function* childCoro(): Coro<number> {
          return yield* fut;
        }
        const gatherFuture = gather(childCoro());
        gatherTask = ensureFuture(gatherFuture);
        expect(gatherTask).toBe(gatherFuture);
      })(),
    );
    let cancelResult: boolean | null = null;
    fut.addDoneCallback(() => {
      cancelResult = gatherTask!.cancel();
    });
    fut.setResult(42); // the cancelling callback runs after fut is done
    await loop.runUntilComplete(gatherTask!);
    // bpo-26923: gather dropped the cancellation
    expect(cancelResult).toBe(false);
    expect(gatherTask!.cancelled()).toBe(false);
    expect(gatherTask!.result()).toEqual([42]);
  });

  // (CPython's fourth case, a non-string message, has no counterpart: messages are strings)
  const cancelGather2Cases: [label: string, args: [] | [string | null], expected: string][] = [
    ["no message", [], ""],
    ["null", [null], ""],
    ["a message", ["my message"], "my message"],
  ];
  for (const [label, args, expected] of cancelGather2Cases) {
    it(`cancelling a task inside gather(..., returnExceptions) propagates CancelledError, ${label} (test_tasks.BaseTaskTests.test_cancel_gather_2)`, () => {
      let caught: unknown = null;
      go(function* () {
        const loop = getRunningLoop();
        function* test(): Coro<void> {
          let time = 0;
          for (;;) {
            time += 0.05;
            yield* gather(sleep(0.05), { returnExceptions: true });
            if (time > 1) return;
          }
        }
        const qwe = createTask(test());
        yield* sleep(0.2);
        qwe.cancel(...args);
        try {
          yield* qwe;
        } catch (e) {
          caught = e;
        }
        expect(loop.time()).toBeCloseTo(0.2, 9);
        expect(qwe.cancelled()).toBe(true);
      });
      expect(caught, "gather() does not propagate CancelledError raised by inner task to the gather() caller").toBeInstanceOf(
        CancelledError,
      );
      expect((caught as Error).message).toBe(expected);
    });
  }

  it("cancelling a gather of shields cancels the shields, not the shielded (test_tasks.BaseTaskTests.test_gather_shield)", async () => {
    const loop = makeLoop(core);
    const child1 = loop.createFuture<number>();
    const child2 = loop.createFuture<number>();
    const inner1 = shield(child1);
    const inner2 = shield(child2);
    const parent = gather(inner1, inner2);
    await runBriefly(loop);
    expect(parent.cancel()).toBe(true);
    await runBriefly(loop);
    expect(parent.exception()).toBeInstanceOf(CancelledError);
    expect(inner1.cancelled()).toBe(true);
    expect(inner2.cancelled()).toBe(true);
    expect(child1.cancelled()).toBe(false);
    expect(child2.cancelled()).toBe(false);
    child1.setResult(1);
    child2.setResult(2);
    await runBriefly(loop);
  });

  // ---------------------------------------------------------------------------------------------
  // Bad input: a TypeError at the call naming the position; the loop is untouched
  // ---------------------------------------------------------------------------------------------
  it("gather(42) is a TypeError naming argument 1; the loop keeps running", () => {
    const record = go(function* () {
      const loop = getRunningLoop();
      const record: string[] = [];
      expectThrows(() => gatherAny(42), TypeError, /gather\(\): argument 1 must be a coroutine, a Task or a Future, got 42/);
      yield* sleep(1);
      record.push(`slept at ${loop.time()}`);
      expectThrows(() => gatherAny(sleep(1), sleep(1), 42), TypeError, /argument 3\b.*42/);
      record.push(`gathered ${JSON.stringify(yield* gather(sleep(1, "a"), sleep(2, "b")))} at ${loop.time()}`);
      return record;
    });
    expect(record).toEqual(["slept at 1", 'gathered ["a","b"] at 3']);
  });

  it("gather(fn) with a generator function (not called) is a TypeError naming the argument; the loop keeps running", () => {
    const record = go(function* () {
      const loop = getRunningLoop();
      const record: string[] = [];
      function* someFunction() {
        record.push("never runs");
        return 1;
      }
      expectThrows(() => gatherAny(someFunction), TypeError, /argument 1\b.*function someFunction/);
      yield* sleep(1);
      record.push(`slept at ${loop.time()}`);
      expectThrows(() => gatherAny(someFunction(), someFunction), TypeError, /argument 2\b.*someFunction/);
      yield* sleep(1);
      record.push(`slept at ${loop.time()}`);
      record.push(`gathered ${JSON.stringify(yield* gather(someFunction()))}`);
      return record;
    });
    expect(record).toEqual(["slept at 1", "slept at 2", "never runs", "gathered [1]"]);
  });

  it("gather(promise) is a TypeError naming the argument; the loop keeps running", () => {
    const record = go(function* () {
      const loop = getRunningLoop();
      const record: string[] = [];
      expectThrows(() => gatherAny(Promise.resolve(1)), TypeError, /argument 1\b.*Promise/);
      yield* sleep(1);
      record.push(`slept at ${loop.time()}`);
      const fut = loop.createFuture<number>();
      loop.callLater(1, () => fut.setResult(7));
      expectThrows(() => gatherAny(fut, sleep(1), Promise.resolve(2)), TypeError, /argument 3\b/);
      // the valid future before the bad argument is still usable on its own
      record.push(`gathered ${JSON.stringify(yield* gather(fut))} at ${loop.time()}`);
      return record;
    });
    expect(record).toEqual(["slept at 1", "gathered [7] at 2"]);
  });

  it("a trailing plain object is the options; any other non-awaitable is a bad argument", () => {
    go(function* () {
      expect(yield* gather(sleep(1, 1), {})).toEqual([1]);
      expect(yield* gather(sleep(1, 1), { returnExceptions: false })).toEqual([1]);
      expect(yield* gather({ returnExceptions: true })).toEqual([]);
      expectThrows(() => gatherAny(sleep(1), []), TypeError, /argument 2\b/);
      expectThrows(() => gatherAny(sleep(1), null), TypeError, /argument 2\b.*null/);
      expectThrows(() => gatherAny(undefined), TypeError, /argument 1\b.*undefined/);
      const failing = (function* (): Coro<number> {
        yield* sleep(1);
        throw new ZeroDivisionError("x");
      })();
      yield* expectFailsInline(gather(failing, { returnExceptions: false }), ZeroDivisionError);
    });
  });

  // ---------------------------------------------------------------------------------------------
  // The contract
  // ---------------------------------------------------------------------------------------------
  it("gather() with no awaitables is a Future that is already done with []", () => {
    go(function* () {
      const loop = getRunningLoop();
      const g = gather();
      expect(g).toBeInstanceOf(Future);
      expect(g.getLoop()).toBe(loop);
      expect(g.done()).toBe(true);
      expect(g.result()).toEqual([]);
      expect(g.exception()).toBeNull();
      expect(g.cancel()).toBe(false);
      expect(yield* g).toEqual([]);
      expect(loop.time()).toBe(0);
    });
  });

  it("the children run concurrently; results follow argument order, not completion order", () => {
    const out = go(function* () {
      const loop = getRunningLoop();
      const record: string[] = [];
      function* job(name: string, delay: number) {
        record.push(`${name} starts at ${loop.time()}`);
        yield* sleep(delay);
        record.push(`${name} ends at ${loop.time()}`);
        return name;
      }
      const results = yield* gather(job("slow", 3), job("fast", 1), job("mid", 2));
      record.push(`gather returns at ${loop.time()}`);
      return { results, record };
    });
    expect(out.results).toEqual(["slow", "fast", "mid"]);
    expect(out.record).toEqual([
      "slow starts at 0",
      "fast starts at 0",
      "mid starts at 0",
      "fast ends at 1",
      "mid ends at 2",
      "slow ends at 3",
      "gather returns at 3",
    ]);
  });

  it("the first greeting example from the SPEC interleaves the two coroutines", () => {
    const lines: string[] = [];
    go(function* main() {
      function* greet(name: string) {
        lines.push(`Hello, ${name}!`);
        yield* sleep(1);
        lines.push(`Goodbye, ${name}!`);
      }
      lines.push("Starting wasyncio application...");
      yield* gather(greet("Alice"), greet("Bob"));
      lines.push("wasyncio application finished.");
    });
    expect(lines).toEqual([
      "Starting wasyncio application...",
      "Hello, Alice!",
      "Hello, Bob!",
      "Goodbye, Alice!",
      "Goodbye, Bob!",
      "wasyncio application finished.",
    ]);
  });

  it("the result is a typed tuple, with `| Error` under returnExceptions", () => {
    const out = go(function* () {
      const loop = getRunningLoop();
      const fut = loop.createFuture<boolean>();
      loop.callLater(1, () => fut.setResult(true));
      const task = createTask(sleep(2, "task"));
      const g = gather(sleep(1, 1), sleep(1, "two"), fut, task);
      expectTypeOf(g).toEqualTypeOf<GatheringFuture<[number, string, boolean, string]>>();
      const [n, s, b, t] = yield* g;
      expectTypeOf(n).toEqualTypeOf<number>();
      expectTypeOf(s).toEqualTypeOf<string>();
      expectTypeOf(b).toEqualTypeOf<boolean>();
      expectTypeOf(t).toEqualTypeOf<string>();
      const typed: [number, string, boolean, string] = [n, s, b, t];
      function* failing(): Coro<number> {
        yield* sleep(1);
        throw new ZeroDivisionError("no");
      }
      const settled = yield* gather(failing(), sleep(1, "ok"), { returnExceptions: true });
      expectTypeOf(settled).toEqualTypeOf<[number | Error, string | Error]>();
      const plain = yield* gather(sleep(0, 1n), { returnExceptions: false });
      expectTypeOf(plain).toEqualTypeOf<[bigint]>();
      // @ts-expect-error: the second element is a string, not a number
      const wrong: [number, number] = yield* gather(sleep(0, 1), sleep(0, "x"));
      return { typed, settled, plain, wrong };
    });
    expect(out.typed).toEqual([1, "two", true, "task"]);
    expect(out.settled[0]).toBeInstanceOf(ZeroDivisionError);
    expect(out.settled[1]).toBe("ok");
    expect(out.plain).toEqual([1n]);
    expect(out.wrong).toEqual([1, "x"]);
  });

  it("the gather is a Future: addDoneCallback fires once with it; result()/exception() before done are InvalidStateError", () => {
    go(function* () {
      const loop = getRunningLoop();
      const record: string[] = [];
      const g = gather(sleep(1, "a"), sleep(2, "b"));
      expect(g).toBeInstanceOf(Future);
      expect(g.getLoop()).toBe(loop);
      expectThrows(() => g.result(), InvalidStateError);
      expectThrows(() => g.exception(), InvalidStateError);
      g.addDoneCallback((f) => {
        expect(f).toBe(g);
        record.push(`done at ${loop.time()}: ${JSON.stringify(f.result())}`);
      });
      yield* sleep(5);
      expect(record).toEqual(['done at 2: ["a","b"]']);
      expect(g.exception()).toBeNull();
      expect(g.cancelled()).toBe(false);
      expect(g.cancel()).toBe(false);
      // a callback added after completion runs at the next iteration
      g.addDoneCallback(() => record.push("late callback"));
      yield* sleep(0);
      expect(record).toEqual(['done at 2: ["a","b"]', "late callback"]);
    });
  });

  it("children that are already done complete the gather at the call", async () => {
    const loop = makeLoop(core);
    const one = loop.createFuture<number>();
    one.setResult(1);
    const g1 = gather(one, one);
    expect(g1.done()).toBe(true);
    expect(g1.result()).toEqual([1, 1]);

    const err = new ZeroDivisionError("already failed");
    const bad = loop.createFuture<number>();
    bad.setException(err);
    const g2 = gather(one, bad);
    expect(g2.done()).toBe(true);
    expect(g2.exception()).toBe(err);

    const gone = loop.createFuture<number>();
    gone.cancel("gone");
    const g3 = gather(gone, one);
    expect(g3.done()).toBe(true);
    expect(g3.cancelled()).toBe(false);
    expect(g3.exception()).toBeInstanceOf(CancelledError);
    expect((g3.exception() as Error).message).toBe("gone");

    const g4 = gather(gone, bad, one, { returnExceptions: true });
    expect(g4.done()).toBe(true);
    const res = g4.result() as unknown[];
    expect(res[0]).toBeInstanceOf(CancelledError);
    expect((res[0] as Error).message).toBe("gone");
    expectSameItems(res.slice(1), [err, 1]);
  });

  it("with the eager task factory, coroutines that finish at once complete the gather at the call", () => {
    go(function* () {
      const loop = getRunningLoop();
      loop.setTaskFactory(eagerTaskFactory as never);
      try {
        function* quick<T>(v: T): Coro<T> {
          return v;
        }
        const g = gather(quick(1), quick("b"));
        expect(g.done()).toBe(true);
        expect(g.result()).toEqual([1, "b"]);
        // one that suspends is still pending
        const g2 = gather(quick(1), sleep(1, 2));
        expect(g2.done()).toBe(false);
        expect(yield* g2).toEqual([1, 2]);
      } finally {
        loop.setTaskFactory(null);
      }
    });
  });

  it("duplicate futures and tasks count once; each place gets the value", () => {
    go(function* () {
      const loop = getRunningLoop();
      const f = loop.createFuture<string>();
      const t = createTask(sleep(2, "task"));
      loop.callLater(1, () => f.setResult("fut"));
      const g = gather(f, t, f, t, f);
      const record: string[] = [];
      g.addDoneCallback(() => record.push(`done at ${loop.time()}`));
      expect(yield* g).toEqual(["fut", "task", "fut", "task", "fut"]);
      yield* sleep(0);
      expect(record).toEqual(["done at 2"]);
      // a duplicated failure appears in each place under returnExceptions
      const bad = loop.createFuture<string>();
      const err = new ZeroDivisionError("dup");
      loop.callLater(1, () => bad.setException(err));
      expectSameItems(yield* gather(bad, sleep(0, "x"), bad, { returnExceptions: true }), [err, "x", err]);
    });
  });

  it("coroutines, tasks, futures and a nested gather mix; results nest", () => {
    const out = go(function* () {
      const loop = getRunningLoop();
      const fut = loop.createFuture<string>();
      loop.callLater(2, () => fut.setResult("future"));
      const inner = gather(sleep(1, "i1"), sleep(3, "i2"));
      const result = yield* gather(sleep(1, "coro"), createTask(sleep(1, "task")), fut, inner);
      return { result, time: loop.time() };
    });
    expect(out.result).toEqual(["coro", "task", "future", ["i1", "i2"]]);
    expect(out.time).toBe(3);
  });

  it("returnExceptions with cancelled children: a CancelledError in their places (a future's carries its message)", () => {
    const out = go(function* () {
      const loop = getRunningLoop();
      const slow = createTask(sleep(10, "slow"));
      const fut = loop.createFuture<number>();
      const ok = createTask(sleep(2, "ok"));
      loop.callLater(1, () => slow.cancel("too slow"));
      loop.callLater(1, () => fut.cancel("fut msg"));
      const res = yield* gather(slow, fut, ok, { returnExceptions: true });
      return { res, time: loop.time() };
    });
    expect(out.time).toBe(2);
    expect(out.res[0]).toBeInstanceOf(CancelledError);
    // as in CPython 3.13: gather builds a fresh CancelledError from the child's cancel message,
    // which a Task cancelled while waiting does not keep (CancelledError('') there too)
    expect((out.res[0] as Error).message).toBe("");
    expect(out.res[1]).toBeInstanceOf(CancelledError);
    expect((out.res[1] as Error).message).toBe("fut msg");
    expect(out.res[2]).toBe("ok");
  });

  it("a cancelled child surfaces as CancelledError with its message; the others keep running; the awaiting task is not cancelled", () => {
    const out = go(function* () {
      const loop = getRunningLoop();
      const record: string[] = [];
      function* job(name: string, delay: number) {
        yield* sleep(delay);
        record.push(`${name} done at ${loop.time()}`);
        return name;
      }
      const victim = createTask(job("victim", 5));
      const other = createTask(job("other", 3));
      loop.callLater(1, () => victim.cancel("child msg"));
      const g = gather(victim, other);
      let caught: unknown = null;
      try {
        yield* g;
      } catch (e) {
        caught = e;
        record.push(`caught ${(e as Error).name}(${(e as Error).message}) at ${loop.time()}`);
      }
      expect(g.cancelled()).toBe(false);
      expect(g.exception()).toBe(caught);
      expect(other.done()).toBe(false);
      yield* sleep(5);
      record.push(`main survives, other=${other.result()}`);
      return record;
    });
    expect(out).toEqual(["caught CancelledError(child msg) at 1", "other done at 3", "main survives, other=other"]);
  });

  it("cancelling the gather cancels every pending child (not the finished ones); their finally blocks run", () => {
    const out = go(function* () {
      const loop = getRunningLoop();
      const record: string[] = [];
      function* worker(name: string, delay: number) {
        try {
          yield* sleep(delay);
          record.push(`${name} finished`);
          return name;
        } catch (e) {
          record.push(`${name} got ${(e as Error).name}(${(e as Error).message})`);
          throw e;
        } finally {
          record.push(`${name} cleanup at ${loop.time()}`);
        }
      }
      const a = createTask(worker("a", 1));
      const b = createTask(worker("b", 5));
      const g = gather(a, b, worker("c", 10));
      let cancelResult: boolean | null = null;
      loop.callLater(2, () => (cancelResult = g.cancel("shutdown")));
      try {
        yield* g;
      } catch (e) {
        record.push(`main ${(e as Error).name}(${(e as Error).message}) at ${loop.time()}`);
      }
      expect(cancelResult).toBe(true);
      expect(a.cancelled()).toBe(false);
      expect(a.result()).toBe("a");
      expect(b.cancelled()).toBe(true);
      expect(g.done()).toBe(true);
      expect(g.cancelled()).toBe(false); // asyncio: the gather ends with a CancelledError exception
      expect(g.exception()).toBeInstanceOf(CancelledError);
      expect(g.cancel()).toBe(false);
      return record;
    });
    expect(out).toEqual([
      "a finished",
      "a cleanup at 1",
      "b got CancelledError(shutdown)",
      "b cleanup at 2",
      "c got CancelledError(shutdown)",
      "c cleanup at 2",
      "main CancelledError(shutdown) at 2",
    ]);
  });

  it("cancelling the gather ends it with CancelledError even with returnExceptions (bpo-32684)", () => {
    const out = go(function* () {
      const loop = getRunningLoop();
      const done = createTask(sleep(1, "done early"));
      const pending = createTask(sleep(10, "late"));
      const g = gather(done, pending, { returnExceptions: true });
      loop.callLater(2, () => g.cancel("stop"));
      let caught: unknown = null;
      let value: unknown = "no value";
      try {
        value = yield* g;
      } catch (e) {
        caught = e;
      }
      expect(value).toBe("no value");
      expect(pending.cancelled()).toBe(true);
      expect(done.result()).toBe("done early");
      expect(g.cancelled()).toBe(false);
      expect(g.exception()).toBe(caught);
      return { caught, time: loop.time() };
    });
    expect(out.caught).toBeInstanceOf(CancelledError);
    expect((out.caught as Error).message).toBe("stop");
    expect(out.time).toBe(2);
  });

  it("gather.cancel(msg) under returnExceptions: the CancelledError carries msg whatever the argument order", () => {
    // CPython 3.13 gives CancelledError('stop') for (done, pending) but CancelledError() for
    // (pending, done): its results loop rebinds `fut` to the last argument, and the message is
    // taken from that one. The SPEC's `cancel(msg)` contract asks for msg in both orders.
    const out = go(function* () {
      const loop = getRunningLoop();
      const messages: string[] = [];
      for (const pendingFirst of [false, true]) {
        const pending = loop.createFuture<number>();
        const done = loop.createFuture<number>();
        done.setResult(1);
        const g = pendingFirst ? gather(pending, done, { returnExceptions: true }) : gather(done, pending, { returnExceptions: true });
        expect(g.cancel("stop")).toBe(true);
        try {
          yield* g;
          messages.push("no error");
        } catch (e) {
          messages.push(`${(e as Error).name}(${(e as Error).message})`);
        }
      }
      return messages;
    });
    expect(out).toEqual(["CancelledError(stop)", "CancelledError(stop)"]);
  });

  it("a child that swallows the cancellation does not save the gather: it still ends with CancelledError (bpo-32684)", () => {
    const out = go(function* () {
      const loop = getRunningLoop();
      function* stubborn(): Coro<string> {
        try {
          yield* sleep(10);
          return "finished";
        } catch {
          return "swallowed";
        }
      }
      const t = createTask(stubborn());
      const g = gather(t, sleep(5, "x"));
      loop.callLater(1, () => g.cancel("stop"));
      let caught: unknown = null;
      try {
        yield* g;
      } catch (e) {
        caught = e;
      }
      expect(t.result()).toBe("swallowed");
      return { caught, time: loop.time() };
    });
    expect(out.caught).toBeInstanceOf(CancelledError);
    // CPython 3.13 prints CancelledError('stop') for this order of arguments
    expect((out.caught as Error).message).toBe("stop");
    expect(out.time).toBe(1);
  });

  it("cancelling the task awaiting the gather cancels the children with the same message; the task ends cancelled", () => {
    const out = go(function* () {
      const loop = getRunningLoop();
      const record: string[] = [];
      function* child(name: string) {
        try {
          yield* sleep(10);
        } catch (e) {
          record.push(`${name}: ${(e as Error).message}`);
          throw e;
        }
      }
      const c1 = createTask(child("c1"));
      const c2 = createTask(child("c2"));
      const waiter = createTask(
        (function* () {
          return yield* gather(c1, c2, { returnExceptions: true });
        })(),
      );
      yield* sleep(1);
      expect(waiter.cancel("bye")).toBe(true);
      let caught: unknown = null;
      try {
        yield* waiter;
      } catch (e) {
        caught = e;
      }
      expect(waiter.cancelled()).toBe(true);
      expect(c1.cancelled() && c2.cancelled()).toBe(true);
      record.push(`waiter: ${(caught as Error).name}(${(caught as Error).message}) at ${loop.time()}`);
      return record;
    });
    expect(out).toEqual(["c1: bye", "c2: bye", "waiter: CancelledError(bye) at 1"]);
  });

  it("cancelling an outer gather cancels the children of a nested gather", async () => {
    const loop = makeLoop(core);
    const reports: unknown[] = [];
    loop.setExceptionHandler((_l, ctx) => reports.push(ctx.message));
    const [a, b, c] = [0, 1, 2].map(() => loop.createFuture<number>());
    const inner = gather(a, b);
    const outer = gather(inner, c);
    expect(outer.cancel("all")).toBe(true);
    await runLoop(loop);
    expect(a.cancelled() && b.cancelled() && c.cancelled()).toBe(true);
    expect(inner.exception()).toBeInstanceOf(CancelledError);
    expect(outer.done()).toBe(true);
    const exc = outer.exception() as Error;
    expect(exc).toBeInstanceOf(CancelledError);
    expect(exc.message).toBe("all");
    loop.close();
    expect(reports).toEqual([]);
  });

  it("the first exception fails the gather at once; the others keep running and their errors are marked retrieved", () => {
    const reports: unknown[] = [];
    const record = go(function* () {
      const loop = getRunningLoop();
      loop.setExceptionHandler((_l, ctx) => reports.push(ctx.message));
      const record: string[] = [];
      function* failAt(delay: number, name: string): Coro<never> {
        yield* sleep(delay);
        record.push(`${name} fails at ${loop.time()}`);
        throw new ZeroDivisionError(name);
      }
      function* okAt(delay: number, name: string) {
        yield* sleep(delay);
        record.push(`${name} done at ${loop.time()}`);
        return name;
      }
      const g = gather(failAt(1, "first"), okAt(2, "slow"), failAt(3, "second"), failAt(4, "third"));
      try {
        yield* g;
      } catch (e) {
        record.push(`gather failed with ${(e as Error).message} at ${loop.time()}`);
      }
      // the failed gather does not cancel the rest (asyncio's docstring)
      expect(g.cancel()).toBe(false);
      yield* sleep(10);
      record.push(`main ends at ${loop.time()}`);
      return record;
    });
    expect(record).toEqual([
      "first fails at 1",
      "gather failed with first at 1",
      "slow done at 2",
      "second fails at 3",
      "third fails at 4",
      "main ends at 11",
    ]);
    // runSync closed the loop: nothing was left unretrieved
    expect(reports).toEqual([]);
  });

  it("returnExceptions retrieves every child's error: no reports", () => {
    const reports: unknown[] = [];
    const res = go(function* () {
      getRunningLoop().setExceptionHandler((_l, ctx) => reports.push(ctx.message));
      function* fail(delay: number, msg: string): Coro<never> {
        yield* sleep(delay);
        throw new ZeroDivisionError(msg);
      }
      return yield* gather(fail(2, "a"), fail(1, "b"), sleep(3, "c"), { returnExceptions: true });
    });
    expect(res.map((r) => (r instanceof Error ? `${r.name}:${r.message}` : r))).toEqual([
      "ZeroDivisionError:a",
      "ZeroDivisionError:b",
      "c",
    ]);
    expect(reports).toEqual([]);
  });

  it("a gather whose failure nobody retrieves is reported exactly once (the child's error is not)", () => {
    const reports: { message: unknown; exception: unknown }[] = [];
    const err = new ZeroDivisionError("boom");
    go(function* () {
      getRunningLoop().setExceptionHandler((_l, ctx) => reports.push({ message: ctx.message, exception: ctx.exception }));
      function* boom(): Coro<never> {
        yield* sleep(1);
        throw err;
      }
      const g = gather(boom(), sleep(2));
      yield* sleep(3);
      expect(g.done()).toBe(true);
    });
    // CPython: "_GatheringFuture exception was never retrieved"
    expect(reports.length).toBe(1);
    expect(String(reports[0].message)).toMatch(/exception was never retrieved/);
    expect(reports[0].exception).toBe(err);
  });
});

/** Inside a coroutine: expect `aw` to fail with `cls`. */
function* expectFailsInline(aw: Awaitable<unknown>, cls: abstract new (...args: never[]) => unknown): Coro<unknown> {
  let err: unknown = null;
  let threw = false;
  try {
    yield* aw;
  } catch (e) {
    threw = true;
    err = e;
  }
  expect(threw, "expected a failure").toBe(true);
  expect(err).toBeInstanceOf(cls);
  return err;
}
