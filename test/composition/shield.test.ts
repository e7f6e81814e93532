// shield() — ported from CPython 3.13's test_tasks.py (BaseTaskTests.test_shield_*,
// test_gather_shield), plus argument checks.

import { describe, expect, it } from "vitest";
import {
  CancelledError,
  RuntimeError,
  createTask,
  gather,
  getRunningLoop,
  runSync,
  setEventLoop,
  sleep,
  type Coro,
} from "../../src/index.ts";
import { shield } from "../../src/index.ts";
import { CORES, expectFails, expectThrows, makeLoop, resetEventLoopAfter, runBriefly } from "../helpers.ts";

describe.each(CORES)("%s core", (core) => {
  it("the outer future gets the inner result (test_tasks.BaseTaskTests.test_shield_result)", async () => {
    const loop = makeLoop(core);
    const inner = loop.createFuture<number>();
    const outer = shield(inner);
    inner.setResult(42);
    expect(await loop.runUntilComplete(outer)).toBe(42);
  });

  it("the outer future gets the inner exception (test_tasks.BaseTaskTests.test_shield_exception)", async () => {
    const loop = makeLoop(core);
    const inner = loop.createFuture();
    const outer = shield(inner);
    await runBriefly(loop);
    const exc = new RuntimeError("expected");
    inner.setException(exc);
    await runBriefly(loop);
    expect(outer.exception()).toBe(exc);
  });

  it("cancelling the inner future cancels the outer one (test_tasks.BaseTaskTests.test_shield_cancel_inner)", async () => {
    const loop = makeLoop(core);
    const inner = loop.createFuture();
    const outer = shield(inner);
    await runBriefly(loop);
    inner.cancel("inner gone");
    await runBriefly(loop);
    expect(outer.cancelled()).toBe(true);
    // asyncio drops the message here; wasyncio keeps it
    expect(() => outer.result()).toThrow("inner gone");
  });

  it("cancelling the outer future leaves the inner one alone (test_tasks.BaseTaskTests.test_shield_cancel_outer)", async () => {
    const loop = makeLoop(core);
    const inner = loop.createFuture<number>();
    const outer = shield(inner);
    await runBriefly(loop);
    outer.cancel();
    await runBriefly(loop);
    expect(outer.cancelled()).toBe(true);
    expect(inner.cancelled()).toBe(false);
    // shield's callback was removed from inner: setting it later touches nothing
    const record: string[] = [];
    inner.addDoneCallback(() => record.push("inner done"));
    inner.setResult(1);
    await runBriefly(loop);
    expect(record).toEqual(["inner done"]);
  });

  it("a future that is already done is returned as is (test_tasks.BaseTaskTests.test_shield_shortcut)", async () => {
    const loop = makeLoop(core);
    const fut = loop.createFuture<number>();
    fut.setResult(42);
    expect(shield(fut)).toBe(fut);
    expect(await loop.runUntilComplete(shield(fut))).toBe(42);
  });

  it("cancelling the awaiting task does not cancel the shielded work (test_tasks.BaseTaskTests.test_shield_effect)", async () => {
    const loop = makeLoop(core);
    let proof = 0;
    const waiter = loop.createFuture();
    function* inner() {
      yield* waiter;
      proof += 1;
    }
    function* outer() {
      yield* shield(inner());
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

  it("a shielded gather survives the outer cancellation (test_tasks.BaseTaskTests.test_shield_gather)", async () => {
    const loop = makeLoop(core);
    const child1 = loop.createFuture<number>();
    const child2 = loop.createFuture<number>();
    const parent = gather(child1, child2);
    const outer = shield(parent);
    await runBriefly(loop);
    outer.cancel();
    await runBriefly(loop);
    expect(outer.cancelled()).toBe(true);
    child1.setResult(1);
    child2.setResult(2);
    await runBriefly(loop);
    expect(parent.result()).toEqual([1, 2]);
  });

  it("cancelling a gather of shields cancels the shields, not the children (test_tasks.BaseTaskTests.test_gather_shield)", async () => {
    const loop = makeLoop(core);
    const child1 = loop.createFuture<number>();
    const child2 = loop.createFuture<number>();
    const inner1 = shield(child1);
    const inner2 = shield(child2);
    const parent = gather(inner1, inner2);
    await runBriefly(loop);
    parent.cancel();
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

  it("with no current loop a coroutine cannot be shielded (test_tasks.BaseTaskTests.test_shield_coroutine_without_loop)", () => {
    resetEventLoopAfter();
    setEventLoop(null);
    let started = false;
    const coro = (function* () {
      started = true;
      return 42;
    })();
    expectThrows(() => shield(coro), RuntimeError, /no current event loop/i);
    expect(started).toBe(false);
  });

  it("a coroutine is wrapped in a task of the running loop (test_tasks.BaseTaskTests.test_shield_coroutine_use_running_loop)", async () => {
    const loop = makeLoop(core);
    function* coro() {
      return 42;
    }
    let outer: ReturnType<typeof shield<number>> | null = null;
    // (not returned from runUntilComplete: a Future is a thenable and the Promise would adopt it)
    await loop.runUntilComplete(
      (function* () {
        outer = shield(coro());
      })(),
    );
    expect(outer!.getLoop()).toBe(loop);
    expect(await loop.runUntilComplete(outer!)).toBe(42);
  });

  it("outside a running loop a coroutine goes to the current loop (test_tasks.BaseTaskTests.test_shield_coroutine_use_global_loop)", async () => {
    resetEventLoopAfter();
    const loop = makeLoop(core);
    setEventLoop(loop);
    function* coro() {
      return 42;
    }
    const outer = shield(coro());
    expect(outer.getLoop()).toBe(loop);
    expect(await loop.runUntilComplete(outer)).toBe(42);
  });

  it("a bad argument is a TypeError at the call", async () => {
    const loop = makeLoop(core);
    expectThrows(() => shield(42 as never), TypeError, /shield\(aw\): aw must be a coroutine, a Task or a Future/);
    expectThrows(() => shield((function* () {}) as never), TypeError, /aw/);
    expectThrows(() => shield(Promise.resolve(1) as never), TypeError, /aw/);
    expect(await loop.runUntilComplete(sleep(1, "fine"))).toBe("fine");
  });

  it("an inner failure racing the outer cancellation is marked retrieved; a later one is reported as never retrieved", async () => {
    const loop = makeLoop(core);
    const reports: unknown[] = [];
    loop.setExceptionHandler((_l, ctx) => reports.push(ctx.message));
    // same iteration: shield's inner callback sees the outer cancelled and retrieves the error
    const inner = loop.createFuture();
    const outer = shield(inner);
    outer.cancel();
    inner.setException(new Error("racing failure"));
    await runBriefly(loop);
    // later: shield let go of inner when outer was cancelled; nobody retrieves this one
    const inner2 = loop.createFuture();
    const outer2 = shield(inner2);
    outer2.cancel();
    await runBriefly(loop);
    inner2.setException(new Error("late failure"));
    await runBriefly(loop);
    loop.close();
    expect(reports).toEqual(["Future exception was never retrieved"]);
  });

  it("the caller is cancelled but the shielded task completes; its result is still there (shield docs)", () => {
    const out = runSync(
      function* () {
        const loop = getRunningLoop();
        const record: string[] = [];
        const work = createTask(
          (function* () {
            yield* sleep(2);
            record.push(`work done at ${loop.time()}`);
            return "saved";
          })(),
        );
        const caller = createTask(
          (function* () {
            try {
              return yield* shield(work);
            } catch (e) {
              record.push(`caller ${(e as Error).name} at ${loop.time()}`);
              throw e;
            }
          })(),
        );
        loop.callLater(1, () => caller.cancel());
        yield* sleep(3);
        record.push(`caller cancelled=${caller.cancelled()}, work=${work.result()}`);
        return record;
      },
      { core },
    );
    expect(out).toEqual(["caller CancelledError at 1", "work done at 2", "caller cancelled=true, work=saved"]);
  });

  it("shield(aw) inside a task: the outer future follows a coroutine's result and exception", () => {
    const out = runSync(
      function* (): Coro<unknown[]> {
        const ok = yield* shield(sleep(1, "ok"));
        let err: unknown = null;
        try {
          yield* shield(
            (function* (): Coro<never> {
              yield* sleep(1);
              throw new RangeError("bad");
            })(),
          );
        } catch (e) {
          err = e;
        }
        return [ok, err instanceof RangeError];
      },
      { core },
    );
    expect(out).toEqual(["ok", true]);
  });
});
