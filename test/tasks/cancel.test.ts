// Task cancellation, cancelling() and uncancel() — ported from CPython's test_tasks.py
// (BaseTaskTests.test_cancel*, test_cancelling, test_uncancel_*, test_yield_future_passes_cancel,
// test_task_cancel_*). The contract follows 3.13 (test_uncancel_resets_must_cancel).

import { describe, expect, it } from "vitest";
import {
  CancelledError,
  RuntimeError,
  TimeoutError,
  ValueError,
  createTask,
  currentTask,
  getRunningLoop,
  runSync,
  sleep,
} from "../../src/index.ts";
import { CORES, expectFails, makeLoop, runBriefly } from "../helpers.ts";

describe.each(CORES)("%s core", (core) => {
  it("cancel via call_soon cancels a sleeping task (test_tasks.BaseTaskTests.test_cancel)", async () => {
    const loop = makeLoop(core);
    const t = loop.createTask(
      (function* () {
        yield* sleep(10.0);
        return 12;
      })(),
    );
    loop.callSoon(() => t.cancel());
    await expectFails(() => loop.runUntilComplete(t), CancelledError);
    expect(t.done()).toBe(true);
    expect(t.cancelled()).toBe(true);
    expect(t.cancel()).toBe(false);
    expect(loop.time()).toBe(0); // the 10 s sleep never elapsed
  });

  it("cancel after the first step (test_tasks.BaseTaskTests.test_cancel_yield)", async () => {
    const loop = makeLoop(core);
    const t = loop.createTask(
      (function* () {
        yield* sleep(0);
        yield* sleep(0);
        return 12;
      })(),
    );
    await runBriefly(loop);
    t.cancel();
    await expectFails(() => loop.runUntilComplete(t), CancelledError);
    expect(t.done()).toBe(true);
    expect(t.cancelled()).toBe(true);
    expect(t.cancel()).toBe(false);
  });

  it("cancelling the awaited future cancels the task (test_tasks.BaseTaskTests.test_cancel_inner_future)", async () => {
    const loop = makeLoop(core);
    const f = loop.createFuture();
    const t = loop.createTask(
      (function* () {
        yield* f;
        return 12;
      })(),
    );
    await runBriefly(loop);
    f.cancel();
    await expectFails(() => loop.runUntilComplete(t), CancelledError);
    expect(f.cancelled()).toBe(true);
    expect(t.cancelled()).toBe(true);
  });

  it("cancelling both the task and its future (test_tasks.BaseTaskTests.test_cancel_both_task_and_inner_future)", async () => {
    const loop = makeLoop(core);
    const f = loop.createFuture();
    const t = loop.createTask(
      (function* () {
        yield* f;
        return 12;
      })(),
    );
    await runBriefly(loop);
    f.cancel();
    t.cancel();
    await expectFails(() => loop.runUntilComplete(t), CancelledError);
    expect(t.done()).toBe(true);
    expect(f.cancelled()).toBe(true);
    expect(t.cancelled()).toBe(true);
  });

  it("a task that catches CancelledError and returns is not cancelled (test_tasks.BaseTaskTests.test_cancel_task_catching)", async () => {
    const loop = makeLoop(core);
    const fut1 = loop.createFuture();
    const fut2 = loop.createFuture();
    const t = loop.createTask(
      (function* () {
        yield* fut1;
        try {
          yield* fut2;
        } catch (e) {
          if (e instanceof CancelledError) return 42;
          throw e;
        }
        return -1;
      })(),
    );
    await runBriefly(loop);
    fut1.setResult(null);
    await runBriefly(loop);
    t.cancel();
    expect(fut2.cancelled()).toBe(true); // cancel() cancels the awaited future at once
    expect(await loop.runUntilComplete(t)).toBe(42);
    expect(t.cancelled()).toBe(false);
  });

  it("a task that ignores CancelledError keeps running (test_tasks.BaseTaskTests.test_cancel_task_ignoring)", async () => {
    const loop = makeLoop(core);
    const fut1 = loop.createFuture();
    const fut2 = loop.createFuture();
    const fut3 = loop.createFuture();
    const t = loop.createTask(
      (function* () {
        yield* fut1;
        try {
          yield* fut2;
        } catch (e) {
          if (!(e instanceof CancelledError)) throw e;
        }
        return yield* fut3;
      })(),
    );
    await runBriefly(loop);
    fut1.setResult(null);
    await runBriefly(loop);
    t.cancel();
    expect(fut2.cancelled()).toBe(true);
    await runBriefly(loop);
    fut3.setResult(42);
    expect(await loop.runUntilComplete(t)).toBe(42);
    expect(fut3.cancelled()).toBe(false);
    expect(t.cancelled()).toBe(false);
  });

  it("a task cancelling itself is cancelled at its next yield* (test_tasks.BaseTaskTests.test_cancel_current_task)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    let t: ReturnType<typeof loop.createTask> | null = null;
    t = loop.createTask(
      (function* () {
        t!.cancel();
        record.push("still running after cancel()");
        yield* sleep(100);
        record.push("not reached");
        return 12;
      })(),
    );
    expect(t.cancelled()).toBe(false);
    await expectFails(() => loop.runUntilComplete(t!), CancelledError);
    expect(t.done()).toBe(true);
    expect(t.cancelled()).toBe(true);
    expect(t.cancel()).toBe(false);
    expect(record).toEqual(["still running after cancel()"]);
    expect(loop.time()).toBe(0);
  });

  it("a task cancelling itself right before returning ends cancelled (test_tasks.BaseTaskTests.test_cancel_at_end)", async () => {
    const loop = makeLoop(core);
    let t: ReturnType<typeof loop.createTask> | null = null;
    t = loop.createTask(
      (function* () {
        t!.cancel();
        return 12;
      })(),
    );
    expect(t.cancelled()).toBe(false);
    await expectFails(() => loop.runUntilComplete(t!), CancelledError);
    expect(t.done()).toBe(true);
    expect(t.cancelled()).toBe(true);
    expect(t.cancel()).toBe(false);
  });

  it("a self-cancelled task cancels the task it then awaits (test_tasks.BaseTaskTests.test_cancel_awaited_task)", async () => {
    const loop = makeLoop(core);
    const fut = loop.createFuture();
    let nested: ReturnType<typeof loop.createTask> | null = null;
    let task: ReturnType<typeof loop.createTask> | null = null;
    task = loop.createTask(
      (function* () {
        nested = loop.createTask(
          (function* () {
            yield* fut;
          })(),
        );
        yield* sleep(0);
        task!.cancel();
        yield* nested;
      })(),
    );
    await expectFails(() => loop.runUntilComplete(task!), CancelledError);
    expect(task.cancelled()).toBe(true);
    expect(nested!.cancelled()).toBe(true);
    expect(fut.cancelled()).toBe(true);
  });

  it("cancelling a task that awaits a sleeping task (test_tasks.BaseTaskTests.test_task_cancel_sleeping_task)", async () => {
    const loop = makeLoop(core);
    const r = await loop.runUntilComplete(
      (function* () {
        const sleeper = loop.createTask(sleep(5000));
        loop.callLater(0.1, () => sleeper.cancel());
        try {
          yield* sleeper;
          return "slept in";
        } catch (e) {
          if (e instanceof CancelledError) return "cancelled";
          throw e;
        }
      })(),
    );
    expect(r).toBe("cancelled");
    expect(loop.time()).toBeCloseTo(0.1, 9);
  });

  it("cancelling a task cancels the future it waits on (test_tasks.BaseTaskTests.test_task_cancel_waiter_future)", async () => {
    const loop = makeLoop(core);
    const fut = loop.createFuture();
    const task = loop.createTask(
      (function* () {
        yield* fut;
      })(),
    );
    await runBriefly(loop);
    task.cancel();
    await runBriefly(loop);
    await expectFails(() => loop.runUntilComplete(task), CancelledError);
    expect(fut.cancelled()).toBe(true);
  });

  it("cancellation travels through nested coroutines (test_tasks.BaseTaskTests.test_yield_future_passes_cancel)", async () => {
    const loop = makeLoop(core);
    let proof = 0;
    const waiter = loop.createFuture();
    function* inner() {
      try {
        yield* waiter;
      } catch (e) {
        if (e instanceof CancelledError) {
          proof += 1;
          throw e;
        }
        throw e;
      }
      throw new Error("got past the waiter in inner()");
    }
    function* outer() {
      try {
        yield* inner();
      } catch (e) {
        if (e instanceof CancelledError) {
          proof += 100;
          return;
        }
        throw e;
      }
      proof += 10;
    }
    const f = loop.createTask(outer());
    await runBriefly(loop);
    f.cancel();
    await loop.runUntilComplete(f);
    expect(proof).toBe(101);
    expect(waiter.cancelled()).toBe(true);
  });

  it("cancel(msg) reaches the awaiter as the CancelledError's message (test_tasks.BaseTaskTests.test_task_cancel_message_getter)", async () => {
    const loop = makeLoop(core);
    const t = loop.createTask((function* () {})());
    t.cancel("my message");
    const err = (await expectFails(() => loop.runUntilComplete(t), CancelledError)) as Error;
    expect(err.message).toBe("my message");
  });

  it("a task cancelled before it starts never runs its body (test_tasks.BaseTaskTests.test_cancel_with_message_before_starting_task)", async () => {
    const loop = makeLoop(core);
    const record: string[] = [];
    const r = await loop.runUntilComplete(
      (function* () {
        const task = loop.createTask(
          (function* () {
            record.push("body ran");
            yield* sleep(10);
          })(),
        );
        task.cancel("my message");
        try {
          yield* task;
        } catch (e) {
          return [e instanceof CancelledError, (e as Error).message, task.cancelled()];
        }
        return null;
      })(),
    );
    expect(r).toEqual([true, "my message", true]);
    expect(record).toEqual([]);
  });

  it("the CancelledError thrown into the task is the one its awaiter gets (SPEC Details: same instance)", () => {
    const out = runSync(
      function* () {
        let inside: unknown = null;
        const t = createTask(
          (function* () {
            try {
              yield* sleep(10);
            } catch (e) {
              inside = e;
              throw e;
            }
          })(),
        );
        yield* sleep(0);
        t.cancel("msg");
        let outside: unknown = null;
        try {
          yield* t;
        } catch (e) {
          outside = e;
        }
        return [inside, outside];
      },
      { core },
    );
    const [inside, outside] = out as [Error, Error];
    expect(inside).toBeInstanceOf(CancelledError);
    expect(inside.message).toBe("msg");
    expect(outside).toBe(inside);
  });

  it("a ValueError raised from a caught cancellation replaces it (test_tasks.BaseTaskTests.test_cancellation_exception_context)", async () => {
    const loop = makeLoop(core);
    const fut = loop.createFuture();
    const err = (await expectFails(
      () =>
        loop.runUntilComplete(
          (function* () {
            const inner = loop.createTask(
              (function* () {
                fut.setResult(null);
                yield* sleep(10);
              })(),
            );
            yield* fut;
            loop.callSoon(() => inner.cancel("msg"));
            try {
              yield* inner;
            } catch (ex) {
              // `raise ValueError("cancelled") from ex`: the exported errors take Error's options.
              throw new (ValueError as unknown as ErrorConstructor)("cancelled", { cause: ex });
            }
          })(),
        ),
      ValueError,
      "cancelled",
    )) as Error;
    expect(err.cause).toBeInstanceOf(CancelledError);
    expect((err.cause as Error).message).toBe("msg");
  });

  it("try/finally cleanup runs on cancel and may itself await (SPEC Futures and tasks)", () => {
    const record: unknown[] = [];
    runSync(
      function* () {
        const loop = getRunningLoop();
        const t = createTask(
          (function* () {
            try {
              yield* sleep(10);
            } finally {
              record.push(["cleanup starts", loop.time()]);
              yield* sleep(1);
              record.push(["cleanup done", loop.time()]);
            }
          })(),
        );
        yield* sleep(0);
        t.cancel();
        try {
          yield* t;
        } catch (e) {
          record.push(e instanceof CancelledError ? "cancelled" : String(e));
        }
      },
      { core },
    );
    expect(record).toEqual([["cleanup starts", 0], ["cleanup done", 1], "cancelled"]);
  });

  it("cancelling() counts requests and cancel() keeps returning true while pending (test_tasks.BaseTaskTests.test_cancelling)", async () => {
    const loop = makeLoop(core);
    const t = loop.createTask(
      (function* () {
        yield* sleep(10);
      })(),
    );
    expect(t.cancelling()).toBe(0);
    expect(t.cancel()).toBe(true);
    expect(t.cancelling()).toBe(1);
    expect(t.cancel()).toBe(true);
    expect(t.cancelling()).toBe(2);
    await expectFails(() => loop.runUntilComplete(t), CancelledError);
  });

  it("uncancel() undoes one request; a later cancel still works (test_tasks.BaseTaskTests.test_uncancel_basic)", async () => {
    const loop = makeLoop(core);
    const t = loop.createTask(
      (function* () {
        try {
          yield* sleep(10);
        } catch (e) {
          if (!(e instanceof CancelledError)) throw e;
          currentTask()!.uncancel();
          yield* sleep(10);
        }
      })(),
    );
    await loop.runUntilComplete(sleep(0.01));
    expect(t.cancel()).toBe(true);
    expect(t.cancelling()).toBe(1);
    expect(t.cancelled()).toBe(false);
    await loop.runUntilComplete(sleep(0.01));
    expect(t.cancelling()).toBe(0);
    expect(t.cancelled()).toBe(false);
    expect(t.cancel()).toBe(true);
    expect(t.cancelling()).toBe(1);
    expect(t.cancelled()).toBe(false);
    await expectFails(() => loop.runUntilComplete(t), CancelledError);
    expect(t.cancelled()).toBe(true);
    expect(t.done()).toBe(true);
    t.uncancel();
    expect(t.cancelled()).toBe(true);
    expect(t.done()).toBe(true);
  });

  it("uncancel() returns the remaining count and never goes below zero (asyncio Task.uncancel)", async () => {
    const loop = makeLoop(core);
    const t = loop.createTask((function* () { yield* sleep(10); })());
    await runBriefly(loop);
    t.cancel();
    t.cancel();
    expect(t.uncancel()).toBe(1);
    expect(t.uncancel()).toBe(0);
    expect(t.uncancel()).toBe(0);
    expect(t.cancelling()).toBe(0);
    t.cancel();
    await expectFails(() => loop.runUntilComplete(t), CancelledError);
  });

  it("uncancel() down to zero withdraws a not-yet-delivered cancellation (3.13 test_tasks.BaseTaskTests.test_uncancel_resets_must_cancel)", async () => {
    const loop = makeLoop(core);
    const fut = loop.createFuture();
    const task = loop.createTask(
      (function* () {
        yield* fut;
        return 42;
      })(),
    );
    await loop.runUntilComplete(sleep(0));
    fut.setResult(null); // task is now runnable, not waiting on anything
    task.cancel();
    expect(task.cancelling()).toBe(1);
    task.uncancel();
    expect(task.cancelling()).toBe(0);
    expect(await loop.runUntilComplete(task)).toBe(42);
  });

  it("a structured timeout built from cancel()/uncancel() (test_tasks.BaseTaskTests.test_uncancel_structured_blocks)", async () => {
    const loop = makeLoop(core);
    function* makeRequestWithTimeout(sleepFor: number, timeout: number) {
      const task = currentTask()!;
      let timedOut = false;
      let structuredBlockFinished = false;
      const handle = getRunningLoop().callLater(timeout, () => {
        timedOut = true;
        task.cancel();
      });
      try {
        let pending: unknown = null;
        try {
          yield* sleep(sleepFor);
          structuredBlockFinished = true;
        } catch (e) {
          pending = e;
        }
        handle.cancel();
        if (timedOut && task.uncancel() === 0 && pending instanceof CancelledError) {
          throw new TimeoutError("timed out");
        }
        if (pending) throw pending;
      } catch (e) {
        if (!(e instanceof TimeoutError)) throw e;
        expect(timedOut).toBe(true);
      }
      const outerCodeReached = true;
      yield* sleep(0);
      return [timedOut, structuredBlockFinished, outerCodeReached];
    }
    const t1 = loop.createTask(makeRequestWithTimeout(10.0, 0.1));
    expect(await loop.runUntilComplete(t1)).toEqual([true, false, true]);
    expect(t1.cancelling()).toBe(0);
    const t2 = loop.createTask(makeRequestWithTimeout(0, 10.0));
    expect(await loop.runUntilComplete(t2)).toEqual([false, true, true]);
    expect(t2.cancelling()).toBe(0);
  });

  it("cancel() on a finished task returns false and changes nothing (test_tasks.BaseTaskTests.test_cancel)", async () => {
    const loop = makeLoop(core);
    const ok = loop.createTask((function* () { return 1; })());
    const bad = loop.createTask((function* () { throw new ValueError("x"); })());
    await loop.runUntilComplete(ok);
    await expectFails(() => loop.runUntilComplete(bad), ValueError);
    expect(ok.cancel()).toBe(false);
    expect(bad.cancel("late")).toBe(false);
    expect(ok.result()).toBe(1);
    expect(bad.exception()).toBeInstanceOf(ValueError);
    expect(ok.cancelling()).toBe(0);
  });

  it("a task raising a non-cancel error after catching cancellation fails with it (test_tasks.BaseTaskTests.test_baseexception_during_cancel)", async () => {
    const loop = makeLoop(core);
    const exc = new RuntimeError("raised while cancelling");
    const task = loop.createTask(
      (function* () {
        try {
          yield* sleep(10);
        } catch (e) {
          if (e instanceof CancelledError) throw exc;
          throw e;
        }
      })(),
    );
    await runBriefly(loop);
    task.cancel();
    expect(task.done()).toBe(false);
    await expectFails(() => loop.runUntilComplete(task), RuntimeError);
    expect(task.done()).toBe(true);
    expect(task.cancelled()).toBe(false);
    expect(task.exception()).toBe(exc);
  });
});
