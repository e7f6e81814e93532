// wait() — ported from CPython 3.13's test_tasks.py (BaseTaskTests.test_wait*,
// test_yield_wait_does_not_shield_cancel, test_wait_invalid_args), plus the SPEC's contract for
// collections (Array or Set in, two Sets out) and eager argument checks.

import { describe, expect, it } from "vitest";
import {
  CancelledError,
  Future,
  ValueError,
  createTask,
  getRunningLoop,
  runSync,
  sleep,
  type Coro,
} from "../../src/index.ts";
import { ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION, wait } from "../../src/index.ts";
import { CORES, expectFails, expectSameItems, expectThrows, makeLoop, runBriefly, runOnce } from "../helpers.ts";

class ZeroDivisionError extends Error {}

describe.each(CORES)("%s core", (core) => {
  const go = <T>(main: () => Coro<T>): T => runSync(main, { core });

  it("waits for every future; a second wait on done futures takes no time (test_tasks.BaseTaskTests.test_wait)", () => {
    go(function* () {
      const loop = getRunningLoop();
      const a = createTask(sleep(0.1));
      const b = createTask(sleep(0.15));
      function* foo() {
        const [done, pending] = yield* wait([b, a]);
        expectSameItems([...done].sort((x) => (x === a ? -1 : 1)), [a, b]);
        expect(done.size).toBe(2);
        expect(pending.size).toBe(0);
        return 42;
      }
      expect(yield* createTask(foo())).toBe(42);
      expect(loop.time()).toBeCloseTo(0.15, 9);
      // doing it again should take no time and exercise a different path
      expect(yield* createTask(foo())).toBe(42);
      expect(loop.time()).toBeCloseTo(0.15, 9);
    });
  });

  it("duplicate tasks count once (test_tasks.BaseTaskTests.test_wait_duplicate_coroutines)", () => {
    go(function* () {
      function* coro(s: string) {
        return s;
      }
      const c = createTask(coro("test"));
      const [done, pending] = yield* wait([c, c, createTask(coro("spam"))]);
      expect(pending.size).toBe(0);
      expect(done.size).toBe(2);
      expect(new Set([...done].map((f) => f.result()))).toEqual(new Set(["test", "spam"]));
    });
  });

  it("an empty collection and a bad returnWhen are ValueErrors, raised at the call (test_tasks.BaseTaskTests.test_wait_errors)", () => {
    go(function* () {
      expectThrows(() => wait(new Set<Future<unknown>>()), ValueError, /empty/);
      expectThrows(() => wait([]), ValueError, /empty/);
      const sleeper = createTask(sleep(10.0));
      expectThrows(() => wait([sleeper], { returnWhen: -1 as never }), ValueError, /returnWhen/);
      expectThrows(() => wait([sleeper], { returnWhen: "first_completed" as never }), ValueError, /returnWhen/);
      sleeper.cancel();
    });
  });

  it("FIRST_COMPLETED returns at the first completion (test_tasks.BaseTaskTests.test_wait_first_completed)", () => {
    go(function* () {
      const loop = getRunningLoop();
      const a = createTask(sleep(10.0));
      const b = createTask(sleep(0.1));
      const [done, pending] = yield* wait([b, a], { returnWhen: FIRST_COMPLETED });
      expectSameItems([...done], [b]);
      expectSameItems([...pending], [a]);
      expect(a.done()).toBe(false);
      expect(b.done()).toBe(true);
      expect(b.result()).toBeNull();
      expect(loop.time()).toBeCloseTo(0.1, 9);
      yield* wait([a, b]);
      expect(loop.time()).toBeCloseTo(10, 9);
    });
  });

  it("futures done by the time wait returns are in done even if their callbacks are pending (test_tasks.BaseTaskTests.test_wait_really_done)", () => {
    go(function* () {
      function* coro1() {
        yield* sleep(0);
      }
      function* coro2() {
        yield* sleep(0);
        yield* sleep(0);
      }
      const a = createTask(coro1());
      const b = createTask(coro2());
      const [done, pending] = yield* wait([b, a], { returnWhen: FIRST_COMPLETED });
      expect(done.size).toBe(2);
      expect(done.has(a) && done.has(b)).toBe(true);
      expect(pending.size).toBe(0);
      expect(a.result()).toBeUndefined();
      expect(b.result()).toBeUndefined();
    });
  });

  it("FIRST_EXCEPTION returns at once for a task that already failed (test_tasks.BaseTaskTests.test_wait_first_exception)", () => {
    go(function* () {
      const loop = getRunningLoop();
      const a = createTask(sleep(10.0));
      function* exc(): Coro<never> {
        throw new ZeroDivisionError("err");
      }
      const b = createTask(exc());
      const [done, pending] = yield* wait([b, a], { returnWhen: FIRST_EXCEPTION });
      expectSameItems([...done], [b]);
      expectSameItems([...pending], [a]);
      expect(loop.time()).toBe(0);
      yield* wait([a, b]);
    });
  });

  it("FIRST_EXCEPTION returns when a task fails during the wait (test_tasks.BaseTaskTests.test_wait_first_exception_in_wait)", () => {
    go(function* () {
      const loop = getRunningLoop();
      const a = createTask(sleep(10.0));
      function* exc(): Coro<never> {
        yield* sleep(0.01);
        throw new ZeroDivisionError("err");
      }
      const b = createTask(exc());
      const [done, pending] = yield* wait([b, a], { returnWhen: FIRST_EXCEPTION });
      expectSameItems([...done], [b]);
      expectSameItems([...pending], [a]);
      expect(loop.time()).toBeCloseTo(0.01, 9);
      yield* wait([a, b]);
    });
  });

  it("a failed task is just done: ALL_COMPLETED raises nothing (test_tasks.BaseTaskTests.test_wait_with_exception)", () => {
    go(function* () {
      const loop = getRunningLoop();
      const a = createTask(sleep(0.1));
      function* sleeper(): Coro<never> {
        yield* sleep(0.15);
        throw new ZeroDivisionError("really");
      }
      const b = createTask(sleeper());
      function* foo() {
        const [done, pending] = yield* wait([b, a]);
        expect(done.size).toBe(2);
        expect(pending.size).toBe(0);
        const errors = [...done].filter((f) => f.exception() !== null);
        expect(errors.length).toBe(1);
      }
      yield* createTask(foo());
      expect(loop.time()).toBeCloseTo(0.15, 9);
      yield* createTask(foo());
      expect(loop.time()).toBeCloseTo(0.15, 9);
    });
  });

  it("a timeout returns what is done so far and raises nothing (test_tasks.BaseTaskTests.test_wait_with_timeout)", () => {
    go(function* () {
      const loop = getRunningLoop();
      const a = createTask(sleep(0.1));
      const b = createTask(sleep(0.15));
      function* foo() {
        const [done, pending] = yield* wait([b, a], { timeout: 0.11 });
        expectSameItems([...done], [a]);
        expectSameItems([...pending], [b]);
      }
      yield* createTask(foo());
      expect(loop.time()).toBeCloseTo(0.11, 9);
      // nothing was cancelled: b still completes
      yield* wait([a, b]);
      expect(b.cancelled()).toBe(false);
      expect(loop.time()).toBeCloseTo(0.15, 9);
    });
  });

  it("a completion and the timeout at the same instant (test_tasks.BaseTaskTests.test_wait_concurrent_complete)", async () => {
    const loop = makeLoop(core);
    const a = loop.createTask(sleep(0.1));
    const b = loop.createTask(sleep(0.15));
    const [done, pending] = await loop.runUntilComplete(wait([b, a], { timeout: 0.1 }));
    expectSameItems([...done], [a]);
    expectSameItems([...pending], [b]);
    expect(loop.time()).toBeCloseTo(0.1, 9);
    await loop.runUntilComplete(wait([a, b]));
  });

  it("accepts an array iterator and a Set, not only an Array (test_tasks.BaseTaskTests.test_wait_with_iterator_of_tasks)", () => {
    go(function* () {
      const loop = getRunningLoop();
      const a = createTask(sleep(0.1));
      const b = createTask(sleep(0.15));
      const [done, pending] = yield* wait([b, a].values());
      expect(done.size).toBe(2);
      expect(pending.size).toBe(0);
      expect(loop.time()).toBeCloseTo(0.15, 9);
      const c = createTask(sleep(0.1, "c"));
      const [done2] = yield* wait(new Set([c]));
      expectSameItems([...done2], [c]);
    });
  });

  it("ten tasks from a mapped array, ALL_COMPLETED (test_tasks.BaseTaskTests.test_wait_generator)", () => {
    go(function* () {
      function* func(x: number) {
        return x;
      }
      const tasks = Array.from({ length: 10 }, (_, i) => createTask(func(i)));
      const [done, pending] = yield* wait(tasks, { returnWhen: ALL_COMPLETED });
      expect(done.size).toBe(10);
      expect(pending.size).toBe(0);
    });
  });

  it("a single future, a coroutine, or a coroutine inside is a TypeError; empty is a ValueError (test_tasks.BaseTaskTests.test_wait_invalid_args)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    loop.callSoon(() => record.push("queued"));
    const fut = loop.createFuture();
    expectThrows(() => wait(fut as never), TypeError, /not a single future/);
    let started = false;
    const coro = (function* () {
      started = true;
    })();
    expectThrows(() => wait(coro as never), TypeError, /not a single coroutine/);
    expectThrows(() => wait([fut, coro] as never), TypeError, /item 2 is a coroutine/);
    expectThrows(() => wait([]), ValueError, /empty/);
    expectThrows(() => wait([fut, 42] as never), TypeError, /item 2 must be a Future or a Task/);
    expectThrows(() => wait(42 as never), TypeError, /aws must be an Array or Set/);
    expectThrows(() => wait("ab" as never), TypeError, /aws must be an Array or Set/);
    expectThrows(() => wait(null as never), TypeError, /aws/);
    expect(started).toBe(false);
    // the loop is fine
    await runOnce(loop);
    expect(record).toEqual(["queued"]);
    fut.setResult(1);
    const [done] = await loop.runUntilComplete(wait([fut]));
    expectSameItems([...done], [fut]);
  });

  it("options are checked at the call: timeout NaN, unknown keys, non-objects", () => {
    go(function* () {
      const t = createTask(sleep(1));
      expectThrows(() => wait([t], { timeout: NaN }), ValueError, /timeout/);
      expectThrows(() => wait([t], { timeout: "1" as never }), TypeError, /timeout/);
      expectThrows(() => wait([t], { return_when: FIRST_COMPLETED } as never), TypeError, /unknown option 'return_when'/);
      expectThrows(() => wait([t], 5 as never), TypeError, /options must be an object/);
      const [done] = yield* wait([t], { timeout: null, returnWhen: undefined });
      expectSameItems([...done], [t]);
    });
  });

  it("cancelling the waiter returns early and leaves the futures running (test_tasks.BaseTaskTests.test_yield_wait_does_not_shield_cancel)", async () => {
    const loop = makeLoop(core);
    let proof = 0;
    const waiter = loop.createFuture();
    function* inner() {
      yield* waiter;
      proof += 1;
    }
    function* outer() {
      yield* wait([createTask(inner())]);
      proof += 100;
    }
    const f = loop.createTask(outer());
    await runBriefly(loop);
    f.cancel();
    await expectFails(() => loop.runUntilComplete(f), CancelledError);
    waiter.setResult(null);
    await runBriefly(loop);
    expect(proof).toBe(1);
  });

  it("wait is lazy: nothing happens until driven (SPEC Details: operations are lazy)", () => {
    const out = go(function* () {
      const loop = getRunningLoop();
      const a = createTask(sleep(1, "a"));
      const coro = wait([a], { timeout: 0.5 });
      yield* sleep(2); // the 0.5 s only count once driven; by then `a` is done
      const [done, pending] = yield* coro;
      return [done.size, pending.size, loop.time()];
    });
    expect(out).toEqual([1, 0, 2]);
  });

  it("returns two Sets in the order the futures were given (done and pending)", () => {
    go(function* () {
      const ts = [3, 1, 4, 1.5, 5].map((d) => createTask(sleep(d, d)));
      const [done, pending] = yield* wait(ts, { timeout: 3.5 });
      expect(done).toBeInstanceOf(Set);
      expect(pending).toBeInstanceOf(Set);
      expect([...done].map((t) => t.result())).toEqual([3, 1, 1.5]);
      expectSameItems([...pending], [ts[2], ts[4]]);
      for (const t of pending) t.cancel();
    });
  });

  it("FIRST_EXCEPTION does not count a cancellation as an exception", () => {
    go(function* () {
      const loop = getRunningLoop();
      const a = createTask(sleep(1));
      const b = createTask(sleep(10));
      const c = createTask(sleep(2));
      loop.callLater(0.5, () => b.cancel());
      const [done, pending] = yield* wait([a, b, c], { returnWhen: FIRST_EXCEPTION });
      expect(done.size).toBe(3);
      expect(pending.size).toBe(0);
      expect(b.cancelled()).toBe(true);
      expect(loop.time()).toBeCloseTo(2, 9);
    });
  });

  it("FIRST_COMPLETED counts a cancellation as a completion", () => {
    go(function* () {
      const loop = getRunningLoop();
      const a = createTask(sleep(10));
      const b = createTask(sleep(10));
      loop.callLater(0.5, () => b.cancel());
      const [done, pending] = yield* wait([a, b], { returnWhen: FIRST_COMPLETED });
      expectSameItems([...done], [b]);
      expectSameItems([...pending], [a]);
      expect(loop.time()).toBeCloseTo(0.5, 9);
      a.cancel();
    });
  });

  it("FIRST_EXCEPTION retrieves the exception it looked at (no 'never retrieved' report)", async () => {
    const loop = makeLoop(core);
    const reports: unknown[] = [];
    loop.setExceptionHandler((_l, ctx) => reports.push(ctx.message));
    const f = loop.createFuture();
    const g = loop.createFuture();
    loop.callLater(1, () => f.setException(new ZeroDivisionError("x")));
    const [done, pending] = await loop.runUntilComplete(wait([f, g], { returnWhen: FIRST_EXCEPTION }));
    expectSameItems([...done], [f]);
    expectSameItems([...pending], [g]);
    loop.close();
    expect(reports).toEqual([]);
  });

  it("a future of another loop is a ValueError once driven", async () => {
    const loop = makeLoop(core);
    const other = makeLoop(core);
    const foreign = other.createFuture();
    const coro = wait([foreign]);
    await expectFails(() => loop.runUntilComplete(coro), ValueError, /different event loop/);
    expect(await loop.runUntilComplete(sleep(1, "fine"))).toBe("fine");
  });

  it("the constants are asyncio's names", () => {
    expect([FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED]).toEqual(["FIRST_COMPLETED", "FIRST_EXCEPTION", "ALL_COMPLETED"]);
  });

  it("wait accepts plain futures resolved by callbacks and leaves no callbacks behind", () => {
    go(function* () {
      const loop = getRunningLoop();
      const f1 = new Future<number>();
      const f2 = loop.createFuture<number>();
      loop.callLater(1, () => f1.setResult(1));
      const [done, pending] = yield* wait([f1, f2], { returnWhen: FIRST_COMPLETED });
      expectSameItems([...done], [f1]);
      expectSameItems([...pending], [f2]);
      // wait removed its callback from f2: completing it later schedules nothing that fails
      const record: string[] = [];
      f2.addDoneCallback(() => record.push("only mine"));
      f2.setResult(2);
      yield* sleep(0);
      expect(record).toEqual(["only mine"]);
    });
  });
});
