// runForever / runUntilComplete / stop / close / isRunning / isClosed — ported from CPython's
// test_base_events.py (BaseEventLoopTests, RunningLoopTests) and test_events.py
// (EventLoopTestsMixin).

import { describe, expect, it } from "vitest";
import { CancelledError, RuntimeError, ValueError, getRunningLoop, sleep } from "../../src/index.ts";
import { CORES, expectFails, expectThrows, makeLoop, runOnce } from "../helpers.ts";

describe.each(CORES)("%s core", (core) => {
  it("close() is idempotent and then blocks the entry points (test_base_events.BaseEventLoopTests.test_close)", () => {
    const loop = makeLoop(core);
    expect(loop.isClosed()).toBe(false);
    loop.close();
    expect(loop.isClosed()).toBe(true);
    loop.close();
    loop.close();
    const f = loop.createFuture();
    expectThrows(() => loop.runForever(), RuntimeError);
    expectThrows(() => loop.runUntilComplete(f), RuntimeError);
  });

  it("scheduling on a closed loop is a RuntimeError at the call (test_events.EventLoopTestsMixin.test_close)", () => {
    const loop = makeLoop(core);
    loop.close();
    const func = () => false;
    const coro = (function* () {})();
    expectThrows(() => loop.callSoon(func), RuntimeError);
    expectThrows(() => loop.callSoonThreadsafe(func), RuntimeError);
    expectThrows(() => loop.callLater(1.0, func), RuntimeError);
    expectThrows(() => loop.callAt(loop.time() + 0.0, func), RuntimeError);
    expectThrows(() => loop.createTask(coro), RuntimeError);
    expectThrows(() => loop.runForever(), RuntimeError);
    expectThrows(() => loop.runUntilComplete(loop.createFuture()), RuntimeError);
  });

  it("closing a running loop is a RuntimeError (test_events.EventLoopTestsMixin.test_close_running_event_loop)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    await expectFails(
      () =>
        loop.runUntilComplete(
          (function* () {
            record.push("closing");
            loop.close();
            record.push("not reached");
          })(),
        ),
      RuntimeError,
    );
    expect(record).toEqual(["closing"]);
    expect(loop.isClosed()).toBe(false);
    // The loop is still usable.
    const r = await loop.runUntilComplete((function* () { return "alive"; })());
    expect(r).toBe("alive");
  });

  it("run_until_complete returns the result after the awaited time (test_events.EventLoopTestsMixin.test_run_until_complete)", async () => {
    const loop = makeLoop(core);
    const t0 = loop.time();
    const r = await loop.runUntilComplete(sleep(0.1, "slept"));
    expect(r).toBe("slept");
    expect(loop.time() - t0).toBeCloseTo(0.1, 9);
  });

  it("run_until_complete rejects with the coroutine's exception (test_tasks.BaseTaskTests.test_exception_traceback)", async () => {
    const loop = makeLoop(core);
    const boom = new ValueError("spam");
    const err = await expectFails(
      () =>
        loop.runUntilComplete(
          (function* () {
            yield* sleep(0);
            throw boom;
          })(),
        ),
      ValueError,
      "spam",
    );
    expect(err).toBe(boom);
  });

  it("run_until_complete of a non-awaitable is a TypeError (test_base_events.BaseEventLoopTests.test_run_until_complete_type_error)", async () => {
    const loop = makeLoop(core);
    await expectFails(() => loop.runUntilComplete("blah" as never), TypeError);
    await expectFails(() => loop.runUntilComplete(42 as never), TypeError);
    await expectFails(() => loop.runUntilComplete((function* () {}) as never), TypeError);
    expect(await loop.runUntilComplete(sleep(0, "ok"))).toBe("ok");
  });

  it("run_until_complete of another loop's future is a ValueError (test_base_events.BaseEventLoopTests.test_run_until_complete_loop)", async () => {
    const loop = makeLoop(core);
    const other = makeLoop(core);
    const fut = loop.createFuture();
    await expectFails(() => other.runUntilComplete(fut), ValueError);
    fut.setResult(1);
    expect(await loop.runUntilComplete(fut)).toBe(1);
  });

  it("run_until_complete of an already-done future returns its result", async () => {
    const loop = makeLoop(core);
    const fut = loop.createFuture();
    fut.setResult("done already");
    expect(await loop.runUntilComplete(fut)).toBe("done already");
    expect(loop.isRunning()).toBe(false);
  });

  it("run_until_complete nested in a running loop is a RuntimeError (test_events.EventLoopTestsMixin.test_run_until_complete_nesting)", async () => {
    const loop = makeLoop(core);
    const seen: unknown[] = [];
    await loop.runUntilComplete(
      (function* () {
        seen.push(loop.isRunning());
        try {
          loop.runUntilComplete(sleep(0));
        } catch (e) {
          seen.push(e instanceof RuntimeError);
        }
        try {
          loop.runForever();
        } catch (e) {
          seen.push(e instanceof RuntimeError);
        }
        yield* sleep(0);
        seen.push("continued");
      })(),
    );
    expect(seen).toEqual([true, true, true, "continued"]);
  });

  it("running a second loop inside a running loop is a RuntimeError (test_base_events.RunningLoopTests.test_running_loop_within_a_loop)", async () => {
    const outer = makeLoop(core);
    const inner = makeLoop(core);
    await expectFails(
      () =>
        outer.runUntilComplete(
          (function* () {
            inner.runForever();
          })(),
        ),
      RuntimeError,
    );
    expect(inner.isRunning()).toBe(false);
    // both loops still work afterwards
    expect(await inner.runUntilComplete(sleep(0, "inner ok"))).toBe("inner ok");
    expect(await outer.runUntilComplete(sleep(0, "outer ok"))).toBe("outer ok");
  });

  it("stop() before the future completes rejects run_until_complete (test_events.EventLoopTestsMixin.test_run_until_complete_stopped)", async () => {
    const loop = makeLoop(core);
    await expectFails(
      () =>
        loop.runUntilComplete(
          (function* () {
            loop.stop();
            yield* sleep(0.1);
          })(),
        ),
      RuntimeError,
      /stopped before Future completed/,
    );
  });

  it("a task left pending by stop() can be finished later (test_tasks.BaseTaskTests.test_stop_while_run_in_complete)", async () => {
    const loop = makeLoop(core);
    let x = 0;
    const t = loop.createTask(
      (function* () {
        while (x < 10) {
          yield* sleep(0.1);
          x += 1;
          if (x === 2) loop.stop();
        }
      })(),
    );
    await expectFails(() => loop.runUntilComplete(t), RuntimeError, "Event loop stopped before Future completed.");
    expect(t.done()).toBe(false);
    expect(x).toBe(2);
    t.cancel();
    await expectFails(() => loop.runUntilComplete(t), CancelledError);
    expect(x).toBe(2);
  });

  it("stop() before run_forever runs exactly one iteration (test_base_events.BaseEventLoopTests.test_run_forever_pre_stopped)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    loop.callSoon(() => {
      record.push("a");
      loop.callSoon(() => record.push("b"));
    });
    loop.callLater(1, () => record.push("timer"));
    loop.stop();
    await loop.runForever();
    expect(record).toEqual(["a"]);
    expect(loop.time()).toBe(0);
    expect(loop.isRunning()).toBe(false);
    await runOnce(loop);
    expect(record).toEqual(["a", "b"]);
  });

  it("stop() lets the current iteration finish (test_base_events.BaseEventLoopTests.test_single_selecter_event_callback_after_stopping)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    loop.callSoon(() => {
      record.push("stopper");
      loop.stop();
      loop.callSoon(() => record.push("next iteration"));
    });
    loop.callSoon(() => record.push("same iteration"));
    await loop.runForever();
    expect(record).toEqual(["stopper", "same iteration"]);
    await runOnce(loop);
    expect(record).toEqual(["stopper", "same iteration", "next iteration"]);
  });

  it("run_forever returns a promise that settles when the loop stops, and the loop can run again", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    loop.callLater(1, () => {
      record.push("first run");
      loop.stop();
    });
    const p = loop.runForever();
    expect(typeof (p as Promise<unknown>).then).toBe("function");
    await p;
    expect(loop.isRunning()).toBe(false);
    loop.callLater(1, () => {
      record.push("second run");
      loop.stop();
    });
    await loop.runForever();
    expect(record).toEqual(["first run", "second run"]);
    expect(loop.time()).toBeCloseTo(2, 9);
  });

  it("is_running() is true only while the loop runs", async () => {
    const loop = makeLoop(core);
    const seen: boolean[] = [];
    expect(loop.isRunning()).toBe(false);
    loop.callSoon(() => seen.push(loop.isRunning()));
    await runOnce(loop);
    seen.push(loop.isRunning());
    expect(seen).toEqual([true, false]);
  });

  it("run_forever while already running is a RuntimeError (test_events.EventLoopTestsMixin.test_run_until_complete_nesting)", async () => {
    const loop = makeLoop(core);
    const seen: unknown[] = [];
    loop.callSoon(() => {
      try {
        loop.runForever();
        seen.push("no error");
      } catch (e) {
        seen.push(e instanceof RuntimeError ? "RuntimeError" : String(e));
      }
      loop.stop();
    });
    await loop.runForever();
    expect(seen).toEqual(["RuntimeError"]);
  });

  it("getRunningLoop() inside run_until_complete is that loop (test_events.GetEventLoopTestsMixin.test_get_event_loop_returns_running_loop2)", async () => {
    const loop = makeLoop(core);
    const seen = await loop.runUntilComplete(
      (function* () {
        yield* sleep(0);
        return getRunningLoop();
      })(),
    );
    expect(seen).toBe(loop);
  });

  it("callbacks left queued by one run_until_complete run in the next (test_base_events.BaseEventLoopTests.test_run_until_complete_baseexception)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    const fut = loop.createFuture();
    loop.callSoon(() => fut.setResult(null));
    loop.callLater(5, () => record.push("late timer"));
    await loop.runUntilComplete(fut);
    expect(record).toEqual([]);
    loop.callLater(10, () => loop.stop());
    await loop.runForever();
    expect(record).toEqual(["late timer"]);
  });


  it("run_until_complete of a done future still runs the callbacks queued before it (asyncio run_until_complete adds a done callback)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    loop.callSoon(() => record.push("queued"));
    const fut = loop.createFuture();
    fut.setResult("done");
    expect(await loop.runUntilComplete(fut)).toBe("done");
    expect(record).toEqual(["queued"]);
  });

  it("close() drops queued callbacks; time() still reads the clock (test_base_events.BaseEventLoopTests.test_close)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    loop.callLater(2, () => loop.stop());
    await loop.runForever();
    loop.callSoon(() => record.push("never"));
    loop.callLater(1, () => record.push("never either"));
    loop.close();
    expect(loop.isClosed()).toBe(true);
    expect(loop.time()).toBe(2);
    expect(record).toEqual([]);
  });


  it("run_forever on a virtual loop with nothing to do rejects with a RuntimeError, never settles as if stopped (SPEC Details: a deadlock is an error)", async () => {
    const loop = makeLoop(core);
    const err = (await expectFails(() => loop.runForever(), RuntimeError)) as Error;
    expect(err.message.length).toBeGreaterThan(0);
    expect(loop.isRunning()).toBe(false);
    // and the loop is usable afterwards
    expect(await loop.runUntilComplete(sleep(1, "again"))).toBe("again");
  });

  it("run_until_complete of a future nothing can resolve rejects with the deadlock, not 'stopped before Future completed' (SPEC Details: a deadlock is an error)", async () => {
    const loop = makeLoop(core);
    const fut = loop.createFuture();
    loop.callLater(5, () => {}); // time can still advance to 5 first
    const err = (await expectFails(() => loop.runUntilComplete(fut), RuntimeError)) as Error;
    expect(err.message).not.toMatch(/stopped before Future completed/);
    expect(loop.time()).toBe(5);
  });
});
